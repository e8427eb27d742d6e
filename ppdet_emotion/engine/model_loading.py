"""Build a config's model for inference and load its weights, by the architecture's role
(``engine.roles``; the architectures themselves load nothing). Each weights file is read once.

Cascade: ``weights`` (a merged file) or ``detector_weights`` [+ ``emotion_weights``];
classifier: ``weights`` written by tools/train.py (they carry the input spec and class names);
a detector: ``weights``.
"""
from ..data.input_spec import FaceInputSpec
from ..data.photo_transforms import detector_pixel_norm
from ..errors import ConfigError
from .checkpoint import fit_state, load_state, load_weights_strict
from .roles import CASCADE, CLASSIFIER, architecture_role


def prepare_cascade(cfg):
    """Before a cascade is created: read the file holding its expression weights (the merged
    file, or ``emotion_weights``) once, and give its post-process their input spec and the
    detector's normalisation (``EmotionPostProcess.input_spec`` / ``detector_norm``).

    Returns (that file's state dict, the expression meta); (None, None) for faces only.
    """
    if not cfg.get('weights') and not cfg.get('detector_weights'):
        raise ConfigError('no weights: pass -o weights=MERGED.pdparams, or '
                          'detector_weights=... [emotion_weights=...]')
    source = cfg.get('weights') or cfg.get('emotion_weights')
    state, meta = load_state(source) if source else (None, None)
    if cfg.get('weights'):
        meta = meta.get('emotion')
    section = cfg[cfg[cfg.architecture]['post_process']]
    section['input_spec'] = FaceInputSpec.from_meta(meta, source) if meta else None
    section['detector_norm'] = list(detector_pixel_norm(cfg['TestReader']['sample_transforms']))
    return state, meta


def load_cascade(model, cfg, state):
    """Both stages of a cascade created after ``prepare_cascade``, from the ``state`` it read."""
    if cfg.get('weights'):
        fit_state(model, state, cfg.weights)
        return
    load_weights_strict(model.detector, cfg.detector_weights)
    if state is not None:
        fit_state(model.classifier, state, cfg.emotion_weights)


def load_classifier(model, cfg):
    meta = load_detector(model, cfg)
    FaceInputSpec.from_meta(meta, cfg.weights)  # fails now if they carry none
    return meta


def load_detector(model, cfg):
    if not cfg.get('weights'):
        raise ConfigError('no weights: pass -o weights=PATH.pdparams')
    return load_weights_strict(model, cfg.weights)


LOADERS = {CLASSIFIER: load_classifier}  # any other detector: load_detector


def build_inference_model(cfg):
    """``cfg.architecture`` created, its weights loaded, in eval mode: (model, meta of the
    expression weights or of the weights)."""
    from ppdet.core.workspace import create
    if cfg['TestReader'].get('batch_transforms'):
        raise ConfigError('TestReader.batch_transforms are not applied at inference: put those '
                          'ops in TestReader.sample_transforms')
    role = architecture_role(cfg)
    if role == CASCADE:
        state, meta = prepare_cascade(cfg)
    model = create(cfg.architecture)
    model.load_meanstd(cfg['TestReader']['sample_transforms'])
    if role == CASCADE:
        load_cascade(model, cfg, state)
    else:
        meta = LOADERS.get(role, load_detector)(model, cfg)
    model.eval()
    return model, meta
