"""VGG for expression classification: the VGG-16 layout, sizes set by config.

VGG-16 at 224x224 RGB is the default; a 48x48 grey variant is ``in_channels: 1``,
``pool_size: 1`` and smaller ``fc_sizes``, not new code.
"""
import paddle.nn as nn
from ppdet.modeling.shape_spec import ShapeSpec

from ...registry import register

# Convolutions per block for each depth (Simonyan & Zisserman, table 1).
VGG_BLOCKS = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}


@register
class EmotionVGG(nn.Layer):
    """VGG backbone: 5 blocks of 3x3 convs + max-pool, adaptive pool, then the FC layers.

    Args:
        depth (int): 11, 13, 16 or 19.
        widths (list): channels of the 5 blocks.
        in_channels (int): 1 for grey, 3 for RGB.
        fc_sizes (list): hidden FC sizes (4096, 4096 in VGG-16); empty for none.
        dropout (float): dropout after each hidden FC.
        pool_size (int): spatial size of the adaptive pool before the FCs.
        batch_norm (bool): BN after each conv.
    """

    def __init__(self, depth: int = 16, widths: list = [64, 128, 256, 512, 512],
                 in_channels: int = 3, fc_sizes: list = [4096, 4096], dropout: float = 0.5,
                 pool_size: int = 7, batch_norm: bool = False):
        super().__init__()
        if depth not in VGG_BLOCKS:
            from ...errors import ConfigError
            raise ConfigError('EmotionVGG.depth: expected one of {}, got {}'.format(
                sorted(VGG_BLOCKS), depth))
        layers, channels = [], in_channels
        for n_convs, width in zip(VGG_BLOCKS[depth], widths):
            for _ in range(n_convs):
                layers.append(nn.Conv2D(channels, width, 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2D(width))
                layers.append(nn.ReLU())
                channels = width
            layers.append(nn.MaxPool2D(2, 2))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2D(pool_size)
        fcs, size = [], channels * pool_size * pool_size
        for hidden in fc_sizes:
            fcs += [nn.Linear(size, hidden), nn.ReLU(), nn.Dropout(dropout)]
            size = hidden
        self.classifier = nn.Sequential(*fcs)
        self._out_channels = size

    def forward(self, inputs):
        x = self.pool(self.features(inputs['image']))
        return self.classifier(x.flatten(1))

    @property
    def out_shape(self):
        return [ShapeSpec(channels=self._out_channels)]
