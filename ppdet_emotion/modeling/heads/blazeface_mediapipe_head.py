"""Head and post-processing of Google's MediaPipe BlazeFace: SSD-style 1x1 convs over MediaPipe's
fixed-size anchors, box + keypoint decoding, and MediaPipe's weighted non-maximum suppression."""
import math

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...boxes import weighted_merge
from ...errors import ConfigError
from ...registry import register


def anchor_layout(strides, aspect_ratios, interpolated_scale_aspect_ratio):
    """``[[stride, anchors per cell], ...]``, one entry per feature map.

    As MediaPipe's SSD anchor options have it: each anchor layer puts one anchor per aspect
    ratio, plus one when ``interpolated_scale_aspect_ratio`` > 0, on every cell; consecutive
    layers of one stride share a feature map.
    """
    per_layer = len(aspect_ratios) + (1 if interpolated_scale_aspect_ratio > 0 else 0)
    layout = []
    for stride in strides:
        if layout and layout[-1][0] == stride:
            layout[-1][1] += per_layer
        else:
            layout.append([stride, per_layer])
    return layout


def anchor_centers(layout, height, width, offset=0.5):
    """Anchor centres (A x 2, x and y in input pixels) in the models' order: map by map,
    row-major over cells, the cell's anchors last. Anchors have MediaPipe's fixed size 1."""
    parts = []
    for stride, per_cell in layout:
        ys, xs = np.meshgrid(np.arange(math.ceil(height / stride)),
                             np.arange(math.ceil(width / stride)), indexing='ij')
        cells = (np.stack([xs, ys], -1).reshape(-1, 2) + offset) * stride
        parts.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(parts).astype('float32')


@register
class MediaPipeBlazeHead(nn.Layer):
    """Per feature map a 1x1 classifier (one logit per anchor) and regressor (box + keypoints).

    Raw regressor values are offsets in model-input pixels (MediaPipe's ``x_scale`` equals the
    input size and anchors have size 1): box centre x, y, width, height, then x, y per keypoint.

    Args:
        strides (list): MediaPipe's anchor ``strides``, one per anchor layer.
        aspect_ratios (list): MediaPipe's ``aspect_ratios`` (only their count matters for
            fixed-size anchors).
        interpolated_scale_aspect_ratio (float): > 0 adds one anchor per layer and cell.
        anchor_offset (float): cell offset of the anchor centres.
        num_keypoints (int): keypoints per face.
        in_channels (list): channels of each feature map (set from the backbone or neck).
    """

    def __init__(self, strides: list = [8, 16, 16, 16], aspect_ratios: list = [1.0],
                 interpolated_scale_aspect_ratio: float = 1.0, anchor_offset: float = 0.5,
                 num_keypoints: int = 6, in_channels: list = [88, 96]):
        super().__init__()
        self.layout = anchor_layout(strides, aspect_ratios, interpolated_scale_aspect_ratio)
        if len(self.layout) != len(in_channels):
            raise ConfigError('MediaPipeBlazeHead.strides {} give {} feature maps but the '
                              'network feeds {}'.format(strides, len(self.layout),
                                                         len(in_channels)))
        self.anchor_offset = anchor_offset
        self.num_keypoints = num_keypoints
        self.num_coords = 4 + 2 * num_keypoints
        self.classifiers = nn.LayerList(
            [nn.Conv2D(c, n, 1) for c, (_, n) in zip(in_channels, self.layout)])
        self.regressors = nn.LayerList(
            [nn.Conv2D(c, n * self.num_coords, 1) for c, (_, n) in zip(in_channels, self.layout)])

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {'in_channels': [s.channels for s in input_shape]}

    @staticmethod
    def _flatten(x, values):
        """N x (A*values) x H x W -> N x (H*W*A) x values (NHWC order, as the TFLite models)."""
        return x.transpose([0, 2, 3, 1]).reshape([x.shape[0], -1, values])

    def forward(self, feats):
        """Raw outputs as the TFLite models give them: regressors N x A x 16, logits N x A."""
        logits = [self._flatten(conv(f), 1) for conv, f in zip(self.classifiers, feats)]
        boxes = [self._flatten(conv(f), self.num_coords) for conv, f in zip(self.regressors, feats)]
        return paddle.concat(boxes, 1), paddle.concat(logits, 1).squeeze(-1)

    def anchors(self, height, width):
        return paddle.to_tensor(anchor_centers(self.layout, height, width, self.anchor_offset))

    def decode(self, raw_boxes, logits, anchors):
        """Boxes N x A x 4 (x1, y1, x2, y2) and keypoints N x A x K x 2 in input pixels, and
        scores N x A."""
        centre = raw_boxes[..., :2] + anchors
        half = raw_boxes[..., 2:4] / 2
        boxes = paddle.concat([centre - half, centre + half], -1)
        keypoints = raw_boxes[..., 4:].reshape(
            raw_boxes.shape[:2] + [self.num_keypoints, 2]) + anchors.unsqueeze(1)
        scores = F.sigmoid(logits.clip(-100.0, 100.0))
        return boxes, keypoints, scores


@register
class MediaPipeWeightedNMS(object):
    """MediaPipe's non-maximum suppression, ``WEIGHTED`` algorithm.

    From the best remaining detection, every remaining one with IoU above ``iou_threshold``
    (itself included) is merged: box corners and keypoints are averaged weighted by score; the
    score stays the best one's.

    Args:
        score_threshold (float): detections below it are dropped first (MediaPipe: 0.5 short
            range, 0.6 full range).
        iou_threshold (float): MediaPipe's ``min_suppression_threshold``.
        keep_top_k (int): at most this many faces per image (-1: all).
    """

    def __init__(self, score_threshold: float = 0.5, iou_threshold: float = 0.3,
                 keep_top_k: int = 100):
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.keep_top_k = keep_top_k

    def __call__(self, boxes, scores, keypoints):
        """Numpy arrays of one image: boxes M x 4, scores M, keypoints M x K x 2.

        Returns (boxes, scores, keypoints) of the kept faces, best first.
        """
        keep = scores >= self.score_threshold
        return weighted_merge(boxes[keep], scores[keep], self.iou_threshold, self.keep_top_k,
                              keypoints[keep])
