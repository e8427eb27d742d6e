"""FaceEmotion: the cascade of any face detector config and an expression classifier."""
import numpy as np
from ppdet.modeling.architectures.meta_arch import BaseArch

from ...errors import ConfigError
from ...registry import create_child, register


def detector_pixel_norm(sample_transforms):
    """(mean, std) in pixel units of the detector's NormalizeImage op (identity if none)."""
    for item in sample_transforms:
        if 'NormalizeImage' in item:
            args = item['NormalizeImage']
            scale = 255.0 if args.get('is_scale', True) else 1.0
            mean = np.array(args.get('mean', [0.485, 0.456, 0.406]), dtype=np.float32) * scale
            std = np.array(args.get('std', [0.229, 0.224, 0.225]), dtype=np.float32) * scale
            return mean.tolist(), std.tolist()
    return [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]


@register
class FaceEmotion(BaseArch):
    """Detector boxes, then ``EmotionPostProcess`` crops and classifies each face.

    Outputs ppdet's ``bbox`` / ``bbox_num`` plus per box ``emotion_id``, ``emotion_score`` and
    ``emotion_probs`` (once expression weights are loaded).
    """
    __category__ = 'architecture'
    __inject__ = ['post_process']
    role = 'cascade'

    def __init__(self, detector, classifier, post_process):
        super().__init__()
        self.detector = detector
        self.classifier = classifier
        self.post_process = post_process
        self.class_names = None
        self.det_norm = ([0.0] * 3, [1.0] * 3)

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        return {'detector': create_child('FaceEmotion', cfg, 'detector'),
                'classifier': create_child('FaceEmotion', cfg, 'classifier')}

    def load_meanstd(self, cfg_transform):
        super().load_meanstd(cfg_transform)
        self.det_norm = detector_pixel_norm(cfg_transform)

    def set_expression_spec(self, spec):
        """Configure cropping and labels from the expression weights' ``FaceInputSpec``."""
        self.class_names = list(spec.class_names)
        self.post_process.configure(spec, *self.det_norm)

    def get_loss(self):
        raise ConfigError('FaceEmotion is for inference: train the detector and the classifier '
                          'each with its own config')

    def get_pred(self):
        det = self.detector(self.inputs)
        classifier = self.classifier if self.class_names else None
        return self.post_process(det, self.inputs, classifier)
