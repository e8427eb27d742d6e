"""ONNX: an exported model (``tools/export_model.py``) converted with paddle2onnx, run with ONNX
Runtime, and described for users outside Paddle.

An ONNX folder holds ``model.onnx`` and ``export_meta.json``: the Paddle export's meta (class
names, input spec or preprocessing ops, output names) plus an ``onnx`` section with the inputs
and outputs (names, shapes, types, meaning), the preprocessing in words, the opset and the
file's SHA-256, which ``OnnxPredictor`` checks so a file from another model is refused.
"""
import hashlib
import importlib.util
import os

import numpy as np

from ..errors import ConfigError, WeightsError
from ..io import cpu_threads

ONNX_FILE = 'model.onnx'
OPSET = 16

MEANINGS = {
    'image': 'the preprocessed image batch (see preprocessing)',
    'im_shape': '[[height, width]] of the image after preprocessing, before padding',
    'scale_factor': '[[height scale, width scale]]: preprocessed size over the original size',
    'probs': 'per face crop, the probability of each class (class_names order)',
    'bbox': 'rows [class, score, x1, y1, x2, y2] in original-image pixels; a row of class -1 is '
            'padding',
    'bbox_num': 'how many rows of bbox are faces (per image)',
    'faces_found': 'faces over the face threshold before the max_faces cap',
    'keypoints': 'per bbox row, 5 landmarks [x, y] (eyes, nose, mouth corners)',
    'emotion_probs': 'per bbox row, the probability of each expression (class_names order)',
}


def require(module, extra='onnx'):
    if importlib.util.find_spec(module) is None:
        raise ConfigError('ONNX needs {m}: pip install "ppdet-emotion[{e}]" (from a checkout: '
                          'pip install -e ".[{e}]")'.format(m=module, e=extra))


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def preprocessing(meta):
    """The preprocessing a user outside Paddle must do, in words."""
    if meta['kind'] == 'classifier':
        crop = ', centre crop {0}x{0}'.format(meta['input_spec']['crop']) \
            if meta['input_spec'].get('crop') else ''
        spec = meta['input_spec']
        return ('face crop -> {} -> resize to {r}x{r}{c} -> pixels / 255 -> (x - {m}) / {s} -> '
                'N x {ch} x H x W float32').format(
                    'grey' if spec['channels'] == 1 else 'RGB', r=spec['resize'], c=crop,
                    m=spec['mean'], s=spec['std'], ch=spec['channels'])
    return ('RGB image -> the ppdet ops in sample_transforms, in order (the model normalises '
            'itself) -> 1 x 3 x H x W float32; im_shape and scale_factor as described')


def convert(paddle_prefix, folder, meta):
    """Convert the Paddle model at ``paddle_prefix`` into ``folder/model.onnx``; returns the
    ``onnx`` section of its meta. ConfigError if paddle2onnx cannot convert it."""
    require('paddle2onnx')
    require('onnxruntime')
    import paddle2onnx
    from .export import model_file
    path = os.path.join(folder, ONNX_FILE)
    try:
        # no polygraphy pass (paddle2onnx's default): it pip-installs packages; ONNX Runtime
        # folds constants itself
        paddle2onnx.export(model_file(paddle_prefix), paddle_prefix + '.pdiparams', save_file=path,
                           opset_version=OPSET, enable_onnx_checker=True, verbose=False,
                           optimize_tool='')
        session = new_session(path, 1)
    except Exception:  # paddle2onnx logs why (an operator it lacks) and raises something else
        raise ConfigError('paddle2onnx {} could not convert this {} ({}); its log above names the '
                          'operator'.format(paddle2onnx.__version__, meta['kind'],
                                            meta['architecture'])) from None
    names = meta.get('output_names') or ['probs']
    return {'file': ONNX_FILE, 'opset': OPSET, 'paddle2onnx': paddle2onnx.__version__,
            'sha256': sha256(path), 'preprocessing': preprocessing(meta),
            'inputs': [describe(arg, arg.name) for arg in session.get_inputs()],
            'outputs': [describe(arg, name) for arg, name in zip(session.get_outputs(), names)]}


def describe(arg, name):
    shape = [d if isinstance(d, int) else None for d in arg.shape]
    return {'name': name, 'onnx_name': arg.name, 'shape': shape, 'type': arg.type,
            'meaning': MEANINGS.get(name, '')}


def new_session(path, threads):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(path, options, providers=['CPUExecutionProvider'])


class OnnxPredictor:
    """ONNX Runtime on the CPU over an ONNX folder, as ``engine.export.Predictor``."""

    def __init__(self, folder, meta, threads=None):
        require('onnxruntime')
        path = os.path.join(folder, ONNX_FILE)
        recorded = meta.get('onnx', {}).get('sha256')
        if recorded is None:
            raise WeightsError('{!r}: export_meta.json describes no ONNX model (export with '
                               'tools/export_model.py --onnx)'.format(folder))
        if sha256(path) != recorded:
            raise WeightsError('{!r} is not the model export_meta.json describes (its SHA-256 '
                               'differs): export it again with tools/export_model.py --onnx'
                               .format(path))
        self.session = new_session(path, threads or cpu_threads())
        self.inputs = [arg.name for arg in self.session.get_inputs()]

    def __call__(self, inputs):
        """``inputs``: dict of arrays by input name; returns the outputs in export order."""
        feed = {name: np.ascontiguousarray(inputs[name], dtype=np.float32) for name in self.inputs}
        return self.session.run(None, feed)
