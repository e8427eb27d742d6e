"""The networks of CenterFace (Star-Clouds/CenterFace): a MobileNetV2 backbone and the top-down
neck that brings its stride-32 map back to stride 4.

The released model has its batch norms folded into the convolutions (convolutions with a bias,
ReLU rather than ReLU6), except the neck's transposed convolutions, which keep theirs.
``tools/convert_centerface.py`` fills these layers from the ONNX graph in the order they run,
so the forward order matters.
"""
import paddle.nn as nn
from ppdet.modeling.shape_spec import ShapeSpec

from ...errors import ConfigError
from ...registry import register
from ..layers import check_return_idx, tapped_outputs

# MobileNetV2's [expansion, out_channels, repeats, stride] per stage.
MOBILENET_V2_STAGES = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                       [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


def conv_relu(in_channels, out_channels, kernel=1, stride=1, groups=1):
    return nn.Sequential(nn.Conv2D(in_channels, out_channels, kernel, stride=stride,
                                   padding=kernel // 2, groups=groups), nn.ReLU())


class InvertedResidual(nn.Layer):
    """1x1 expansion (unless ``expansion`` is 1), depthwise 3x3 with the stride, linear 1x1
    projection; the input is added back when the shape is unchanged."""

    def __init__(self, in_channels, out_channels, stride, expansion):
        super().__init__()
        mid = in_channels * expansion
        layers = [conv_relu(in_channels, mid)] if expansion != 1 else []
        layers += [conv_relu(mid, mid, 3, stride, groups=mid), nn.Conv2D(mid, out_channels, 1)]
        self.branch = nn.Sequential(*layers)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x):
        y = self.branch(x)
        return x + y if self.residual else y


@register
class CenterFaceMobileNetV2(nn.Layer):
    """MobileNetV2 (width 1.0): a stride-2 3x3 stem, then inverted-residual blocks.

    Args:
        stages (list): ``[expansion, out_channels, repeats, stride]`` per stage.
        return_idx (list): indices of the blocks (stem excluded) whose outputs are returned,
            finest first.
    """

    def __init__(self, stages: list = MOBILENET_V2_STAGES, return_idx: list = [2, 5, 12, 16]):
        super().__init__()
        self.stem = conv_relu(3, 32, 3, stride=2)
        blocks, shapes = [], []
        channels, stride = 32, 2
        for i, stage in enumerate(stages):
            if len(stage) != 4 or stage[3] not in (1, 2):
                raise ConfigError('CenterFaceMobileNetV2.stages[{}]: expected [expansion, '
                                  'out_channels, repeats, stride 1 or 2], got {}'.format(i, stage))
            expansion, out_channels, repeats, first_stride = stage
            for r in range(repeats):
                block_stride = first_stride if r == 0 else 1
                blocks.append(InvertedResidual(channels, out_channels, block_stride, expansion))
                channels, stride = out_channels, stride * block_stride
                shapes.append(ShapeSpec(channels=channels, stride=stride))
        self.return_idx = check_return_idx('CenterFaceMobileNetV2', return_idx, len(blocks))
        self.blocks = nn.LayerList(blocks)
        self._out_shape = [shapes[i] for i in self.return_idx]

    @property
    def out_shape(self):
        return self._out_shape

    def forward(self, inputs):
        return tapped_outputs(self.blocks, self.stem(inputs['image']), self.return_idx)


@register
class CenterFaceFPN(nn.Layer):
    """Top-down neck: ReLU(1x1 conv) of the coarsest map, then per finer level a stride-2 2x2
    transposed conv + BN + ReLU of the coarser result plus ReLU(1x1 conv) of the backbone map.
    Returns the finest level only (all ``channels`` wide).

    Every map must be exactly twice the size of the next coarser one: inputs whose sides are a
    multiple of the coarsest stride (the reader pads them, ``PadToMultiple: {divisor: 32}``).
    """

    def __init__(self, channels: int = 24, in_channels: list = [24, 32, 96, 320],
                 strides: list = [4, 8, 16, 32]):
        super().__init__()
        if any(b != 2 * a for a, b in zip(strides, strides[1:])):
            raise ConfigError('CenterFaceFPN: backbone maps must double their stride from one '
                              'to the next, got strides {}'.format(strides))
        self.top = conv_relu(in_channels[-1], channels)
        self.up = nn.LayerList()
        self.lateral = nn.LayerList()
        for ch in reversed(in_channels[:-1]):
            self.up.append(nn.Sequential(
                nn.Conv2DTranspose(channels, channels, 2, stride=2, bias_attr=False),
                nn.BatchNorm2D(channels, epsilon=1e-3), nn.ReLU()))
            self.lateral.append(conv_relu(ch, channels))
        self._out_shape = [ShapeSpec(channels=channels, stride=strides[0])]

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {'in_channels': [s.channels for s in input_shape],
                'strides': [s.stride for s in input_shape]}

    @property
    def out_shape(self):
        return self._out_shape

    def forward(self, feats):
        x = self.top(feats[-1])
        for level, (up, lateral) in enumerate(zip(self.up, self.lateral)):
            x = up(x) + lateral(feats[-2 - level])
        return [x]
