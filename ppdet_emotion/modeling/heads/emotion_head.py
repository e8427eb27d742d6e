"""EmotionHead: global pooling, dropout and an FC layer over the expression classes."""
from typing import Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...errors import ConfigError
from ...registry import register


@register
class EmotionHead(nn.Layer):
    """Classifier head with cross-entropy (label smoothing, class weights) for training.

    ``get_loss`` takes an optional second class and weight per face (``MixFaces``): the target is
    then ``w * onehot(a) + (1 - w) * onehot(b)``, class weights mixed the same way. Given a
    teacher's logits (knowledge distillation), a face's loss is ``(1 - distill_weight)`` times
    that cross-entropy plus ``distill_weight * T^2`` times the KL divergence from the teacher's
    softmax to this head's, both at temperature ``T``.

    Args:
        num_classes (int): number of expression classes.
        in_channels (int): feature channels (set from the backbone).
        dropout (float): dropout before the FC layer.
        label_smoothing (float): mass spread evenly over all classes in the target.
        class_weights (list|None): one loss weight per class.
        distill_weight (float): share of the distillation term, in [0, 1).
        distill_temperature (float): the softmax temperature ``T`` of the distillation term.
    """
    __shared__ = ['num_classes']

    def __init__(self, num_classes: int = 7, in_channels: int = 512, dropout: float = 0.0,
                 label_smoothing: float = 0.0, class_weights: Optional[list] = None,
                 distill_weight: float = 0.0, distill_temperature: float = 1.0):
        super().__init__()
        if class_weights is not None and len(class_weights) != num_classes:
            raise ConfigError('EmotionHead.class_weights: expected {} weights, got {}'.format(
                num_classes, len(class_weights)))
        if not 0 <= distill_weight < 1:
            raise ConfigError('EmotionHead.distill_weight: expected a number in [0, 1), got '
                              '{!r}'.format(distill_weight))
        if distill_temperature <= 0:
            raise ConfigError('EmotionHead.distill_temperature: expected a positive number, '
                              'got {!r}'.format(distill_temperature))
        self.distill_weight, self.distill_temperature = distill_weight, distill_temperature
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.class_weights = class_weights
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, num_classes)

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {'in_channels': input_shape[0].channels}

    def forward(self, feats):
        if feats.ndim == 4:
            feats = F.adaptive_avg_pool2d(feats, 1).flatten(1)
        return self.fc(self.dropout(feats))

    def get_loss(self, logits, labels, mix_labels=None, mix_weight=None, teacher_logits=None):
        labels = labels.reshape([-1]).astype('int64')
        target = F.one_hot(labels, self.num_classes)
        if mix_labels is not None:
            mix_labels = mix_labels.reshape([-1]).astype('int64')
            share = mix_weight.reshape([-1, 1]).astype(logits.dtype)
            target = share * target + (1 - share) * F.one_hot(mix_labels, self.num_classes)
        # A face's class weight is the mean over its (mixed) target, taken before smoothing.
        weights = None if self.class_weights is None else (
            target * paddle.to_tensor(self.class_weights, dtype=logits.dtype)).sum(-1)
        if self.label_smoothing > 0:
            target = target * (1 - self.label_smoothing) + self.label_smoothing / self.num_classes
        per_sample = -(target * F.log_softmax(logits, axis=-1)).sum(-1)
        if teacher_logits is not None and self.distill_weight > 0:
            t = self.distill_temperature
            teacher_log = F.log_softmax(teacher_logits.astype(logits.dtype) / t, axis=-1)
            distill = (teacher_log.exp() * (teacher_log - F.log_softmax(logits / t, axis=-1))
                       ).sum(-1) * t * t
            per_sample = (1 - self.distill_weight) * per_sample + self.distill_weight * distill
        if weights is None:
            return per_sample.mean()
        return (per_sample * weights).sum() / weights.sum()
