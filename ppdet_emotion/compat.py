"""Fixes for ppdet 2.6 under today's Paddle, each a registered subclass that configs name."""
import paddle
from ppdet.modeling.losses.ssd_loss import SSDLoss

from .registry import register


@register
class SSDLossCompat(SSDLoss):
    """ppdet's SSDLoss (BlazeFace, SSD) that trains on Paddle 3 as well as on 2.6.

    Under Paddle 3, ``SSDLoss._mine_hard_example`` fails with ``TypeError: (InvalidType) Type
    promotion only support calculations between floating-point numbers ... x: int64, y:
    float32``: it compares the int64 rank of each negative's loss with a float32 count of
    negatives to keep. Here the rank is cast to the count's dtype; the mining is otherwise the
    same (per image, keep the ``neg_pos_ratio`` x positives hardest negatives, or
    ``mine_neg_ratio`` of all priors when the image has no positive), computed without a loop.
    """

    def _mine_hard_example(self, conf_loss, targets_label, bg_index, mine_neg_ratio=0.01):
        pos = targets_label != bg_index
        num_priors = conf_loss.shape[1]
        neg_loss = conf_loss.detach() * (~pos).astype(conf_loss.dtype)
        rank = neg_loss.argsort(axis=1, descending=True).argsort(axis=1).astype(conf_loss.dtype)
        num_neg = (pos.astype(conf_loss.dtype).sum(axis=1, keepdim=True)
                   * self.neg_pos_ratio).clip(max=num_priors)
        num_neg = paddle.where(num_neg > 0, num_neg,
                               paddle.full_like(num_neg, num_priors * mine_neg_ratio))
        return (rank < num_neg) | pos
