"""Build a config's model for inference and load its weights, by a small table of loaders per
architecture role (``engine.roles``; the architectures themselves load nothing).

Cascade: ``weights`` (a merged file) or ``detector_weights`` [+ ``emotion_weights``];
classifier: ``weights`` written by tools/train.py (they carry the input spec and class names);
a detector: ``weights``.
"""
from ..data.input_spec import FaceInputSpec
from ..data.photo_transforms import detector_pixel_norm
from ..errors import ConfigError
from .checkpoint import load_weights_strict, read_meta
from .roles import CASCADE, CLASSIFIER, architecture_role


def expression_meta(cfg):
    """The meta of a cascade config's expression weights (merged or their own file), or None."""
    if cfg.get('weights'):
        return read_meta(cfg.weights).get('emotion')
    if not cfg.get('detector_weights'):
        raise ConfigError('no weights: pass -o weights=MERGED.pdparams, or '
                          'detector_weights=... [emotion_weights=...]')
    return read_meta(cfg.emotion_weights) if cfg.get('emotion_weights') else None


def prepare_cascade(cfg):
    """Before a cascade is created: its post-process is given the expression weights' input
    spec and the detector's normalisation (``EmotionPostProcess.input_spec`` / ``detector_norm``).
    Returns the expression meta (None: faces only)."""
    meta = expression_meta(cfg)
    section = cfg[cfg[cfg.architecture]['post_process']]
    section['input_spec'] = FaceInputSpec.from_meta(meta, cfg.get('weights') or cfg.emotion_weights) \
        if meta else None
    section['detector_norm'] = list(detector_pixel_norm(cfg['TestReader']['sample_transforms']))
    return meta


def load_cascade(model, cfg):
    """Both stages of a FaceEmotion (created after ``prepare_cascade``); returns the expression
    weights' meta."""
    if cfg.get('weights'):
        return load_weights_strict(model, cfg.weights).get('emotion')
    load_weights_strict(model.detector, cfg.detector_weights)
    return load_weights_strict(model.classifier, cfg.emotion_weights) if cfg.get('emotion_weights') \
        else None


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
    role = architecture_role(cfg)
    if role == CASCADE:
        prepare_cascade(cfg)
    model = create(cfg.architecture)
    model.load_meanstd(cfg['TestReader']['sample_transforms'])
    meta = LOADERS.get(role, load_detector)(model, cfg)
    model.eval()
    return model, meta
