"""Build a config's model for inference and load its weights, by a small table of loaders per
architecture role (``engine.roles``; the architectures themselves load nothing).

Cascade: ``weights`` (a merged file) or ``detector_weights`` [+ ``emotion_weights``];
classifier: ``weights`` written by tools/train.py (they carry the input spec and class names);
a detector: ``weights``.
"""
from ..data.input_spec import FaceInputSpec
from ..errors import ConfigError
from .checkpoint import load_weights_strict
from .roles import CASCADE, CLASSIFIER, architecture_role


def load_cascade(model, cfg):
    """Both stages of a FaceEmotion; returns the expression weights' meta (None: faces only)."""
    if cfg.get('weights'):
        meta = load_weights_strict(model, cfg.weights).get('emotion')
        source = cfg.weights
    elif cfg.get('detector_weights'):
        load_weights_strict(model.detector, cfg.detector_weights)
        source = cfg.get('emotion_weights')
        meta = load_weights_strict(model.classifier, source) if source else None
    else:
        raise ConfigError('no weights: pass -o weights=MERGED.pdparams, or '
                          'detector_weights=... [emotion_weights=...]')
    if meta:
        model.set_expression_spec(FaceInputSpec.from_meta(meta, source))
    return meta


def load_classifier(model, cfg):
    meta = load_detector(model, cfg)
    FaceInputSpec.from_meta(meta, cfg.weights)  # fails now if they carry none
    return meta


def load_detector(model, cfg):
    if not cfg.get('weights'):
        raise ConfigError('no weights: pass -o weights=PATH.pdparams')
    return load_weights_strict(model, cfg.weights)


LOADERS = {CASCADE: load_cascade, CLASSIFIER: load_classifier}


def build_inference_model(cfg):
    """``cfg.architecture`` created, its weights loaded, in eval mode: (model, meta of the
    expression weights or of the weights)."""
    from ppdet.core.workspace import create
    if cfg['TestReader'].get('batch_transforms'):
        raise ConfigError('TestReader.batch_transforms are not applied at inference: put those '
                          'ops in TestReader.sample_transforms')
    model = create(cfg.architecture)
    model.load_meanstd(cfg['TestReader']['sample_transforms'])
    meta = LOADERS.get(architecture_role(cfg), load_detector)(model, cfg)
    model.eval()
    return model, meta
