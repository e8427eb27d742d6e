"""Export to a Paddle Inference model, and a CPU predictor (oneDNN) that runs it.

Paddle 3 writes ``model.json`` (PIR) + ``model.pdiparams``; Paddle 2.6 writes ``model.pdmodel``.
"""
import os

import numpy as np
import paddle
import paddle.nn as nn
from paddle.static import InputSpec

from ..errors import WeightsError


class ClassifierForExport(nn.Layer):
    """Face batch (N x C x S x S) -> probabilities (N x classes)."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, image):
        return self.classifier.classify(image)['probs']


def to_static(layer, input_spec):
    """``paddle.jit.to_static`` with a whole graph (Paddle 3 needs ``full_graph``)."""
    layer.eval()
    if paddle.__version__.startswith('2.'):
        return paddle.jit.to_static(layer, input_spec=input_spec)
    return paddle.jit.to_static(layer, input_spec=input_spec, full_graph=True)


def export_classifier(classifier, spec, output_prefix):
    """Save the classifier for Paddle Inference; returns the path prefix."""
    size = spec['crop'] or spec['resize']
    static = to_static(ClassifierForExport(classifier),
                       [InputSpec([None, spec['channels'], size, size], 'float32', 'image')])
    paddle.jit.save(static, output_prefix)
    return output_prefix


def model_file(prefix):
    for ext in ('.json', '.pdmodel'):
        if os.path.isfile(prefix + ext):
            return prefix + ext
    raise WeightsError('no exported model at {!r} (.json or .pdmodel)'.format(prefix))


class Predictor:
    """Paddle Inference on the CPU; ``onednn`` turns on oneDNN kernels."""

    def __init__(self, prefix, onednn=True, threads=2):
        from paddle import inference
        config = inference.Config(model_file(prefix), prefix + '.pdiparams')
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(threads)
        if onednn:
            config.enable_mkldnn()
        config.disable_glog_info()
        self.predictor = inference.create_predictor(config)

    def __call__(self, *arrays):
        for name, array in zip(self.predictor.get_input_names(), arrays):
            handle = self.predictor.get_input_handle(name)
            handle.reshape(array.shape)
            handle.copy_from_cpu(np.ascontiguousarray(array))
        self.predictor.run()
        return [self.predictor.get_output_handle(n).copy_to_cpu()
                for n in self.predictor.get_output_names()]
