"""EmotionPostProcess: detector boxes -> face crops -> expressions, in one batched forward.

Crops are cut from the detector's own input tensor with RoI-Align (so the cascade stays one
graph that exports), converted to the classifier's input spec (grey or RGB, size, mean/std).
The input spec and class names come from the expression weights' meta (see ``configure``).
"""
import paddle
import paddle.nn as nn
from paddle.vision.ops import roi_align

from ..registry import register

GREY_WEIGHTS = (0.299, 0.587, 0.114)


@register
class EmotionPostProcess(nn.Layer):
    """Pick faces, crop them square and classify them.

    Args:
        face_threshold (float): faces below this detector score are dropped.
        max_faces (int): at most this many faces per image (highest scores first).
        expand (float): the square crop's side is ``expand`` x the longer box side.
    """

    def __init__(self, face_threshold: float = 0.5, max_faces: int = 16, expand: float = 1.1):
        super().__init__()
        self.face_threshold = face_threshold
        self.max_faces = max_faces
        self.expand = expand
        self.spec = None
        self.det_mean = self.det_std = None

    def configure(self, spec, det_mean, det_std):
        """Set the classifier input spec and the detector's normalisation (pixel units)."""
        self.spec = spec
        self.det_mean = paddle.to_tensor(det_mean, dtype='float32').reshape([1, 3, 1, 1])
        self.det_std = paddle.to_tensor(det_std, dtype='float32').reshape([1, 3, 1, 1])

    def select(self, bbox, bbox_num):
        """Indices of kept boxes and the kept count per image.

        Boxes arrive grouped by image and sorted by score within each image (ppdet's NMS order).
        """
        image_of = paddle.repeat_interleave(paddle.arange(bbox_num.shape[0]), bbox_num.astype('int64'))
        starts = paddle.cumsum(bbox_num.astype('int64')) - bbox_num.astype('int64')
        rank = paddle.arange(bbox.shape[0]) - paddle.gather(starts, image_of)
        keep = (bbox[:, 1] >= self.face_threshold) & (bbox[:, 0] >= 0) & (rank < self.max_faces)
        index = paddle.nonzero(keep).flatten()
        counts = paddle.bincount(paddle.gather(image_of, index), minlength=bbox_num.shape[0])
        return index, counts.astype('int32')

    def crop_boxes(self, boxes, inputs, image_of):
        """Square, expanded crop boxes in input-tensor pixels, shrunk to the spec's centre crop.

        Boxes are first clipped to the image, so a wild box cannot ask for a huge crop.
        """
        scale = paddle.gather(inputs['scale_factor'], image_of)  # [sy, sx] per box
        size = paddle.gather(inputs['im_shape'].astype('float32'), image_of)  # [h, w] per box
        boxes = boxes * paddle.concat([scale[:, 1:], scale[:, :1]] * 2, axis=1)
        x1, x2 = [boxes[:, i].clip(0).minimum(size[:, 1]) for i in (0, 2)]
        y1, y2 = [boxes[:, i].clip(0).minimum(size[:, 0]) for i in (1, 3)]
        side = paddle.maximum(x2 - x1, y2 - y1) * self.expand
        if self.spec['crop']:
            side = side * self.spec['crop'] / self.spec['resize']
        cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, side / 2
        return paddle.stack([cx - half, cy - half, cx + half, cy + half], axis=1)

    def faces_tensor(self, image, boxes, counts):
        """Classifier input (K x C x S x S) from the detector input (N x 3 x H x W)."""
        pixels = image.astype('float32') * self.det_std + self.det_mean
        weights = paddle.to_tensor(GREY_WEIGHTS, dtype='float32').reshape([1, 3, 1, 1])
        grey = (pixels * weights).sum(axis=1, keepdim=True)
        size = self.spec['crop'] or self.spec['resize']
        crops = roi_align(grey, boxes, counts, size, sampling_ratio=-1, aligned=True)
        crops = crops.clip(0, 255) / 255.0
        mean = paddle.to_tensor(self.spec['mean'], dtype='float32').reshape([1, -1, 1, 1])
        std = paddle.to_tensor(self.spec['std'], dtype='float32').reshape([1, -1, 1, 1])
        crops = crops.tile([1, self.spec['channels'], 1, 1])
        return (crops - mean) / std

    def kept_boxes(self, det):
        index, counts = self.select(det['bbox'], det['bbox_num'])
        return paddle.gather(det['bbox'], index), counts

    def face_crops(self, kept, counts, inputs):
        """The classifier's input for the kept boxes."""
        image_of = paddle.repeat_interleave(paddle.arange(counts.shape[0]), counts.astype('int64'))
        boxes = self.crop_boxes(kept[:, 2:6], inputs, image_of)
        return self.faces_tensor(inputs['image'], boxes, counts)

    def forward(self, det, inputs, classifier):
        kept, counts = self.kept_boxes(det)
        out = {'bbox': kept, 'bbox_num': counts}
        if classifier is None or self.spec is None or kept.shape[0] == 0:
            return out
        pred = classifier.classify(self.face_crops(kept, counts, inputs))
        out.update(emotion_id=pred['class_id'], emotion_score=pred['score'],
                   emotion_probs=pred['probs'])
        return out
