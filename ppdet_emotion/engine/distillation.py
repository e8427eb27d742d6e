"""Knowledge distillation for a classifier: the weights files that the config's
``distill_teachers`` lists, of the student's own architecture, become one teacher (the mean of
their logits) whose soft targets the student's ``EmotionHead`` learns with
``distill_weight`` and ``distill_temperature``."""
import paddle
from ppdet.core.workspace import create

from ..errors import ConfigError
from .checkpoint import load_weights_strict


class TeacherEnsemble:
    """Frozen classifiers in eval mode; called on a batch of images, the mean of their logits."""

    def __init__(self, models):
        self.models = models

    @classmethod
    def from_weights(cls, cfg, paths):
        models = []
        for path in paths:
            model = create(cfg.architecture)
            load_weights_strict(model, path)
            model.eval()
            for param in model.parameters():
                param.stop_gradient = True
            models.append(model)
        return cls(models)

    def __call__(self, images):
        with paddle.no_grad():
            return paddle.add_n([model.logits(images) for model in self.models]) / len(self.models)


def attach_teachers(model, cfg):
    """Give ``model`` the config's teachers; ConfigError where ``distill_teachers`` and
    ``EmotionHead.distill_weight`` do not go together."""
    paths = cfg.get('distill_teachers') or []
    if isinstance(paths, str):
        paths = [paths]
    weight = getattr(getattr(model, 'head', None), 'distill_weight', None)
    if paths and (weight is None or not hasattr(model, 'teacher')):
        raise ConfigError('distill_teachers: only an expression classifier distils, not {}'
                          .format(cfg.architecture))
    if paths and weight == 0:
        raise ConfigError('distill_teachers is set but EmotionHead.distill_weight is 0: expected '
                          'a share in (0, 1) for the teachers\' term')
    if weight and not paths:
        raise ConfigError('EmotionHead.distill_weight is {} but distill_teachers lists no '
                          'weights files'.format(weight))
    if paths:
        model.teacher = TeacherEnsemble.from_weights(cfg, paths)
