"""EmotionPostProcess: detector boxes -> face crops -> expressions, in one batched forward.

Crops are cut from the detector's own input tensor with RoI-Align (so the cascade stays one
graph that exports), converted to the classifier's input spec (grey or RGB, size, mean/std),
optionally as ten crops (corners, centre and their mirrors) whose probabilities are averaged.
The input spec (with the class names) comes from the expression weights' meta: the engine
hands it over when it creates the cascade (``engine.model_loading``).
"""
from typing import Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.vision.ops import roi_align

from ..data.input_spec import FaceInputSpec
from ..data.transforms import five_crop_origins
from ..errors import ConfigError
from ..registry import register
from .padding import count_in_last_image, no_detection_row

GREY_WEIGHTS = (0.299, 0.587, 0.114)


@register
class EmotionPostProcess(nn.Layer):
    """Pick faces, cut each one's crop as FER2013 frames a face, and classify them.

    Outputs ``bbox`` rows (class, score, x1, y1, x2, y2) of the kept faces and one last padding
    row of class -1, ``bbox_num`` (kept faces per image), ``faces_found`` (faces per image that
    pass the threshold and size, before the ``max_faces`` cap), the detector's ``keypoints`` of
    the kept rows when it gives them, and per row ``emotion_id``, ``emotion_score`` and
    ``emotion_probs``.

    The crop is the face's FER2013 frame predicted from the detector box: ``crop_scale`` (width,
    height) times the box's size, centred ``crop_shift`` (x, y, in box sizes) from the box's
    centre; it is resampled to the classifier's square input (``tools/calibrate_crops.py``
    measures both for a detector).

    Args:
        face_threshold (float): faces below this detector score are dropped.
        max_faces (int): at most this many faces per image (highest scores first).
        crop_scale (list): the FER frame's width and height in box widths and heights.
        crop_shift (list): the frame centre's offset from the box centre, in box widths and
            heights (positive: right, down).
        min_size (float): boxes narrower or shorter than this (pixels) are dropped.
        ten_crop (bool): classify ten crops of each face (as ``tools/eval.py --ten_crop``) and
            average them; about ten times the classifier's cost. Needs a spec with a crop size.
        input_spec (FaceInputSpec): the classifier's input (set by the engine from the expression
            weights; None: faces are found, not classified).
        detector_norm (list): [mean, std] per channel, in pixels, of the detector's
            ``NormalizeImage`` (set by the engine from the TestReader; None: no normalisation).
    """

    def __init__(self, face_threshold: float = 0.5, max_faces: int = 1000,
                 crop_scale: list = [1.0, 1.0], crop_shift: list = [0.0, 0.0],
                 min_size: float = 4.0, ten_crop: bool = False,
                 input_spec: Optional[FaceInputSpec] = None, detector_norm: Optional[list] = None):
        super().__init__()
        for key, value in (('crop_scale', crop_scale), ('crop_shift', crop_shift)):
            if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value):
                raise ConfigError('EmotionPostProcess.{}: expected [x, y] numbers, got {}'.format(
                    key, value))
        if min(crop_scale) <= 0:
            raise ConfigError('EmotionPostProcess.crop_scale: expected positive sizes, got '
                              '{}'.format(crop_scale))
        self.ten_crop = ten_crop
        self.min_size = min_size
        self.face_threshold = face_threshold
        self.max_faces = max_faces
        self.crop_scale = [float(v) for v in crop_scale]
        self.crop_shift = [float(v) for v in crop_shift]
        self.spec = input_spec
        if input_spec is not None:
            self.set_constants(input_spec, *(detector_norm or ([0.0] * 3, [1.0] * 3)))

    def set_constants(self, spec, det_mean, det_std):
        """The crop size and the normalisation constants, as (non-persistable) buffers so an
        exported graph holds them."""
        if self.ten_crop and not spec.crop:
            raise ConfigError('EmotionPostProcess.ten_crop needs expression weights whose input '
                              'spec has a crop size; these resize to {} without a crop'.format(
                                  spec.resize))
        constants = {'det_mean': (det_mean, [1, 3, 1, 1]), 'det_std': (det_std, [1, 3, 1, 1]),
                     'grey_weights': (GREY_WEIGHTS, [1, 3, 1, 1]),
                     'face_mean': (spec.mean, [1, -1, 1, 1]), 'face_std': (spec.std, [1, -1, 1, 1])}
        for name, (values, shape) in constants.items():
            self.register_buffer(name, paddle.to_tensor(values, dtype='float32').reshape(shape),
                                 persistable=False)

    @property
    def roi_size(self):
        """RoI-Align's output size: the whole resized face for ten crops, else the centre crop."""
        return self.spec.resize if self.ten_crop else self.spec.size

    def select(self, bbox, bbox_num):
        """Indices of kept boxes, the kept count and the count before the cap, per image.

        Boxes arrive grouped by image and sorted by score within each image (ppdet's NMS order);
        the cap counts only boxes that pass the threshold and size. No intermediate tensor is
        ever empty (an exported model crashes on empty ones).
        """
        num_images = bbox_num.shape[0]
        image_of = paddle.repeat_interleave(paddle.arange(num_images), bbox_num.astype('int64'))
        big = ((bbox[:, 4] - bbox[:, 2]) >= self.min_size) & ((bbox[:, 5] - bbox[:, 3]) >= self.min_size)
        eligible = (bbox[:, 1] >= self.face_threshold) & (bbox[:, 0] >= 0) & big
        per_image = F.one_hot(image_of, num_images) * eligible.astype('float32').unsqueeze(1)
        found = per_image.sum(0)
        earlier = paddle.cumsum(eligible.astype('float32')) - eligible.astype('float32')
        rank = earlier - paddle.gather(paddle.cumsum(found) - found, image_of)
        keep = eligible & (rank < self.max_faces)
        counts = (per_image * keep.astype('float32').unsqueeze(1)).sum(0)
        return paddle.nonzero(keep).flatten(), counts.astype('int32'), found.astype('int32')

    @staticmethod
    def padded_rows(rows, index, pad):
        """``rows[index]`` plus ``pad`` (one row like those of ``rows``: the padding row of
        ``ppdet_emotion.modeling.padding``) at the end, gathered so nothing is ever empty."""
        pad_index = paddle.shape(rows)[:1].astype(index.dtype)
        return paddle.gather(paddle.concat([rows, pad.astype(rows.dtype)]),
                             paddle.concat([index, pad_index]))

    def crop_boxes(self, boxes, inputs, image_of):
        """The FER frames of ``boxes`` in input-tensor pixels (see the class), shrunk to the
        spec's centre crop (single crop) or covering the whole resized face (ten crops).

        Boxes are first clipped to the image, so a wild box cannot ask for a huge crop.
        """
        scale = paddle.gather(inputs['scale_factor'], image_of)  # [sy, sx] per box
        size = paddle.gather(inputs['im_shape'].astype('float32'), image_of)  # [h, w] per box
        boxes = boxes * paddle.concat([scale[:, 1:], scale[:, :1]] * 2, axis=1)
        x1, x2 = [boxes[:, i].clip(0).minimum(size[:, 1]) for i in (0, 2)]
        y1, y2 = [boxes[:, i].clip(0).minimum(size[:, 0]) for i in (1, 3)]
        w, h = x2 - x1, y2 - y1
        share = self.roi_size / self.spec.resize
        half_w, half_h = w * (self.crop_scale[0] * share / 2), h * (self.crop_scale[1] * share / 2)
        cx = (x1 + x2) / 2 + self.crop_shift[0] * w
        cy = (y1 + y2) / 2 + self.crop_shift[1] * h
        return paddle.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)

    def faces_tensor(self, image, boxes, counts):
        """Classifier input (K x C x S x S, or K x 10 x C x S x S with ten crops) from the
        detector input (N x 3 x H x W)."""
        pixels = image.astype('float32') * self.det_std + self.det_mean
        grey = (pixels * self.grey_weights).sum(axis=1, keepdim=True)
        crops = roi_align(grey, boxes, counts, self.roi_size, sampling_ratio=-1, aligned=True)
        crops = crops.clip(0, 255) / 255.0
        crops = crops.tile([1, self.spec.channels, 1, 1])
        crops = (crops - self.face_mean) / self.face_std
        return ten_crops(crops, self.spec.crop) if self.ten_crop else crops

    def face_crops(self, rows, counts, inputs):
        """The classifier's input for ``rows`` (kept boxes + the padding row, see padded_rows).

        The padding keeps every batch non-empty, so a photo without faces runs the same graph;
        its result is dropped. It is counted with the last image.
        """
        padded = count_in_last_image(counts)
        image_of = paddle.repeat_interleave(paddle.arange(counts.shape[0]), padded.astype('int64'))
        boxes = self.crop_boxes(rows[:, 2:6], inputs, image_of)
        return self.faces_tensor(inputs['image'], boxes, padded)

    def forward(self, det, inputs, classifier):
        index, counts, found = self.select(det['bbox'], det['bbox_num'])
        rows = self.padded_rows(det['bbox'], index, no_detection_row())
        out = {'bbox': rows, 'bbox_num': counts, 'faces_found': found}
        if 'keypoints' in det:
            points = det['keypoints']
            out['keypoints'] = self.padded_rows(points, index, paddle.zeros([1] + points.shape[1:]))
        if classifier is None or self.spec is None:
            return out
        pred = classifier.classify(self.face_crops(rows, counts, inputs))
        out.update(emotion_id=pred['class_id'], emotion_score=pred['score'],
                   emotion_probs=pred['probs'])
        return out


def ten_crops(faces, size):
    """K x C x R x R -> K x 10 x C x S x S: the four corners and the centre, then their mirrors
    (the order of ``ppdet_emotion.data.transforms.ten_crop``)."""
    origins = five_crop_origins(faces.shape[-2], faces.shape[-1], size)
    crops = [faces[:, :, y:y + size, x:x + size] for y, x in origins]
    crops += [paddle.flip(c, axis=[3]) for c in crops]
    return paddle.stack(crops, axis=1)
