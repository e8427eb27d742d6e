"""Export to a Paddle Inference model, and a CPU predictor (oneDNN) that runs it (or ONNX Runtime
for an ONNX folder, ``engine.onnx_model``).

Paddle 3 writes ``model.json`` (PIR) + ``model.pdiparams``; Paddle 2.6 writes ``model.pdmodel``.
"""
import os

import numpy as np
import paddle
import paddle.nn as nn
from paddle.static import InputSpec

from ..errors import WeightsError
from ..io import cpu_threads


EXPORT_META = 'export_meta.json'
# Outputs an exported detector or cascade may give, in the order they are saved.
DETECTOR_OUTPUTS = ('bbox', 'bbox_num', 'faces_found', 'keypoints', 'emotion_probs')


class ClassifierForExport(nn.Layer):
    """Face batch (N x C x S x S) -> probabilities (N x classes)."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, image):
        return self.classifier.classify(image)['probs']


class DetectorForExport(nn.Layer):
    """ppdet-style inputs -> the model's outputs named in ``DETECTOR_OUTPUTS`` (``names``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        model.eval()
        with paddle.no_grad():
            out = model({'image': paddle.zeros([1, 3, 64, 64]), 'im_shape': paddle.to_tensor(
                [[64.0, 64.0]]), 'scale_factor': paddle.ones([1, 2])})
        self.names = [name for name in DETECTOR_OUTPUTS if name in out]

    def forward(self, image, im_shape, scale_factor):
        out = self.model({'image': image, 'im_shape': im_shape, 'scale_factor': scale_factor})
        return tuple(out[name] for name in self.names)


def to_static(layer, input_spec):
    """``paddle.jit.to_static`` with a whole graph (Paddle 3 needs ``full_graph``)."""
    layer.eval()
    if paddle.__version__.startswith('2.'):
        return paddle.jit.to_static(layer, input_spec=input_spec)
    return paddle.jit.to_static(layer, input_spec=input_spec, full_graph=True)


def export_classifier(classifier, spec, output_prefix):
    """Save the classifier for Paddle Inference; returns the path prefix."""
    static = to_static(ClassifierForExport(classifier),
                       [InputSpec([None, spec.channels, spec.size, spec.size], 'float32', 'image')])
    paddle.jit.save(static, output_prefix)
    return output_prefix


def export_detector(model, output_prefix):
    """Save a face detector or the cascade (batch of one image of any size); returns the
    names of the saved outputs, in order."""
    detector = getattr(model, 'detector', model)
    if not getattr(detector, 'exportable', True):
        from ..errors import ConfigError
        raise ConfigError('{} as configured runs in dygraph only (an image pyramid or test-time '
                          'augmentation) and cannot be exported; use tools/infer.py, or export '
                          'a single-pass config'.format(type(detector).__name__))
    layer = DetectorForExport(model)
    static = to_static(layer, [
        InputSpec([1, 3, None, None], 'float32', 'image'),
        InputSpec([1, 2], 'float32', 'im_shape'),
        InputSpec([1, 2], 'float32', 'scale_factor')])
    paddle.jit.save(static, output_prefix)
    return layer.names


def model_file(prefix):
    for ext in ('.json', '.pdmodel'):
        if os.path.isfile(prefix + ext):
            return prefix + ext
    raise WeightsError('{!r} holds neither an ONNX model (model.onnx) nor a Paddle Inference '
                       'model (model.json or model.pdmodel): export one with '
                       'tools/export_model.py [--onnx]'.format(os.path.dirname(prefix)))


def open_predictor(model_dir, meta, onednn=True, threads=None):
    """The folder's model: ONNX Runtime when it holds ``model.onnx``, else Paddle Inference."""
    from .onnx_model import ONNX_FILE, OnnxPredictor
    if os.path.isfile(os.path.join(model_dir, ONNX_FILE)):
        return OnnxPredictor(model_dir, meta, threads)
    return Predictor(os.path.join(model_dir, 'model'), onednn, threads)


class Predictor:
    """Paddle Inference on the CPU; ``onednn`` turns on oneDNN kernels."""

    def __init__(self, prefix, onednn=True, threads=None):
        from paddle import inference
        config = inference.Config(model_file(prefix), prefix + '.pdiparams')
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(threads or cpu_threads())
        if onednn:
            config.enable_mkldnn()
        config.disable_glog_info()
        self.predictor = inference.create_predictor(config)

    def __call__(self, inputs):
        """``inputs``: dict of arrays by input name; returns the outputs in export order."""
        for name in self.predictor.get_input_names():
            array = np.ascontiguousarray(inputs[name], dtype=np.float32)
            handle = self.predictor.get_input_handle(name)
            handle.reshape(array.shape)
            handle.copy_from_cpu(array)
        self.predictor.run()
        return [self.predictor.get_output_handle(n).copy_to_cpu()
                for n in self.predictor.get_output_names()]
