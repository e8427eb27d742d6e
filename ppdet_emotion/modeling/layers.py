"""Small building blocks shared by the classifier backbones."""
import paddle.nn as nn


def conv_bn(in_channels, out_channels, kernel, stride=1, zero_bn=False):
    """Conv (no bias, 'same' padding) + BN; ``zero_bn`` starts the BN scale at zero."""
    bn = nn.BatchNorm2D(out_channels,
                        weight_attr=nn.initializer.Constant(0.0) if zero_bn else None)
    return nn.Sequential(
        nn.Conv2D(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
                  bias_attr=False), bn)
