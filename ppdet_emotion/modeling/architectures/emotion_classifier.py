"""EmotionClassifier: stage 2 alone, a backbone and an EmotionHead over face crops."""
import paddle.nn.functional as F
from ppdet.modeling.architectures.meta_arch import BaseArch

from ...registry import create_child, register


@register
class EmotionClassifier(BaseArch):
    """Expression classifier over face crops.

    Training returns ``{'loss'}``; otherwise ``class_id``, ``score`` and ``probs`` (N x classes).
    An input of N x 10 x C x H x W (ten-crop) is averaged over the ten crops.

    ``teacher``: None, or a callable from a training batch's images to a teacher's logits, whose
    knowledge the head's loss distils (set by the trainer; not a layer, so never saved). A batch
    that carries ``soft_target`` (a data set with a soft-target table) is distilled from those
    rows instead.
    """
    __category__ = 'architecture'
    role = 'classifier'

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.teacher = None

    @classmethod
    def from_config(cls, cfg, *args, **kwargs):
        backbone = create_child('EmotionClassifier', cfg, 'backbone')
        head = create_child('EmotionClassifier', cfg, 'head', input_shape=backbone.out_shape)
        return {'backbone': backbone, 'head': head}

    def logits(self, images):
        return self.head(self.backbone({'image': images}))

    def get_loss(self):
        images = self.inputs['image']
        teacher_logits = self.inputs.get('soft_target')
        if teacher_logits is None and self.teacher is not None:
            teacher_logits = self.teacher(images)
        return {'loss': self.head.get_loss(self.logits(images), self.inputs['gt_class'],
                                           self.inputs.get('gt_class_mix'),
                                           self.inputs.get('mix_weight'), teacher_logits)}

    def get_pred(self):
        return self.classify(self.inputs['image'])

    def classify(self, images):
        """Class ids, top scores and probabilities of a batch (N x C x H x W or N x 10 x C x H x W)."""
        crops = 1
        if images.ndim == 5:
            crops = images.shape[1]
            images = images.reshape([-1] + list(images.shape[2:]))
        probs = F.softmax(self.logits(images), axis=-1)
        if crops > 1:
            probs = probs.reshape([-1, crops, probs.shape[-1]]).mean(1)
        return {'class_id': probs.argmax(-1), 'score': probs.max(-1), 'probs': probs}
