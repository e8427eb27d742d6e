"""CenterFace (Star-Clouds/CenterFace, MIT): an anchor-free face detector as a ppdet architecture."""
import numpy as np
import paddle
from ppdet.modeling.architectures.meta_arch import BaseArch

from ...boxes import weighted_merge
from ...errors import ConfigError
from ...registry import create_child, register
from ..heads.centerface_head import FLIP_LANDMARKS
from ..image_pyramid import scaled_images
from ._detections import pack, to_original


@register
class CenterFace(BaseArch):
    """MobileNetV2 + top-down neck + heatmap head, decoded by ``CenterFacePostProcess``.

    Inputs as any ppdet detector: ``image`` N x 3 x H x W, RGB in 0-255 without normalisation,
    sides a multiple of 32 (the reader pads them); ``im_shape`` and ``scale_factor``. Outputs
    ``bbox`` (M x 6: class 0, score, x1, y1, x2, y2 in original-image pixels), ``bbox_num`` and
    ``keypoints`` (M x 5 x 2), ending with the padding row of ``..padding``.

    Test-time augmentation (dygraph only): with ``test_scales`` and/or ``test_flip`` the network
    also runs on the input resized by each scale (sides rounded to a multiple of 32) and
    mirrored; each view's detections (after its NMS) are merged across views by score-weighted
    box voting (``ppdet_emotion.boxes.weighted_merge``).

    Args:
        test_scales (list): input scales of the test-time views; empty: the input alone.
        test_flip (bool): add the mirror image of every view.
        merge_iou (float): IoU above which the views' boxes are merged.
    """
    __category__ = 'architecture'

    def __init__(self, backbone, neck, head, post_process, test_scales: list = [],
                 test_flip: bool = False, merge_iou: float = 0.3):
        super().__init__()
        if any(not isinstance(s, (int, float)) or s <= 0 for s in test_scales):
            raise ConfigError('CenterFace.test_scales: expected positive numbers, got {}'.format(
                test_scales))
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.post_process = post_process
        self.test_scales = [float(s) for s in test_scales]
        self.test_flip = test_flip
        self.merge_iou = merge_iou

    @property
    def exportable(self):
        return not (self.test_scales or self.test_flip)

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        backbone = create_child('CenterFace', cfg, 'backbone')
        neck = create_child('CenterFace', cfg, 'neck', input_shape=backbone.out_shape)
        head = create_child('CenterFace', cfg, 'head', input_shape=neck.out_shape)
        post_process = create_child('CenterFace', cfg, 'post_process')
        return {'backbone': backbone, 'neck': neck, 'head': head, 'post_process': post_process}

    def raw_outputs(self, image):
        """Heatmap, box sizes, offsets and landmarks as the ONNX model gives them."""
        return self.head(self.neck(self.backbone({'image': image})))

    def get_loss(self):
        raise ConfigError('CenterFace holds converted weights for inference; it has no training '
                          'loss here (train BlazeFace with configs/face_detection/)')

    def get_pred(self):
        image = self.inputs['image']
        if paddle.in_dynamic_mode() and (image.shape[2] % 32 or image.shape[3] % 32):
            raise ConfigError('CenterFace needs input sides that are multiples of 32, got {}x{}: '
                              'end the reader\'s sample_transforms with PadToMultiple: {{divisor: '
                              '32}} before Permute'.format(image.shape[3], image.shape[2]))
        if self.exportable:
            return self.post_process(self.raw_outputs(image), self.inputs['im_shape'],
                                     self.inputs['scale_factor'])
        im_shape = self.inputs['im_shape'].numpy()
        scale_factor = self.inputs['scale_factor'].numpy()
        results = []
        for i in range(image.shape[0]):
            boxes, scores, points = self.augmented_candidates(image[i:i + 1], im_shape[i])
            boxes, scores, points = weighted_merge(boxes, scores, self.merge_iou,
                                                   self.post_process.nms.keep_top_k, points)
            boxes, points = to_original(boxes, points, im_shape[i], scale_factor[i])
            results.append((boxes, scores, points))
        return pack(results, self.head.num_landmarks)

    def views(self, image):
        """(view of ``image``, its (x, y) size factor from the input, mirrored) per test view:
        the scales of ``image_pyramid`` with sides kept multiples of 32."""
        for view, factor in scaled_images(image, self.test_scales or [1.0], multiple=32):
            factor = np.array(factor, 'float32')
            yield view, factor, False
            if self.test_flip:
                yield paddle.flip(view, axis=[3]), factor, True

    def augmented_candidates(self, image, im_shape):
        """Detections of every view after its own NMS, in input pixels: boxes M x 4 (clipped
        to ``im_shape``), scores M, landmarks M x K x 2."""
        parts = []
        for view, factor, mirrored in self.views(image):
            # A mirrored view holds the photo at its right, the padding at its left: clip to the
            # whole view there (the photo's own bounds apply once mirrored back, below).
            bounds = np.array(view.shape[2:], 'float32') if mirrored else im_shape * factor[::-1]
            view_shape = paddle.to_tensor([bounds], dtype='float32')
            out = self.post_process(self.raw_outputs(view), view_shape,
                                    paddle.to_tensor([factor[::-1]], dtype='float32'))
            rows, points = out['bbox'].numpy(), out['keypoints'].numpy()
            real = rows[:, 0] >= 0
            boxes, scores, points = rows[real, 2:], rows[real, 1], points[real]
            if mirrored:  # back from the mirror image, in input pixels
                width = view.shape[3] / factor[0]
                boxes = np.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0],
                                  boxes[:, 3]], 1)
                points = np.stack([width - points[..., 0], points[..., 1]], -1)[:, FLIP_LANDMARKS]
            parts.append((boxes, scores, points))
        boxes, scores, points = [np.concatenate(p) for p in zip(*parts)]
        boxes = boxes.reshape(-1, 2, 2).clip(0, im_shape[::-1]).reshape(-1, 4)
        return boxes, scores, points
