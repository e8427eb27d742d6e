"""FaceEmotion: the cascade of any face detector config and an expression classifier."""
from ppdet.modeling.architectures.meta_arch import BaseArch

from ...errors import ConfigError
from ...registry import create_child, register


@register
class FaceEmotion(BaseArch):
    """Detector boxes, then ``EmotionPostProcess`` crops and classifies each face.

    Outputs ppdet's ``bbox`` / ``bbox_num`` plus per box ``emotion_id``, ``emotion_score`` and
    ``emotion_probs`` when its post-process was given the expression weights' input spec (the
    class names come with it).
    """
    __category__ = 'architecture'
    __inject__ = ['post_process']
    role = 'cascade'

    def __init__(self, detector, classifier, post_process):
        super().__init__()
        self.detector = detector
        self.classifier = classifier
        self.post_process = post_process

    @property
    def class_names(self):
        """The expression classes (None when no expression weights were given)."""
        spec = self.post_process.spec
        return list(spec.class_names) if spec is not None else None

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        return {'detector': create_child('FaceEmotion', cfg, 'detector'),
                'classifier': create_child('FaceEmotion', cfg, 'classifier')}

    def get_loss(self):
        raise ConfigError('FaceEmotion is for inference: train the detector and the classifier '
                          'each with its own config')

    def get_pred(self):
        det = self.detector(self.inputs)
        classifier = self.classifier if self.class_names else None
        return self.post_process(det, self.inputs, classifier)
