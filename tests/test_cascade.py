"""The cascade: EmotionPostProcess crops and classifies detector boxes; tools/infer.py writes the
labelled picture and JSON for any image kind; the merged weights file."""
import json
import os
import subprocess
import sys
from dataclasses import replace

import cv2
import numpy as np
import paddle
import pytest
from PIL import Image

from conftest import REPO, assert_clean_error, run_tool
from synthetic import synthetic_face
from ppdet_emotion.classes import FER2013_CLASSES
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.data.transforms import ten_crop
from ppdet_emotion.engine.checkpoint import load_weights_strict, read_meta
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.modeling.architectures.emotion_classifier import EmotionClassifier
from ppdet_emotion.modeling.backbones.resnet import EmotionResNet
from ppdet_emotion.modeling.heads.emotion_head import EmotionHead
from ppdet_emotion.modeling.post_process import EmotionPostProcess

BLAZE_MEAN, BLAZE_STD = [123.0, 117.0, 104.0], [127.502231] * 3

CASCADE_CONFIG = """
_BASE_: ['{repo}/configs/emotion/blazeface_fer2013.yml']
EmotionResNet: {{widths: [8, 16, 32, 64], stem_stride: 1}}
EmotionPostProcess: {{face_threshold: {threshold}, max_faces: 4}}
"""

RANDOM_DETECTOR = """
import sys, ppdet_emotion
from ppdet.core.workspace import create
from ppdet_emotion.engine.checkpoint import save_checkpoint
from ppdet_emotion.engine.cli import load_cfg
import paddle
paddle.seed(0)
load_cfg(sys.argv[1])
state = create('BlazeFace').state_dict()
# Zero box regressors: every box is an anchor (16-128 px squares); scores stay random.
state = {k: paddle.zeros_like(v) if '.boxes' in k else v for k, v in state.items()}
save_checkpoint(sys.argv[2], 'detector', state, {'architecture': 'BlazeFace'})
blind = {k: paddle.zeros_like(v) for k, v in state.items()}  # every box scores 0.5
save_checkpoint(sys.argv[2], 'blind', blind, {'architecture': 'BlazeFace'})
"""


def tiny_classifier(trained):
    model = EmotionClassifier(EmotionResNet(widths=[8, 16, 32, 64], stem_stride=1),
                              EmotionHead(num_classes=7, in_channels=64))
    meta = load_weights_strict(model, os.path.join(trained['out'], 'best_model.pdparams'))
    model.eval()
    return model, meta


def photo_with_faces(labels, size=96):
    """A 320x240 RGB photo with synthetic faces of the given classes pasted side by side."""
    rng = np.random.default_rng(5)
    photo = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    boxes = []
    for i, label in enumerate(labels):
        face = cv2.resize(synthetic_face(label, rng), (size, size))
        x, y = 20 + i * (size + 30), 60
        photo[y:y + size, x:x + size] = face[:, :, None]
        boxes.append([x, y, x + size, y + size])
    return photo, boxes


def detector_tensor(photo):
    image = ((photo - np.float32(BLAZE_MEAN)) / np.float32(BLAZE_STD)).astype(np.float32)
    return paddle.to_tensor(image.transpose(2, 0, 1)[None].copy())


def photo_inputs(photo):
    return {'image': detector_tensor(photo), 'scale_factor': paddle.ones([1, 2]),
            'im_shape': paddle.to_tensor([[float(photo.shape[0]), float(photo.shape[1])]])}


@pytest.mark.parametrize('ten_crop', [False, True])
def test_post_process_classifies_the_crops_it_cuts(trained, ten_crop):
    classifier, meta = tiny_classifier(trained)
    photo, boxes = photo_with_faces([3, 0])  # happy, angry
    post = EmotionPostProcess(face_threshold=0.5, max_faces=8, ten_crop=ten_crop,
                              input_spec=FaceInputSpec.from_meta(meta, 'tiny'),
                              detector_norm=[BLAZE_MEAN, BLAZE_STD])
    bbox = paddle.to_tensor([[0, 0.9] + boxes[0], [0, 0.8] + boxes[1], [0, 0.2, 0, 0, 50, 50]],
                            dtype='float32')
    inputs = photo_inputs(photo)
    with paddle.no_grad():
        out = post({'bbox': bbox, 'bbox_num': paddle.to_tensor([3], dtype='int32')}, inputs, classifier)
    assert out['bbox_num'].numpy().tolist() == [2]  # the 0.2 box is below the threshold
    assert out['bbox'].numpy()[:, 0].tolist() == [0, 0, -1]  # the last row is padding
    assert out['emotion_id'].numpy()[:2].tolist() == [3, 0]
    np.testing.assert_allclose(out['emotion_probs'].numpy().sum(1), 1.0, atol=1e-5)


