"""Head and post-processing of CenterFace: a face-centre heatmap, box sizes, centre offsets and
five landmarks per stride-4 cell, decoded into boxes and suppressed with ppdet's NMS."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...registry import register
from ..backbones.centerface import conv_relu
from ..padding import count_in_last_image, no_detection_row

# Landmark order: left eye, right eye, nose, left mouth corner, right mouth corner (image left
# and right). A horizontal flip swaps the pairs.
FLIP_LANDMARKS = [1, 0, 2, 4, 3]


@register
class CenterFaceHead(nn.Layer):
    """ReLU(3x3 conv), then four 1x1 convs: heatmap (sigmoid), log box size (height, width),
    centre offset (y, x) and landmark offsets (y, x per landmark, in box sizes).

    Args:
        feat_channels (int): channels of the 3x3 conv.
        num_landmarks (int): landmarks per face.
        in_channels (int): channels of the neck's map (set from the neck).
    """

    def __init__(self, feat_channels: int = 24, num_landmarks: int = 5, in_channels: int = 24):
        super().__init__()
        self.feat = conv_relu(in_channels, feat_channels, 3)
        self.heatmap = nn.Conv2D(feat_channels, 1, 1)
        self.size = nn.Conv2D(feat_channels, 2, 1)
        self.offset = nn.Conv2D(feat_channels, 2, 1)
        self.landmarks = nn.Conv2D(feat_channels, 2 * num_landmarks, 1)
        self.num_landmarks = num_landmarks

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {'in_channels': input_shape[0].channels}

    def forward(self, feats):
        """The four maps as the ONNX model gives them: N x {1, 2, 2, 2K} x H/4 x W/4."""
        x = self.feat(feats[0])
        return (F.sigmoid(self.heatmap(x)), self.size(x), self.offset(x), self.landmarks(x))


def decode_maps(heatmap, size, offset, landmarks, stride):
    """Every cell as a candidate, in input pixels: boxes N x HW x 4 (x1 y1 x2 y2), scores
    N x 1 x HW, landmarks N x HW x K x 2 (x, y).

    As CenterFace's authors decode: box size ``exp(size) * stride``, centre ``(cell + offset +
    0.5) * stride``, landmarks offsets from the box's top-left corner in units of its size.
    """
    shape = paddle.shape(heatmap)
    n, h, w = shape[0], shape[2], shape[3]
    gy, gx = paddle.meshgrid(paddle.arange(h).astype('float32'),
                             paddle.arange(w).astype('float32'))
    cy = (gy + offset[:, 0] + 0.5) * stride
    cx = (gx + offset[:, 1] + 0.5) * stride
    bh, bw = paddle.exp(size[:, 0]) * stride, paddle.exp(size[:, 1]) * stride
    x1, y1 = cx - bw / 2, cy - bh / 2
    boxes = paddle.stack([x1, y1, x1 + bw, y1 + bh], axis=-1).reshape([n, -1, 4])
    k = landmarks.shape[1] // 2
    lm = landmarks.reshape([n, k, 2, h, w])
    lm_x = lm[:, :, 1] * bw.unsqueeze(1) + x1.unsqueeze(1)
    lm_y = lm[:, :, 0] * bh.unsqueeze(1) + y1.unsqueeze(1)
    points = paddle.stack([lm_x, lm_y], axis=-1).transpose([0, 2, 3, 1, 4]).reshape([n, -1, k, 2])
    return boxes, heatmap.reshape([n, 1, -1]), points


def clip_to(boxes, im_shape):
    """Clip N x M x 4 boxes to each image's ``im_shape`` (h, w)."""
    limit = paddle.concat([im_shape[:, 1:], im_shape[:, :1]] * 2, axis=1).unsqueeze(1)
    return paddle.minimum(boxes.clip(min=0), limit)


@register
class CenterFacePostProcess(object):
    """Decode the maps (``decode_maps``), clip boxes to the image, suppress with ``nms``
    (ppdet's MultiClassNMS with ``return_index``), scale to original-image pixels.

    Returns ``bbox`` (M x 6: class 0, score, x1, y1, x2, y2), ``bbox_num`` and ``keypoints``
    (M x K x 2), with the padding row of ``ppdet_emotion.modeling.padding`` at the end (counted
    in ``bbox_num``).

    Args:
        nms: a ``MultiClassNMSCompat`` with ``return_index: true``; its ``score_threshold`` is
            the lowest heatmap score kept.
        stride (int): the heatmap's stride in input pixels.
    """
    __inject__ = ['nms']

    def __init__(self, nms=None, stride: int = 4):
        self.nms = nms
        self.stride = stride

    def __call__(self, maps, im_shape, scale_factor):
        boxes, scores, points = decode_maps(*maps, stride=self.stride)
        boxes = clip_to(boxes, im_shape)
        bbox, bbox_num, index = self.nms(boxes, scores)
        # The padding row goes on first (by gathering, as no tensor may be empty), so the
        # arithmetic below never sees an empty one.
        flat = points.reshape([-1] + points.shape[2:])
        pad_index = paddle.shape(flat)[:1].astype(index.dtype)
        points = paddle.gather(paddle.concat([flat, paddle.zeros([1] + flat.shape[1:])]),
                               paddle.concat([index.flatten(), pad_index]))
        bbox = paddle.concat([bbox, no_detection_row(bbox.dtype)])
        bbox_num = count_in_last_image(bbox_num)
        factor = paddle.concat([scale_factor[:, 1:], scale_factor[:, :1]], axis=1)  # (x, y)
        factor = paddle.repeat_interleave(factor, bbox_num.astype('int64'), axis=0)
        return {'bbox': paddle.concat([bbox[:, :2], bbox[:, 2:] / paddle.tile(factor, [1, 2])], 1),
                'bbox_num': bbox_num, 'keypoints': points / factor.unsqueeze(1)}
