"""ONNX export (tools/export_model.py --onnx) of the classifier, the face detector and the
cascade: ONNX Runtime agrees with Paddle Inference, tools/predict_exported.py runs the ONNX
folder, the folder describes itself for users outside Paddle, and bad folders are named."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import REPO, assert_clean_error, run_tool

pytest.importorskip('paddle2onnx', reason='the onnx extra is not installed')
pytest.importorskip('onnxruntime', reason='the onnx extra is not installed')

ASTRONAUT = os.path.join(REPO, 'demo', 'astronaut.png')
CLASSIFIER_WEIGHTS = 'weights=ppdet_emotion://weights/emotion/fer2013_resnet18.pdparams'
# ONNX Runtime against Paddle Inference on the same inputs
PROBABILITY_TOLERANCE = 1e-4
BOX_TOLERANCE_PX = 0.1


def export(config, folder, *opts):
    proc = run_tool('export_model', '-c', config, '--onnx', '--output_dir', str(folder),
                    *(['-o'] + list(opts) if opts else []), cwd=str(folder))
    assert proc.returncode == 0, proc.stderr[-3000:]
    name = os.path.splitext(os.path.basename(config))[0]
    return folder / name, folder / (name + '_onnx')


@pytest.fixture(scope='module')
def cascade(tmp_path_factory):
    return export('default', tmp_path_factory.mktemp('onnx_cascade'))


@pytest.fixture(scope='module')
def classifier(tmp_path_factory):
    return export('fer2013_resnet18', tmp_path_factory.mktemp('onnx_classifier'),
                  CLASSIFIER_WEIGHTS)


def predictors(folders):
    from ppdet_emotion.engine.export import open_predictor
    from ppdet_emotion.inference.models import read_export_meta
    paddle_dir, onnx_dir = folders
    meta = read_export_meta(str(onnx_dir))
    return (open_predictor(str(paddle_dir), read_export_meta(str(paddle_dir))),
            open_predictor(str(onnx_dir), meta), meta)


def test_classifier_probabilities_agree(classifier):
    paddle_model, onnx_model, meta = predictors(classifier)
    assert type(onnx_model).__name__ == 'OnnxPredictor'
    faces = np.random.default_rng(0).standard_normal((8, 1, 40, 40)).astype(np.float32)
    expected, got = paddle_model({'image': faces})[0], onnx_model({'image': faces})[0]
    assert got.shape == (8, 7)
    np.testing.assert_allclose(got, expected, atol=PROBABILITY_TOLERANCE)
    assert meta['onnx']['inputs'][0]['shape'] == [None, 1, 40, 40]
    assert meta['input_spec']['crop'] == 40 and len(meta['class_names']) == 7
    assert 'resize to 48x48' in meta['onnx']['preprocessing']


@pytest.mark.parametrize('image', ['astronaut', 'group'])
def test_cascade_boxes_and_probabilities_agree(cascade, image):
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.data.synthetic_video import group_photo
    from ppdet_emotion.inference.sources import read_rgb
    paddle_model, onnx_model, meta = predictors(cascade)
    rgb = read_rgb(ASTRONAUT) if image == 'astronaut' else group_photo((1024, 768), 5)
    batch = Preprocess(meta['sample_transforms'])(rgb)
    expected = dict(zip(meta['output_names'], paddle_model(batch)))
    got = dict(zip(meta['output_names'], onnx_model(batch)))
    count = int(expected['bbox_num'].sum())
    assert count == (1 if image == 'astronaut' else 5)
    np.testing.assert_array_equal(got['bbox_num'], expected['bbox_num'])
    np.testing.assert_allclose(got['bbox'][:count, 2:], expected['bbox'][:count, 2:],
                               atol=BOX_TOLERANCE_PX)
    np.testing.assert_allclose(got['emotion_probs'][:count], expected['emotion_probs'][:count],
                               atol=PROBABILITY_TOLERANCE)
    assert [i['name'] for i in meta['onnx']['inputs']] == ['image', 'im_shape', 'scale_factor']
    assert [o['name'] for o in meta['onnx']['outputs']] == meta['output_names']


def test_predict_exported_runs_the_onnx_folder(cascade, tmp_path):
    paddle_dir, onnx_dir = cascade
    results = {}
    for name, folder in (('paddle', paddle_dir), ('onnx', onnx_dir)):
        proc = run_tool('predict_exported', '--model_dir', str(folder), '--infer_img', ASTRONAUT,
                        '--save_results', '--output_dir', str(tmp_path / name), cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (tmp_path / name / 'astronaut.png').stat().st_size > 10000
        with open(tmp_path / name / 'astronaut.png.json') as f:
            results[name] = json.load(f)['faces']
    assert [f['expression'] for f in results['onnx']] == ['happy']
    for a, b in zip(results['onnx'], results['paddle']):
        assert a['bbox'] == pytest.approx(b['bbox'], abs=BOX_TOLERANCE_PX + 0.05)
        assert a['expression_score'] == pytest.approx(b['expression_score'], abs=1e-3)


def test_bad_onnx_folders_are_named(cascade, classifier, tmp_path):
    _, onnx_dir = cascade
    wrong = tmp_path / 'wrong'
    shutil.copytree(str(onnx_dir), str(wrong))
    shutil.copy(str(classifier[1] / 'model.onnx'), str(wrong / 'model.onnx'))
    proc = run_tool('predict_exported', '--model_dir', str(wrong), '--infer_img', ASTRONAUT,
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'model.onnx', 'is not the model export_meta.json describes')
    empty = tmp_path / 'empty'
    empty.mkdir()
    shutil.copy(str(onnx_dir / 'export_meta.json'), str(empty / 'export_meta.json'))
    proc = run_tool('predict_exported', '--model_dir', str(empty), '--infer_img', ASTRONAUT,
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'holds neither an ONNX model (model.onnx) nor a Paddle Inference')


def test_a_missing_converter_says_what_to_install():
    from ppdet_emotion.engine.onnx_model import require
    from ppdet_emotion.errors import ConfigError
    with pytest.raises(ConfigError, match=r'ONNX needs not_installed_xyz: pip install '
                                          r'"ppdet-emotion\[onnx\]"'):
        require('not_installed_xyz')
