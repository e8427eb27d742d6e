"""Knowledge distillation for a classifier, with the student's ``EmotionHead.distill_weight`` and
``distill_temperature``. The soft targets come from one of two sources:

- online: the weights files that the config's ``distill_teachers`` lists, of the student's own
  architecture, run frozen on every training batch (the mean of their logits);
- offline: a soft-target table (``TrainDataset.soft_targets``) that ``teacher_log_probs`` filled
  once, e.g. with each face's ten crops averaged, so no teacher runs while training.
"""
import numpy as np
import paddle
from ppdet.core.workspace import create

from ..data.input_spec import FaceInputSpec
from ..data.soft_targets import mean_log_probs
from ..data.transforms import preprocess_faces
from ..errors import ConfigError
from .checkpoint import load_weights_strict

TABLE_BATCH = 256


class TeacherEnsemble:
    """Frozen classifiers in eval mode, each with the input spec of its weights; called on a
    batch of images, the mean of their logits."""

    def __init__(self, models, specs):
        self.models, self.specs = models, specs

    @classmethod
    def from_weights(cls, cfg, paths):
        models, specs = [], []
        for path in paths:
            model = create(cfg.architecture)
            specs.append(FaceInputSpec.from_meta(load_weights_strict(model, path), path))
            model.eval()
            for param in model.parameters():
                param.stop_gradient = True
            models.append(model)
        return cls(models, specs)

    def __call__(self, images):
        with paddle.no_grad():
            return paddle.add_n([model.logits(images) for model in self.models]) / len(self.models)

    def log_probs(self, faces, ten_crop, progress=None):
        """Log of the teachers' mean class probabilities for uint8 faces (N x classes), each
        teacher fed by its own input spec; with ``ten_crop`` each face's ten crops are averaged
        too. ``progress.step`` is called once per face and teacher."""
        total = 0
        for model, spec in zip(self.models, self.specs):
            probs = []
            for start in range(0, len(faces), TABLE_BATCH):
                batch = faces[start:start + TABLE_BATCH]
                with paddle.no_grad():
                    images = paddle.to_tensor(preprocess_faces(batch, spec, ten_crop))
                    probs.append(model.classify(images)['probs'].numpy())
                if progress is not None:
                    progress.step(len(batch))
            total = total + np.concatenate(probs)
        return mean_log_probs(total, len(self.models))


def uses_batch_mixing(cfg):
    transforms = cfg['TrainReader'].get('batch_transforms') or []
    return any('MixFaces' in t for t in transforms if isinstance(t, dict))


def attach_teachers(model, cfg):
    """Give ``model`` the config's teachers; ConfigError where ``distill_teachers``, the
    training set's ``soft_targets`` and ``EmotionHead.distill_weight`` do not go together."""
    paths = cfg.get('distill_teachers') or []
    if isinstance(paths, str):
        paths = [paths]
    table = getattr(cfg.get('TrainDataset'), 'soft_targets', None)
    source = 'distill_teachers' if paths else 'TrainDataset.soft_targets' if table else None
    weight = getattr(getattr(model, 'head', None), 'distill_weight', None)
    if source and (weight is None or not hasattr(model, 'teacher')):
        raise ConfigError('{}: only an expression classifier distils, not {}'.format(
            source, cfg.architecture))
    if paths and table:
        raise ConfigError('distill_teachers and TrainDataset.soft_targets are both set: expected '
                          'one source of soft targets')
    if source and weight == 0:
        raise ConfigError('{} is set but EmotionHead.distill_weight is 0: expected a share in '
                          '(0, 1) for the teachers\' term'.format(source))
    if weight and not source:
        raise ConfigError('EmotionHead.distill_weight is {} but distill_teachers lists no '
                          'weights files and TrainDataset has no soft_targets'.format(weight))
    if table and uses_batch_mixing(cfg):
        raise ConfigError('TrainDataset.soft_targets holds the rows of unmixed faces: expected no '
                          'MixFaces in TrainReader.batch_transforms (distill_teachers see mixed '
                          'faces)')
    if paths:
        model.teacher = TeacherEnsemble.from_weights(cfg, paths)
