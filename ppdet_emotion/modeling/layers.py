"""Small building blocks shared by the backbones."""
import paddle.nn as nn

from ..errors import ConfigError


def conv_bn(in_channels, out_channels, kernel, stride=1, zero_bn=False):
    """Conv (no bias, 'same' padding) + BN; ``zero_bn`` starts the BN scale at zero."""
    bn = nn.BatchNorm2D(out_channels,
                        weight_attr=nn.initializer.Constant(0.0) if zero_bn else None)
    return nn.Sequential(
        nn.Conv2D(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
                  bias_attr=False), bn)


def check_return_idx(owner, return_idx, num_blocks):
    """ConfigError naming ``owner.return_idx`` unless it holds increasing block indices."""
    if not return_idx or any(b <= a for a, b in zip(return_idx, return_idx[1:])) or not (
            0 <= return_idx[0] and return_idx[-1] < num_blocks):
        raise ConfigError('{}.return_idx: expected increasing block indices below {}, got '
                          '{}'.format(owner, num_blocks, return_idx))
    return list(return_idx)


def tapped_outputs(blocks, x, return_idx):
    """Run ``blocks`` in order on ``x``; the outputs of the blocks in ``return_idx``."""
    feats = []
    for i, block in enumerate(blocks):
        x = block(x)
        if i in return_idx:
            feats.append(x)
    return feats
