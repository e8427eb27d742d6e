"""BlazeFaceMediaPipe: Google's MediaPipe face detectors as a ppdet architecture."""
import numpy as np
from ppdet.modeling.architectures.meta_arch import BaseArch

from ...errors import ConfigError
from ...registry import create_child, register
from ..image_pyramid import scaled_images
from ._detections import pack, to_original


@register
class BlazeFaceMediaPipe(BaseArch):
    """MediaPipe BlazeFace (short or full range), inference only (dygraph: its NMS runs in NumPy,
    so it does not export).

    Inputs as any ppdet detector: ``image`` N x 3 x H x W scaled to [-1, 1] (RGB), the image
    placed at the top left (letterboxed), ``im_shape`` (its size there) and ``scale_factor``.
    Outputs ``bbox`` (M x 6: class 0, score, x1, y1, x2, y2 in original-image pixels),
    ``bbox_num`` (N) and ``keypoints`` (M x 6 x 2: eyes, nose tip, mouth, ear tragions), ending
    with a row of class -1 (no detection).

    Photos larger than the model's eye: with ``pyramid_scales`` the network runs fully
    convolutionally on the whole input image (any size; the reader then keeps the photo large)
    resized by each scale, and the weighted NMS merges the boxes of all levels. The short-range
    network sees faces of about 16 to 112 pixels of its input, so scales [1, 0.5, 0.25] cover
    faces of about 16 to 450 pixels.

    Args:
        pyramid_scales (list): image scales of the pyramid; empty: one pass on the input as is.
    """
    __category__ = 'architecture'
    exportable = False

    def __init__(self, backbone, head, post_process, neck=None, pyramid_scales: list = []):
        super().__init__()
        if any(not isinstance(s, (int, float)) or s <= 0 for s in pyramid_scales):
            raise ConfigError('BlazeFaceMediaPipe.pyramid_scales: expected positive numbers, '
                              'got {}'.format(pyramid_scales))
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.post_process = post_process
        self.pyramid_scales = list(pyramid_scales)

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        backbone = create_child('BlazeFaceMediaPipe', cfg, 'backbone')
        neck = create_child('BlazeFaceMediaPipe', cfg, 'neck',
                            input_shape=backbone.out_shape) if cfg.get('neck') else None
        head = create_child('BlazeFaceMediaPipe', cfg, 'head',
                            input_shape=(neck or backbone).out_shape)
        post_process = create_child('BlazeFaceMediaPipe', cfg, 'post_process')
        return {'backbone': backbone, 'neck': neck, 'head': head, 'post_process': post_process}

    def raw_outputs(self, image):
        """The network's raw regressors (N x A x 16) and logits (N x A), as the TFLite model's."""
        feats = self.backbone({'image': image})
        if self.neck is not None:
            feats = self.neck(feats)
        return self.head(feats)

    def candidates(self, image):
        """Decoded boxes, keypoints and scores of every anchor (input pixels), as numpy."""
        raw_boxes, logits = self.raw_outputs(image)
        anchors = self.head.anchors(*image.shape[2:])
        return [t.numpy() for t in self.head.decode(raw_boxes, logits, anchors)]

    def pyramid_candidates(self, image):
        """Candidates of every pyramid level, in input pixels, concatenated per image."""
        levels = []
        for scaled, factor in scaled_images(image, self.pyramid_scales, shrink='area'):
            boxes, keypoints, scores = self.candidates(scaled)
            back = 1 / np.array(factor, 'float32')
            levels.append((boxes * np.tile(back, 2), keypoints * back, scores))
        return [np.concatenate(parts, 1) for parts in zip(*levels)]

    def get_loss(self):
        raise ConfigError('BlazeFaceMediaPipe holds converted MediaPipe weights for inference; '
                          'it has no training loss')

    def get_pred(self):
        image = self.inputs['image']
        boxes, keypoints, scores = (self.pyramid_candidates(image) if self.pyramid_scales
                                    else self.candidates(image))
        im_shape = self.inputs['im_shape'].numpy()
        scale_factor = self.inputs['scale_factor'].numpy()
        results = []
        for i in range(len(boxes)):
            kept_boxes, kept_scores, kept_points = self.post_process(boxes[i], scores[i],
                                                                     keypoints[i])
            kept_boxes, kept_points = to_original(kept_boxes, kept_points, im_shape[i],
                                                  scale_factor[i])
            results.append((kept_boxes, kept_scores, kept_points))
        return pack(results, self.head.num_keypoints)
