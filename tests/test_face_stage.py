"""The face-detection stage: the SSD loss under Paddle 3, BlazeFace trained and evaluated through
the tools on small synthetic WIDER-format data, and clear errors on bad input."""
import glob
import json
import os
import shutil

import numpy as np
import paddle
import pytest
from ppdet.modeling.losses.ssd_loss import SSDLoss

from conftest import REPO, assert_clean_error, run_tool
from ppdet_emotion.compat import SSDLossCompat
from test_widerface_metric import make_wider_split

PADDLE_3 = int(paddle.__version__.split('.')[0]) >= 3

# Priors 0 and 1 lie on the two faces of image 0; image 1 has one face, on prior 2.
PRIORS = [[0.0, 0.0, 0.3, 0.3], [0.5, 0.5, 0.8, 0.8], [0.1, 0.6, 0.4, 0.9], [0.6, 0.1, 0.9, 0.4],
          [0.3, 0.3, 0.6, 0.6], [0.0, 0.7, 0.2, 0.9]]


def loss_inputs():
    """SSDLoss inputs (boxes, scores, gt_bbox, gt_label, prior_boxes) for two images."""
    paddle.seed(0)
    boxes = paddle.randn([2, len(PRIORS), 4]) * 0.1
    scores = paddle.randn([2, len(PRIORS), 2])
    scores.stop_gradient = False
    gt_bbox = paddle.to_tensor([[PRIORS[0], PRIORS[1]], [PRIORS[2], [0, 0, 0, 0]]])
    gt_label = paddle.to_tensor([[0, 0], [0, 0]], dtype='int32')
    return [boxes], [scores], gt_bbox, gt_label, [paddle.to_tensor(PRIORS)]


def test_ppdet_ssd_loss_fails_under_paddle_3():
    if not PADDLE_3:
        pytest.skip('Paddle {} trains ppdet\'s SSDLoss'.format(paddle.__version__))
    with pytest.raises(TypeError, match='Type promotion only support calculations between '
                                        'floating-point numbers'):
        SSDLoss()(*loss_inputs())


def test_compat_ssd_loss_trains():
    inputs = loss_inputs()
    loss = SSDLossCompat()(*inputs)
    loss.backward()
    assert np.isfinite(float(loss)) and float(loss) > 0
    assert inputs[1][0].grad is not None
    if not PADDLE_3:
        assert float(loss) == pytest.approx(float(SSDLoss()(*loss_inputs())), rel=1e-6)


def test_compat_mining_keeps_the_hardest_negatives():
    conf_loss = paddle.to_tensor([[0.1, 0.9, 0.5, 0.0, 0.7, 0.3], [0.2, 0.4, 0.6, 0.8, 0.1, 0.3]])
    background = 1
    labels = paddle.to_tensor([[0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], dtype='int64')
    mask = SSDLossCompat(neg_pos_ratio=2.0)._mine_hard_example(conf_loss, labels, background)
    # image 0: its positive and the 2 hardest negatives; image 1 (no positive): 1% of the priors
    # rounds up to the single hardest
    assert mask.numpy().tolist() == [[True, True, False, False, True, False],
                                     [False, False, False, True, False, False]]


TINY_CONFIG = """
_BASE_: ['{repo}/configs/face_detection/blazeface_1000e.yml']
epoch: 4
seed: 3
log_iter: 1
snapshot_epoch: 1
worker_num: 0
save_dir: {save_dir}
TrainDataset: !WIDERFaceLocalDataSet
  {{dataset_dir: {data}, anno_path: wider_face_split/wider_face_train_bbx_gt.txt,
   image_dir: WIDER_train/images, data_fields: ['image', 'gt_bbox', 'gt_class']}}
EvalDataset: !WIDERFaceLocalDataSet
  {{dataset_dir: {data}, anno_path: wider_face_split/wider_face_val_bbx_gt.txt,
   image_dir: WIDER_val/images, data_fields: ['image']}}
LearningRate: {{base_lr: 0.006}}
TrainReader:
  sample_transforms:
  - Decode: {{}}
  - RandomFlip: {{}}
  - NormalizeBox: {{}}
  - PadBox: {{num_max_boxes: 8}}
  batch_size: 4
"""


@pytest.fixture(scope='module')
def wider_data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('wider_face'))
    make_wider_split(root, 'train', images_per_event=4, seed=1)
    make_wider_split(root, 'val', images_per_event=2, seed=2)
    return root