def test_post_process_ten_crops_are_the_eval_crops_of_the_resized_face(trained):
    """The cascade's ten crops are tools/eval.py --ten_crop's: corners, centre, mirrors."""
    spec = FaceInputSpec.from_meta(tiny_classifier(trained)[1], 'tiny')
    photo, boxes = photo_with_faces([3])
    rows = paddle.to_tensor([[0, 0.9] + boxes[0], [-1, 0, 0, 0, 0, 0]], dtype='float32')
    counts = paddle.to_tensor([1], dtype='int32')
    norm = [BLAZE_MEAN, BLAZE_STD]
    tens = EmotionPostProcess(ten_crop=True, input_spec=spec, detector_norm=norm)
    whole = EmotionPostProcess(input_spec=replace(spec, crop=None), detector_norm=norm)
    got = tens.face_crops(rows, counts, photo_inputs(photo)).numpy()
    faces = whole.face_crops(rows, counts, photo_inputs(photo)).numpy()
    assert got.shape == (2, 10, 1, spec.crop, spec.crop)
    for face, crops in zip(faces, got):
        expected = ten_crop(face.transpose(1, 2, 0), spec.crop).transpose(0, 3, 1, 2)
        np.testing.assert_allclose(crops, expected, atol=1e-6)


def test_ten_crop_needs_weights_with_a_crop_size(trained):
    spec = FaceInputSpec.from_meta(tiny_classifier(trained)[1], 'tiny')
    with pytest.raises(ConfigError, match='EmotionPostProcess.ten_crop'):
        EmotionPostProcess(ten_crop=True, input_spec=replace(spec, crop=None),
                           detector_norm=[BLAZE_MEAN, BLAZE_STD])


def test_post_process_caps_faces_per_image_and_counts_what_it_cut():
    post = EmotionPostProcess(face_threshold=0.3, max_faces=2)
    scores = [0.9, 0.8, 0.7, 0.6, 0.95, 0.1]
    bbox = paddle.to_tensor([[0, s, 0, 0, 10, 10] for s in scores], dtype='float32')
    index, counts, found = post.select(bbox, paddle.to_tensor([4, 2], dtype='int32'))
    assert index.numpy().tolist() == [0, 1, 4]
    assert counts.numpy().tolist() == [2, 1]
    assert found.numpy().tolist() == [4, 1]  # two faces of the first image were cut


def test_faces_too_small_do_not_use_up_the_cap():
    post = EmotionPostProcess(face_threshold=0.3, max_faces=2, min_size=4.0)
    bbox = paddle.to_tensor([[0, 0.9, 0, 0, 2, 2], [0, 0.8, 0, 0, 10, 10], [0, 0.7, 0, 0, 10, 10]],
                            dtype='float32')
    index, counts, found = post.select(bbox, paddle.to_tensor([3], dtype='int32'))
    assert index.numpy().tolist() == [1, 2]
    assert counts.numpy().tolist() == found.numpy().tolist() == [2]


