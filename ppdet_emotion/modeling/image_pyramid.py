"""The one image pyramid: a detector input seen at several scales (CenterFace's test-time
augmentation, the MediaPipe pyramid, multi-scale evaluation), each view with the ``im_shape`` and
``scale_factor`` that map its boxes back to the original image."""
import numpy as np
import paddle
import paddle.nn.functional as F

from ..boxes import weighted_merge

MULTI_SCALES = (0.5, 1.0, 1.5)  # tools/eval.py --multi_scale without values


def view_size(height, width, scale, multiple=1):
    """Both sides times ``scale``, rounded to a ``multiple`` (at least one multiple)."""
    return [max(multiple, int(round(n * scale / multiple)) * multiple) for n in (height, width)]


def scaled_images(image, scales, multiple=1, shrink='bilinear'):
    """Yield ``(view, [x, y] size factor from image)`` per scale of ``image`` (N x C x H x W).

    ``shrink``: the interpolation for scales below 1 (``area`` or ``bilinear``); larger scales
    are bilinear. A normalised image is resized, which equals resizing before a per-channel
    normalisation.
    """
    height, width = image.shape[2:]
    for scale in scales:
        size = view_size(height, width, scale, multiple)
        if size == [height, width]:
            view = image
        else:
            mode = shrink if scale < 1 else 'bilinear'
            view = F.interpolate(image, size=size, mode=mode,
                                 **({} if mode == 'area' else {'align_corners': False}))
        yield view, [size[1] / width, size[0] / height]


def scaled_views(inputs, scales, multiple=1, shrink='bilinear'):
    """Yield ppdet detector inputs per scale of ``inputs``: the scaled image with ``im_shape``
    and ``scale_factor`` times its factor, so a detector's boxes on the view come back in the
    original image's pixels, as on the input itself."""
    for view, factor in scaled_images(inputs['image'], scales, multiple, shrink):
        yx = paddle.to_tensor([factor[::-1]], dtype='float32')
        yield {'image': view, 'im_shape': inputs['im_shape'].astype('float32') * yx,
               'scale_factor': inputs['scale_factor'].astype('float32') * yx}


def vote_boxes(dets, iou_threshold=0.3, keep_top_k=750):
    """Merge (N, 5) boxes of several scales by score-weighted voting (``weighted_merge``)."""
    boxes, scores, _ = weighted_merge(dets[:, :4], dets[:, 4], iou_threshold, keep_top_k,
                                      plus_one=True)
    return np.concatenate([boxes, scores[:, None]], 1)


class MultiScaleDetector(paddle.nn.Layer):
    """A detector run at several scales of each image, its boxes merged by ``vote_boxes``
    (``tools/eval.py --multi_scale``). Takes and returns what ppdet's detectors do (one image
    per batch); each view keeps the reader's ``im_shape`` and ``scale_factor``, scaled with it."""

    def __init__(self, detector, scales=MULTI_SCALES):
        super().__init__()
        self.detector = detector
        self.scales = [float(s) for s in scales]

    def forward(self, inputs):
        boxes = []
        for view in scaled_views(inputs, self.scales):
            rows = self.detector(view)['bbox'].numpy().reshape(-1, 6)
            boxes.append(rows[rows[:, 0] >= 0][:, [2, 3, 4, 5, 1]])
        merged = vote_boxes(np.concatenate(boxes))
        label = np.zeros((len(merged), 1), np.float32)
        bbox = np.concatenate([label, merged[:, 4:], merged[:, :4]], 1)
        return {'bbox': paddle.to_tensor(bbox),
                'bbox_num': paddle.to_tensor([len(bbox)], dtype='int32')}