@pytest.fixture(scope='module')
def trained_face(tmp_path_factory, wider_data):
    """BlazeFace trained a few steps on 128x128 images with tools/train.py --eval."""
    folder = str(tmp_path_factory.mktemp('blazeface'))
    config = os.path.join(folder, 'tiny_face.yml')
    with open(config, 'w') as f:
        f.write(TINY_CONFIG.format(repo=REPO, data=wider_data,
                                   save_dir=os.path.join(folder, 'output')))
    proc = run_tool('train', '-c', config, '--eval', cwd=folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = os.path.join(folder, 'output', 'tiny_face')
    with open(os.path.join(out, 'training_history.json')) as f:
        history = json.load(f)
    return {'folder': folder, 'config': config, 'out': out, 'history': history}


def read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.tools
def test_blazeface_trains_with_falling_loss_and_evaluates(trained_face):
    history, out = trained_face['history'], trained_face['out']
    assert len(history['loss']) == 4 and history['loss'][-1] < 0.8 * history['loss'][0]
    assert [e['key'] for e in history['eval']] == ['ap_medium'] * 4
    results = read_json(os.path.join(out, 'eval_results.json'))
    assert results['images'] == 4
    assert all(0 <= results['ap_' + s] <= 1 for s in ('easy', 'medium', 'hard'))
    assert os.path.isfile(os.path.join(out, 'best_model.pdparams'))


@pytest.mark.tools
@pytest.mark.parametrize('extra, scales', [([], [1.0]),
                                           (['--multi_scale', '0.5', '1'], [0.5, 1.0])])
def test_eval_tool_writes_ap(trained_face, wider_data, tmp_path, extra, scales):
    weights = os.path.join(trained_face['out'], 'model_final.pdparams')
    proc = run_tool('eval', '-c', trained_face['config'], '-o', 'weights=' + weights,
                    '--output_eval', str(tmp_path), *extra, cwd=trained_face['folder'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = read_json(os.path.join(tmp_path, 'eval_results.json'))
    assert results['scales'] == scales and results['faces_hard'] > results['faces_easy'] > 0
    assert 'WIDER FACE AP' in proc.stdout + proc.stderr


def corrupt_image(data, folder):
    root = shutil.copytree(data, os.path.join(folder, 'wider_face'))
    image = os.path.join(root, 'WIDER_val', 'images', '2--Beta', 'Beta_1.jpg')
    with open(image, 'wb') as f:
        f.write(b'not an image')
    return ['EvalDataset.dataset_dir=' + root], 'Beta_1.jpg'


def missing_annotation(data, folder):
    return ['EvalDataset.anno_path=wider_face_split/missing.txt'], 'missing.txt'


@pytest.mark.tools
@pytest.mark.parametrize('bad_input', [corrupt_image, missing_annotation])
def test_bad_data_is_named(trained_face, wider_data, tmp_path, bad_input):
    opts, culprit = bad_input(wider_data, str(tmp_path))
    weights = os.path.join(trained_face['out'], 'model_final.pdparams')
    proc = run_tool('eval', '-c', trained_face['config'], '-o', 'weights=' + weights, *opts,
                    '--output_eval', str(tmp_path), cwd=str(tmp_path))
    assert_clean_error(proc, culprit)


@pytest.mark.tools
def test_weights_that_do_not_fit_the_config_are_named(trained_face, wider_data, tmp_path):
    weights = os.path.join(trained_face['out'], 'model_final.pdparams')
    config = os.path.join(REPO, 'configs', 'face_detection', 'blazeface_fpn_ssh_1000e.yml')
    proc = run_tool('eval', '-c', config, '-o', 'weights=' + weights,
                    'EvalDataset.dataset_dir=' + wider_data,
                    '--output_eval', str(tmp_path), cwd=str(tmp_path))
    assert_clean_error(proc, weights, 'does not fit')


@pytest.mark.tools
def test_training_without_the_data_folder_is_named_not_downloaded(trained_face, tmp_path):
    missing = str(tmp_path / 'no_wider_face')
    proc = run_tool('train', '-c', trained_face['config'], '-o', 'TrainDataset.dataset_dir=' + missing,
                    cwd=str(tmp_path))
    assert_clean_error(proc, missing, 'does not exist')


@pytest.mark.tools
@pytest.mark.parametrize('config', ['centerface', 'blazeface_mediapipe_short'])
def test_shipped_detectors_evaluate_through_their_resizing_readers(wider_data, tmp_path, config):
    """tools/eval.py batches ResizeLongerSide's im_shape / scale_factor like ppdet's Resize."""
    path = os.path.join(REPO, 'configs', 'face_detection', config + '.yml')
    proc = run_tool('eval', '-c', path, '-o', 'EvalDataset.dataset_dir=' + wider_data,
                    '--output_eval', str(tmp_path), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = read_json(os.path.join(tmp_path, 'eval_results.json'))
    assert results['images'] == 4 and all(0 <= results['ap_' + s] <= 1 for s in ('easy', 'hard'))
    proc = run_tool('eval', '-c', path, '-o', 'EvalDataset.dataset_dir=' + wider_data,
                    '--multi_scale', cwd=str(tmp_path))
    assert_clean_error(proc, 'no Resize or Pad op')


@pytest.mark.parametrize('min_sizes, max_sizes, ratios, flip, order, step, clip', [
    ([16.0, 24.0], [], [1.0], False, False, 8.0, False),  # BlazeFace's first level
    ([30.0], [60.0], [2.0, 3.0], True, False, 8.0, True),  # SSD's
    ([30.0, 45.0], [60.0, 70.0], [2.0], True, True, 0.0, False),
])
def test_plain_op_priors_are_paddles_prior_boxes(min_sizes, max_sizes, ratios, flip, order, step,
                                                 clip):
    """The export path's priors (which ONNX takes) equal Paddle's prior_box op's."""
    from ppdet_emotion.modeling.prior_boxes import prior_boxes, prior_sizes
    feature, image = paddle.zeros([1, 8, 10, 13]), paddle.zeros([1, 3, 80, 104])
    expected, _ = paddle.vision.ops.prior_box(
        feature, image, min_sizes=min_sizes, max_sizes=max_sizes or None, aspect_ratios=ratios,
        flip=flip, clip=clip, steps=[step, step], offset=0.5, min_max_aspect_ratios_order=order)
    got = prior_boxes(feature, image, prior_sizes(min_sizes, max_sizes, ratios, flip, order),
                      step, 0.5, clip)
    np.testing.assert_allclose(got.numpy(), expected.numpy().reshape(-1, 4), atol=1e-6)


def test_blazeface_exports_to_onnx(trained_face, wider_data, tmp_path):
    """BlazeFace converts to ONNX (its priors from plain ops), and ONNX Runtime finds the boxes
    Paddle Inference finds."""
    pytest.importorskip('paddle2onnx', reason='the onnx extra is not installed')
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.engine.export import open_predictor
    from ppdet_emotion.inference.models import read_export_meta
    from ppdet_emotion.inference.sources import read_rgb
    proc = run_tool('export_model', '-c', trained_face['config'], '--onnx', '--output_dir',
                    str(tmp_path), '-o', 'weights=' + os.path.join(trained_face['out'],
                                                                     'model_final.pdparams'),
                    cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    folders = [str(tmp_path / 'tiny_face'), str(tmp_path / 'tiny_face_onnx')]
    paddle_model, onnx_model = (open_predictor(f, read_export_meta(f)) for f in folders)
    meta = read_export_meta(folders[1])
    image = sorted(glob.glob(os.path.join(wider_data, 'WIDER_val', 'images', '*', '*.jpg')))[0]
    batch = Preprocess(meta['sample_transforms'])(read_rgb(image))
    expected, got = paddle_model(batch)[0], onnx_model(batch)[0]
    top = 10  # the best boxes (lower down, near-equal scores may swap places)
    np.testing.assert_allclose(got[:top], expected[:top], atol=1e-3)