@pytest.fixture(scope='module')
def cascade(trained, tmp_path_factory):
    """Cascade configs on the tiny classifier and a randomly initialised BlazeFace."""
    folder = tmp_path_factory.mktemp('cascade')
    configs = {}
    for name, threshold in (('any', 0.0), ('half', 0.6)):
        configs[name] = str(folder / (name + '.yml'))
        with open(configs[name], 'w') as f:
            f.write(CASCADE_CONFIG.format(repo=REPO, threshold=threshold))
    proc = subprocess.run([sys.executable, '-c', RANDOM_DETECTOR, configs['any'], str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    weights = ['detector_weights=' + str(folder / 'detector.pdparams'),
               'emotion_weights=' + os.path.join(trained['out'], 'best_model.pdparams')]
    blind = ['detector_weights=' + str(folder / 'blind.pdparams'), weights[1]]
    return {'folder': folder, 'configs': configs, 'weights': weights, 'blind': blind}


def write_images(folder):
    """The same photo as grey PNG, RGBA PNG and JPEG."""
    photo, _ = photo_with_faces([3])
    folder.mkdir(exist_ok=True)
    cv2.imwrite(str(folder / 'grey.png'), cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY))
    cv2.imwrite(str(folder / 'rgba.png'), np.dstack([photo[:, :, ::-1], np.full(photo.shape[:2], 200, np.uint8)]))
    cv2.imwrite(str(folder / 'photo.jpg'), photo[:, :, ::-1])
    return ['grey.png', 'rgba.png', 'photo.jpg']


@pytest.mark.tools
def test_infer_writes_labelled_pictures_and_json(cascade, tmp_path):
    names = write_images(tmp_path / 'in')
    proc = run_tool('infer', '-c', cascade['configs']['any'], '--infer_dir', str(tmp_path / 'in'),
                    '--output_dir', str(tmp_path / 'out'), '--draw_threshold', '0', '--save_results',
                    '-o', *cascade['weights'], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in names:
        with open(tmp_path / 'out' / (name + '.json')) as f:
            result = json.load(f)
        assert (result['width'], result['height']) == (320, 240)
        assert 1 <= len(result['faces']) <= 4
        for face in result['faces']:
            assert face['expression'] in face['probabilities']
            assert sum(face['probabilities'].values()) == pytest.approx(1.0, abs=1e-3)
        drawn = np.asarray(Image.open(tmp_path / 'out' / name).convert('RGB'))
        assert drawn.shape == (240, 320, 3)


@pytest.mark.tools
def test_photo_without_faces_is_returned_unchanged(cascade, tmp_path):
    names = write_images(tmp_path / 'in')
    proc = run_tool('infer', '-c', cascade['configs']['half'], '--infer_img', str(tmp_path / 'in' / names[0]),
                    '--output_dir', str(tmp_path / 'out'), '--save_results', '-o', *cascade['blind'],
                    cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'out' / 'grey.png.json') as f:
        assert json.load(f)['faces'] == []
    original = np.asarray(Image.open(tmp_path / 'in' / 'grey.png').convert('RGB'))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / 'out' / 'grey.png')), original)


