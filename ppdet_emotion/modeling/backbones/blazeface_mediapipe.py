"""The BlazeBlock networks of Google's MediaPipe face detectors (short- and full-range BlazeFace).

Layers mirror the TFLite graphs: convolutions pad like TensorFlow's 'SAME' (the odd pixel goes
bottom/right), a block's shortcut is max-pooled when it downsamples and zero-padded in channels
when it widens, and ReLU follows the sum. ``tools/convert_mediapipe_blazeface.py`` fills these
layers from the ``.tflite`` files in the order they run, so the forward order matters.
"""
import paddle.nn as nn
import paddle.nn.functional as F
from ppdet.modeling.shape_spec import ShapeSpec

from ...errors import ConfigError
from ...registry import register
from ..layers import check_return_idx, tapped_outputs

# [out_channels, mid_channels (0: single block), stride] of the short-range (128x128) model.
SHORT_RANGE_BLOCKS = [[24, 0, 1], [28, 0, 1], [32, 0, 2], [36, 0, 1], [42, 0, 1], [48, 0, 2],
                      [56, 0, 1], [64, 0, 1], [72, 0, 1], [80, 0, 1], [88, 0, 1], [96, 0, 2],
                      [96, 0, 1], [96, 0, 1], [96, 0, 1], [96, 0, 1]]


def depthwise(channels, stride=1):
    return nn.Conv2D(channels, channels, 3, stride=stride, padding='SAME', groups=channels)


def pointwise(in_channels, out_channels):
    return nn.Conv2D(in_channels, out_channels, 1)


class BlazeBlock(nn.Layer):
    """Depthwise 3x3 (with the stride) + 1x1 conv; with ``mid_channels`` a second pair after a
    ReLU (the full-range model's bottleneck). Output: ReLU(shortcut + branch)."""

    def __init__(self, in_channels, out_channels, mid_channels=0, stride=1):
        super().__init__()
        layers = [depthwise(in_channels, stride),
                  pointwise(in_channels, mid_channels or out_channels)]
        if mid_channels:
            layers += [nn.ReLU(), depthwise(mid_channels), pointwise(mid_channels, out_channels)]
        self.branch = nn.Sequential(*layers)
        self.pool = nn.MaxPool2D(2, 2, padding='SAME') if stride == 2 else None
        self.extra_channels = out_channels - in_channels

    def forward(self, x):
        y = self.branch(x)
        if self.pool is not None:
            x = self.pool(x)
        if self.extra_channels:
            x = F.pad(x, [0, 0, 0, self.extra_channels, 0, 0, 0, 0])
        return F.relu(x + y)


@register
class MediaPipeBlazeNet(nn.Layer):
    """Stem conv (stride 2) + BlazeBlocks; returns the outputs of the blocks in ``return_idx``.

    Args:
        stem_channels (int): output channels of the stem conv.
        stem_kernel (int): its kernel size (5 short-range, 3 full-range).
        blocks (list): ``[out_channels, mid_channels, stride]`` per block; mid 0 = single block.
        return_idx (list): indices of the blocks whose outputs are returned, finest first.
    """

    def __init__(self, stem_channels: int = 24, stem_kernel: int = 5,
                 blocks: list = SHORT_RANGE_BLOCKS, return_idx: list = [10, 15]):
        super().__init__()
        self.return_idx = check_return_idx('MediaPipeBlazeNet', return_idx, len(blocks))
        self.stem = nn.Conv2D(3, stem_channels, stem_kernel, stride=2, padding='SAME')
        layers, shapes = [], []
        channels, stride = stem_channels, 2
        for i, block in enumerate(blocks):
            if len(block) != 3 or block[2] not in (1, 2):
                raise ConfigError('MediaPipeBlazeNet.blocks[{}]: expected [out_channels, '
                                  'mid_channels, stride 1 or 2], got {}'.format(i, block))
            out_channels, mid_channels, block_stride = block
            layers.append(BlazeBlock(channels, out_channels, mid_channels, block_stride))
            channels, stride = out_channels, stride * block_stride
            shapes.append(ShapeSpec(channels=channels, stride=stride))
        self.blocks = nn.LayerList(layers)
        self._out_shape = [shapes[i] for i in self.return_idx]

    @property
    def out_shape(self):
        return self._out_shape

    def forward(self, inputs):
        return tapped_outputs(self.blocks, F.relu(self.stem(inputs['image'])), self.return_idx)


@register
class MediaPipeBlazeFPN(nn.Layer):
    """Top-down decoder of the full-range model, from the coarsest backbone map to the finest.

    At each finer level: ReLU(1x1 conv) of the coarser result, bilinearly upsampled (half-pixel
    centres), plus ReLU(1x1 conv) of the backbone map, then bottleneck BlazeBlocks (mid = half).
    Returns the finest level only.

    Args:
        channels (list): channels of each level, coarse to fine (one fewer than backbone maps).
        num_blocks (list): BlazeBlocks per level.
    """

    def __init__(self, channels: list = [96, 64, 48], num_blocks: list = [2, 2, 1],
                 in_channels: list = [64, 128, 256, 384], strides: list = [4, 8, 16, 32]):
        super().__init__()
        if not len(channels) == len(num_blocks) == len(in_channels) - 1:
            raise ConfigError('MediaPipeBlazeFPN: channels ({}) and num_blocks ({}) need one entry '
                              'per backbone map but the coarsest ({} maps)'.format(
                                  len(channels), len(num_blocks), len(in_channels)))
        self.top, self.lateral, self.levels = nn.LayerList(), nn.LayerList(), nn.LayerList()
        above = in_channels[-1]
        for level, (ch, n) in enumerate(zip(channels, num_blocks)):
            self.top.append(pointwise(above, ch))
            self.lateral.append(pointwise(in_channels[-2 - level], ch))
            self.levels.append(nn.Sequential(*[BlazeBlock(ch, ch, ch // 2) for _ in range(n)]))
            above = ch
        self._out_shape = [ShapeSpec(channels=channels[-1], stride=strides[-len(channels) - 1])]

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {'in_channels': [s.channels for s in input_shape],
                'strides': [s.stride for s in input_shape]}

    @property
    def out_shape(self):
        return self._out_shape

    def forward(self, feats):
        x = feats[-1]
        for level, (top, lateral, blocks) in enumerate(zip(self.top, self.lateral, self.levels)):
            up = F.relu(top(x))
            lat = F.relu(lateral(feats[-2 - level]))
            up = F.interpolate(up, size=lat.shape[2:], mode='bilinear', align_corners=False,
                               align_mode=0)
            x = blocks(lat + up)
        return [x]
