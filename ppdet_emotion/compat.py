"""Fixes for ppdet 2.6 under today's Paddle, each a registered subclass that configs name."""
import paddle
from paddle import _C_ops
from ppdet.modeling.layers import AnchorGeneratorSSD, MultiClassNMS, _to_list
from ppdet.modeling.losses.ssd_loss import SSDLoss

from .modeling.prior_boxes import prior_boxes, prior_sizes
from .registry import register, register_serializable



def in_pir_static():
    """True while tracing a Paddle 3 (PIR) static graph, e.g. in tools/export_model.py."""
    return getattr(paddle.framework, 'in_pir_mode', lambda: False)()


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


@register_serializable
class AnchorGeneratorSSDCompat(AnchorGeneratorSSD):
    """ppdet's SSD anchor generator that also exports under Paddle 3, in a form ONNX takes.

    Exporting BlazeFace under Paddle 3 fails in ``ppdet.modeling.ops.prior_box`` with ``TypeError:
    The type of '%Input' in operator prior_box should be one of [str, bytes, Variable]``: its
    static branch builds an old-IR op from PIR values. While tracing a PIR graph the priors come
    from plain tensor ops instead (``modeling.prior_boxes``: the op's boxes, which paddle2onnx
    can convert, unlike the op); eager mode and Paddle 2.6 keep ppdet's code.
    """

    def __call__(self, inputs, image):
        if not in_pir_static():
            return AnchorGeneratorSSD.__call__(self, inputs, image)  # super() breaks dy2static on 2.6
        return [prior_boxes(feat, image, prior_sizes(
                    _to_list(min_size), _to_list(max_size), ratios, self.flip,
                    self.min_max_aspect_ratios_order), step, self.offset, self.clip)
                for feat, min_size, max_size, ratios, step in zip(
                    inputs, self.min_sizes, self.max_sizes, self.aspect_ratios, self.steps)]


@register_serializable
class MultiClassNMSCompat(MultiClassNMS):
    """ppdet's multi-class NMS that also exports under Paddle 3.

    ``ppdet.modeling.ops.multiclass_nms`` has the same old-IR static branch as ``prior_box``;
    while tracing a PIR graph this calls ``_C_ops.multiclass_nms3`` instead.
    """

    def __call__(self, bboxes, score, background_label=-1):
        if not in_pir_static() or isinstance(bboxes, tuple) or self.trt:
            return MultiClassNMS.__call__(self, bboxes, score, background_label)
        out, index, num = _C_ops.multiclass_nms3(
            bboxes, score, None, self.score_threshold, self.nms_top_k, self.keep_top_k,
            self.nms_threshold, self.normalized, self.nms_eta, background_label)
        return out, num, index if self.return_index else None