def test_merged_weights_give_the_same_labels(cascade, tmp_path):
    merged = str(tmp_path / 'cascade.pdparams')
    proc = run_tool('merge_cascade_weights', '-c', cascade['configs']['any'], '--output', merged,
                    '-o', *cascade['weights'], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = write_images(tmp_path / 'in')
    outputs = []
    for extra in (cascade['weights'], ['weights=' + merged]):
        out = tmp_path / ('out%d' % len(outputs))
        proc = run_tool('infer', '-c', cascade['configs']['any'], '--infer_img', str(tmp_path / 'in' / names[2]),
                        '--output_dir', str(out), '--draw_threshold', '0', '--save_results', '-o', *extra,
                        cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        with open(out / 'photo.jpg.json') as f:
            outputs.append(json.load(f)['faces'])
    assert outputs[0] == outputs[1]


def test_corrupt_image_and_url_weights_are_clear_errors(cascade, tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'\xff\xd8 not really a jpeg')
    proc = run_tool('infer', '-c', cascade['configs']['any'], '--infer_img', str(bad),
                    '-o', *cascade['weights'], cwd=str(tmp_path))
    assert_clean_error(proc, 'bad.jpg')
    proc = run_tool('infer', '-c', cascade['configs']['any'], '--infer_img', str(bad), cwd=str(tmp_path))
    assert_clean_error(proc, 'is a URL')


def infer_astronaut(tmp_path, *opts):
    """tools/infer.py with configs/emotion/default.yml on demo/astronaut.png: (process, faces)."""
    proc = run_tool('infer', '-c', os.path.join(REPO, 'configs/emotion/default.yml'),
                    '--infer_img', os.path.join(REPO, 'demo/astronaut.png'), '--save_results',
                    '--output_dir', str(tmp_path), *opts, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'astronaut.png.json') as f:
        faces = json.load(f)['faces']
    assert len(faces) == 1
    x1, y1, x2, y2 = faces[0]['bbox']
    assert 160 < x1 < 200 and 50 < y1 < 90 and 250 < x2 < 290 and 160 < y2 < 200
    return proc, faces[0]


@pytest.mark.tools
@pytest.mark.parametrize('flags', [[], ['--ten_crop']])
def test_default_config_labels_the_astronaut_offline(tmp_path, flags):
    proc, face = infer_astronaut(tmp_path, *flags)
    assert 'no expression weights' not in proc.stdout
    assert face['expression'] == 'happy'  # Eileen Collins smiles in the portrait
    assert sum(face['probabilities'].values()) == pytest.approx(1.0, abs=1e-3)


def test_ten_crop_on_a_detector_config_is_a_clear_error(tmp_path):
    proc = run_tool('infer', '-c', os.path.join(REPO, 'configs/face_detection/blazeface_mediapipe_short.yml'),
                    '--infer_img', os.path.join(REPO, 'demo/astronaut.png'), '--ten_crop', cwd=str(tmp_path))
    assert_clean_error(proc, 'has no expression stage')


@pytest.mark.tools
def test_default_config_without_expression_weights_draws_faces_only(tmp_path):
    proc, face = infer_astronaut(tmp_path, '-o', 'emotion_weights=null')
    assert 'no expression weights' in proc.stdout
    assert 'expression' not in face


def test_shipped_expression_weights_carry_classes_spec_and_provenance():
    meta = read_meta(os.path.join(REPO, 'weights/emotion/fer2013_resnet18.pdparams'))
    assert meta['class_names'] == list(FER2013_CLASSES)
    assert meta['input_spec'] == {'channels': 1, 'resize': 48, 'crop': 40, 'ten_crop': False,
                                  'mean': [0.5], 'std': [0.25]}  # fer2013_resnet18.yml's EvalReader
    assert meta['release']['val']['single_crop']['num_samples'] == 3589  # FER2013 PublicTest
    assert 'tools/train.py -c configs/emotion/fer2013_resnet18.yml' in meta['release']['trained_by']


@pytest.mark.tools
@pytest.mark.parametrize('crops', [[], ['EmotionPostProcess.ten_crop=true']], ids=['one', 'ten'])
def test_exported_cascade_agrees_with_infer(cascade, tmp_path, crops):
    opts = ['-o', *cascade['weights'], *crops]
    proc = run_tool('export_model', '-c', cascade['configs']['any'], '--output_dir', str(tmp_path / 'export'),
                    *opts, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = write_images(tmp_path / 'in')
    runs = {'infer': ['-c', cascade['configs']['any'], *opts],
            'predict_exported': ['--model_dir', str(tmp_path / 'export' / 'any')]}
    results = {}
    for tool, args in runs.items():
        proc = run_tool(tool, *args, '--infer_dir', str(tmp_path / 'in'), '--draw_threshold', '0',
                        '--save_results', '--output_dir', str(tmp_path / tool), cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        results[tool] = {n: json.load(open(tmp_path / tool / (n + '.json')))['faces']
                         for n in names}
    proc = run_tool('predict_exported', *runs['predict_exported'], '--infer_dir', str(tmp_path / 'in'),
                    '--ten_crop', cwd=str(tmp_path))
    assert_clean_error(proc, 'EmotionPostProcess.ten_crop=true')
    for name in names:
        a, b = results['infer'][name], results['predict_exported'][name]
        assert len(a) == len(b) > 0
        for fa, fb in zip(a, b):
            np.testing.assert_allclose(fa['bbox'], fb['bbox'], atol=0.5)
            assert fa['expression'] == fb['expression']
            for k in fa['probabilities']:
                assert fa['probabilities'][k] == pytest.approx(fb['probabilities'][k], abs=2e-3)
