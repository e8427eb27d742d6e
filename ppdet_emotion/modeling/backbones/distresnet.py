"""DistResNet: the bottleneck ResNet with ELU of the first FER2013 write-up, 128x128 grey input."""
import paddle.nn as nn
from ppdet.modeling.shape_spec import ShapeSpec

from ...registry import register
from ..layers import conv_bn


class Bottleneck(nn.Layer):
    """1x1 -> 3x3 (stride) -> 1x1 with 4x expansion; the last BN starts at zero."""

    expansion = 4

    def __init__(self, in_channels, width, stride):
        super().__init__()
        out_channels = width * self.expansion
        self.body = nn.Sequential(
            conv_bn(in_channels, width, 1), nn.ELU(),
            conv_bn(width, width, 3, stride), nn.ELU(),
            conv_bn(width, out_channels, 1, zero_bn=True))
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn(in_channels, out_channels, 1, stride)
        self.act = nn.ELU()

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.body(x) + identity)


@register
class DistResNet(nn.Layer):
    """3x3 conv-BN-ELU stem and 3x3/2 max-pool, then stages of bottleneck blocks.

    Args:
        in_channels (int): input channels (1: grey).
        stem_channels (int): stem width.
        widths (list): bottleneck widths of the stages (outputs are 4x).
        blocks_per_stage (int): blocks in each stage; the first block of stages 2+ has stride 2.
    """

    def __init__(self, in_channels: int = 1, stem_channels: int = 16,
                 widths: list = [16, 16, 32, 32, 64], blocks_per_stage: int = 3):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(in_channels, stem_channels, 3), nn.ELU(),
                                  nn.MaxPool2D(3, 2, padding=1))
        blocks, channels = [], stem_channels
        for stage, width in enumerate(widths):
            for i in range(blocks_per_stage):
                blocks.append(Bottleneck(channels, width, 2 if stage > 0 and i == 0 else 1))
                channels = width * Bottleneck.expansion
        self.blocks = nn.Sequential(*blocks)
        self._out_channels = channels

    def forward(self, inputs):
        return self.blocks(self.stem(inputs['image']))

    @property
    def out_shape(self):
        return [ShapeSpec(channels=self._out_channels)]
