"""Box arithmetic shared by the face detectors and the WIDER FACE evaluation (numpy, x1 y1 x2 y2)."""
import numpy as np


def iou_matrix(a, b, plus_one=False):
    """IoU of every box of ``a`` (N x 4) with every box of ``b`` (M x 4): N x M.

    ``plus_one``: pixel-inclusive sizes (``x2 - x1 + 1``), as the official WIDER FACE evaluation;
    otherwise plain corner arithmetic, as MediaPipe. An empty union gives IoU 0.
    """
    one = 1.0 if plus_one else 0.0
    wh = (np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2])
          + one).clip(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: (x[:, 2] - x[:, 0] + one) * (x[:, 3] - x[:, 1] + one)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_merge(boxes, scores, iou_threshold, keep_top_k=-1, extras=None, plus_one=False):
    """Score-weighted box voting (MediaPipe's ``WEIGHTED`` non-maximum suppression).

    From the best remaining box, it and every remaining box overlapping it by more than
    ``iou_threshold`` become one: their score-weighted mean, with the best box's score.
    ``extras`` (M x ..., e.g. keypoints) are averaged with the same weights. At most
    ``keep_top_k`` results (-1: all). Returns (boxes K x 4, scores K, extras K x ... or None),
    best first, float32.
    """
    order = np.argsort(-scores, kind='stable')
    boxes, scores = boxes[order], scores[order]
    extras = None if extras is None else extras[order]
    out_boxes, out_scores, out_extras = [], [], []
    remaining = np.arange(len(scores))
    while remaining.size and (keep_top_k < 0 or len(out_scores) < keep_top_k):
        merged = iou_matrix(boxes[remaining[:1]], boxes[remaining], plus_one)[0] > iou_threshold
        merged[0] = True
        members = remaining[merged]
        weights = scores[members] + np.finfo('float32').tiny  # all-zero scores: plain mean
        weights = weights / weights.sum()
        out_boxes.append(weights @ boxes[members])
        out_scores.append(scores[remaining[0]])
        if extras is not None:
            out_extras.append(np.tensordot(weights, extras[members], 1))
        remaining = remaining[~merged]
    merged_extras = None if extras is None else np.array(out_extras, 'float32').reshape(
        (-1,) + extras.shape[1:])
    return (np.array(out_boxes, 'float32').reshape(-1, 4), np.array(out_scores, 'float32'),
            merged_extras)
