"""One contract over every shipped config, as timm runs one over every registered model: built
from its YAML, a forward pass on a small input gives what the architecture's role promises, and
a model with shipped weights (or a classifier) gives the same through Paddle Inference."""
import copy
import os
from contextlib import contextmanager

import cv2
import numpy as np
import paddle
import pytest
from ppdet.core.workspace import create, global_config

from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.data.synthetic_video import DEMO_PHOTO
from ppdet_emotion.engine.checkpoint import load_weights_strict
from ppdet_emotion.engine.cli import load_cfg
from ppdet_emotion.engine.export import Predictor, export_classifier, export_detector
from ppdet_emotion.engine.model_loading import prepare_cascade
from ppdet_emotion.engine.roles import CASCADE, CLASSIFIER, architecture_role
from ppdet_emotion.data.preprocess import Preprocess
from ppdet_emotion.inference.models import dygraph_forward
from ppdet_emotion.resources import SCHEME, shipped_configs

EXPORT_MAX_PARAMS = 30e6  # larger classifiers (VGG-16) are checked in dygraph only


@contextmanager
def fresh_ppdet_config():
    """ppdet keeps one process-wide config that every load merges into: put it back after."""
    snapshot = {k: copy.deepcopy(dict(v)) if isinstance(v, dict) else copy.deepcopy(v)
                for k, v in global_config.items()}
    try:
        yield
    finally:
        for key in [k for k in global_config if k not in snapshot]:
            del global_config[key]
        for key, value in snapshot.items():
            if isinstance(global_config.get(key), dict):
                dict.clear(global_config[key])
                dict.update(global_config[key], value)
            else:
                global_config[key] = value


def shipped(path):
    return isinstance(path, str) and path.startswith(SCHEME)


def build(cfg):
    """The config's model; shipped weights loaded where the config names them (random weights
    otherwise: PaddleDetection's BlazeFace weights are downloaded by users, never by us)."""
    paddle.seed(0)
    role = architecture_role(cfg)
    if role == CASCADE:
        prepare_cascade(cfg)
    model = create(cfg.architecture)
    model.load_meanstd(cfg['TestReader']['sample_transforms'])
    if role == CASCADE:
        if shipped(cfg.get('detector_weights')):
            load_weights_strict(model.detector, cfg.detector_weights)
        load_weights_strict(model.classifier, cfg.emotion_weights)
    elif role != CLASSIFIER and shipped(cfg.get('weights')):
        load_weights_strict(model, cfg.weights)
    model.eval()
    return model, role


def photo_batch(cfg):
    rgb = cv2.cvtColor(cv2.imread(DEMO_PHOTO), cv2.COLOR_BGR2RGB)
    return Preprocess(cfg['TestReader']['sample_transforms'])(cv2.resize(rgb, (256, 192)))


def check_detections(out, cascade):
    bbox, counts = out['bbox'], out['bbox_num']
    assert bbox.ndim == 2 and bbox.shape[1] == 6 and counts.sum() <= len(bbox)
    if cascade:
        probs = out['emotion_probs']
        assert probs.shape == (len(bbox), 7)
        np.testing.assert_allclose(probs.sum(1), 1, atol=1e-4)


@pytest.mark.parametrize('name', sorted(shipped_configs()))
def test_every_shipped_config_builds_runs_and_exports_alike(name, tmp_path):
    with fresh_ppdet_config():
        cfg = load_cfg(name)
        model, role = build(cfg)
        if role == CLASSIFIER:
            spec = FaceInputSpec.from_transforms(cfg['EvalReader']['sample_transforms'])
            faces = np.random.default_rng(0).random((2, spec.channels, spec.size, spec.size),
                                                    np.float32)
            with paddle.no_grad():
                probs = model.classify(paddle.to_tensor(faces))['probs'].numpy()
            assert probs.shape == (2, len(spec.class_names))
            np.testing.assert_allclose(probs.sum(1), 1, atol=1e-4)
            if sum(int(np.prod(p.shape)) for p in model.parameters()) > EXPORT_MAX_PARAMS:
                return
            prefix = export_classifier(model, spec, str(tmp_path / 'model'))
            np.testing.assert_allclose(Predictor(prefix)({'image': faces})[0], probs, atol=1e-4)
            return
        batch = photo_batch(cfg)
        out = dygraph_forward(model)(batch)
        check_detections(out, role == CASCADE)
        weights = cfg.get('detector_weights') if role == CASCADE else cfg.get('weights')
        if not (getattr(getattr(model, 'detector', model), 'exportable', True) and shipped(weights)):
            return
        names = export_detector(model, str(tmp_path / 'model'))
        exported = dict(zip(names, Predictor(str(tmp_path / 'model'))(batch)))
        assert exported['bbox'].shape == out['bbox'].shape
        np.testing.assert_allclose(exported['bbox'], out['bbox'], atol=0.05)
        if role == CASCADE:  # the faces' probabilities (the padding row's are meaningless)
            real = out['bbox'][:, 0] >= 0
            np.testing.assert_allclose(exported['emotion_probs'][real], out['emotion_probs'][real],
                                       atol=2e-3)


def test_the_contract_covers_every_architecture_we_register():
    architectures = set()
    for path in shipped_configs().values():
        with fresh_ppdet_config():
            architectures.add(load_cfg(path).architecture)
    assert {'CenterFace', 'BlazeFaceMediaPipe', 'BlazeFace', 'EmotionClassifier',
            'FaceEmotion'} <= architectures
    assert os.path.basename(shipped_configs()['default']) == 'default.yml'
