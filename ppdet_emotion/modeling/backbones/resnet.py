"""ResNet-18 / ResNet-34 (basic blocks) with a stem chosen by config.

``stem: imagenet`` is the 7x7/2 conv + 3x3/2 max-pool for 224x224 input; ``stem: small`` is a
3x3 conv (stride 1 by default) without max-pool, for 48x48 grey faces.
"""
import paddle.nn as nn
import paddle.nn.functional as F
from ppdet.modeling.shape_spec import ShapeSpec

from ...errors import ConfigError
from ...registry import register
from ..layers import conv_bn

RESNET_BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}
STEMS = ('imagenet', 'small')


class BasicBlock(nn.Layer):
    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = conv_bn(in_channels, out_channels, 3, stride)
        self.conv2 = conv_bn(out_channels, out_channels, 3)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn(in_channels, out_channels, 1, stride)

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


@register
class EmotionResNet(nn.Layer):
    """ResNet with basic blocks.

    Args:
        depth (int): 18 or 34.
        stem (str): ``imagenet`` (7x7/2 + max-pool) or ``small`` (3x3/1, no pool).
        in_channels (int): 1 for grey, 3 for RGB.
        widths (list): channels of the 4 stages.
        stem_stride (int): stride of the ``small`` stem's conv (2 quarters the compute).
    """

    def __init__(self, depth: int = 18, stem: str = 'small', in_channels: int = 1,
                 widths: list = [64, 128, 256, 512], stem_stride: int = 1):
        super().__init__()
        if depth not in RESNET_BLOCKS:
            raise ConfigError('EmotionResNet.depth: expected one of {}, got {}'.format(
                sorted(RESNET_BLOCKS), depth))
        if stem not in STEMS:
            raise ConfigError('EmotionResNet.stem: expected one of {}, got {!r}'.format(STEMS, stem))
        if stem == 'imagenet':
            self.stem = nn.Sequential(conv_bn(in_channels, widths[0], 7, 2), nn.ReLU(),
                                      nn.MaxPool2D(3, 2, padding=1))
        else:
            self.stem = nn.Sequential(conv_bn(in_channels, widths[0], 3, stem_stride),
                                      nn.ReLU())
        blocks, channels = [], widths[0]
        for stage, (n_blocks, width) in enumerate(zip(RESNET_BLOCKS[depth], widths)):
            for i in range(n_blocks):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(channels, width, stride))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self._out_channels = channels

    def forward(self, inputs):
        return self.blocks(self.stem(inputs['image']))

    @property
    def out_shape(self):
        return [ShapeSpec(channels=self._out_channels)]
