"""EmotionTrainer: ppdet's Trainer with our metrics, atomic meta checkpoints and curves, strict
weight loading, exact resume, and files written by the first of several processes only."""
import os

from ppdet.core.workspace import create
from ppdet.engine import Trainer
from ppdet.engine.callbacks import ComposeCallback, LogPrinter
from ppdet.utils.logger import setup_logger

from ..classes import FER2013_CLASSES
from ..data.input_spec import FaceInputSpec
from ..errors import ConfigError, WeightsError
from ..metrics.expression import ExpressionMetric
from . import distributed
from .callbacks import (EpochSeeds, MetaCheckpointer, ScalarVisualDLWriter, TrainingCurves,
                        WaitForEvaluation)
from .checkpoint import fit_state, load_state, load_weights_strict, weights_path
from .distillation import attach_teachers

logger = setup_logger(__name__)


class EmotionTrainer(Trainer):
    """Adds the ``Expression`` metric and checkpoints that carry class names and input spec."""

    def _init_callbacks(self):
        if self.mode == 'eval':  # not ppdet's: for WiderFace it adds one that calls sys.exit()
            self._callbacks = [LogPrinter(self)]
            self._compose_callback = ComposeCallback(self._callbacks)
            return
        if self.mode != 'train':
            return super()._init_callbacks()
        self._callbacks = [LogPrinter(self), EpochSeeds(self, self.cfg.get('seed'),
                                                        distributed.rank())]
        if distributed.world_size() > 1:
            self._callbacks.append(WaitForEvaluation(self, distributed.EvaluationBarrier(),
                                                     distributed.is_main_process()))
        if distributed.is_main_process():
            # The history first: once an epoch's checkpoint exists, a run resumed from it finds
            # that epoch's loss and evaluation in the history, however the first run was stopped.
            self._callbacks += [TrainingCurves(self), MetaCheckpointer(self)]
            if self.cfg.get('use_vdl', False):
                self._callbacks.append(ScalarVisualDLWriter(self))
        self._compose_callback = ComposeCallback(self._callbacks)

    def _init_metrics(self, validate=False):
        if self.cfg.metric not in ('Expression', 'WiderFace'):
            return super()._init_metrics(validate)
        if self.mode == 'test' or (self.mode == 'train' and not validate):
            self._metrics = []
            return
        if self.mode == 'train':
            output_eval = os.path.join(self.cfg.save_dir, self.cfg.filename)
        else:
            output_eval = self.cfg.get('output_eval') or 'output'
        if self.cfg.metric == 'WiderFace':  # ppdet's WiderFace metric computes no AP
            dataset = self.cfg['EvalDataset'] if self.mode == 'train' else self.dataset
            scales = self.cfg.get('eval_scales', [1.0]) if self.mode == 'eval' else [1.0]
            self._metrics = [create('WiderFaceAP', dataset=dataset, output_eval=output_eval,
                                    scales=scales)]
            return
        self._metrics = [ExpressionMetric(self.class_names(), output_eval)]

    def __init__(self, cfg, mode='train'):
        self.validating = False
        self.resume_meta, self.resume_dir = {}, None
        super().__init__(cfg, mode)
        if self.cfg.metric == 'Expression':
            self.checkpoint_meta()  # a reader without the input spec fails now, not after an epoch
            head = getattr(self.model, 'head', None)
            if head is not None and head.num_classes != len(self.class_names()):
                raise ConfigError('EmotionHead.num_classes is {} but the data set has {} classes '
                                  '({})'.format(head.num_classes, len(self.class_names()),
                                                ', '.join(self.class_names())))
        if self.mode == 'train':
            attach_teachers(self.model, self.cfg)

    def class_names(self):
        return list(getattr(self.dataset, 'class_names', FER2013_CLASSES))

    def checkpoint_meta(self):
        """What travels with the weights: architecture, config, and for classifiers the
        class names and input spec (read off the EvalReader's transforms)."""
        meta = {'architecture': self.cfg.architecture, 'config': self.cfg.filename}
        if self.cfg.metric == 'Expression':
            meta.update(FaceInputSpec.from_transforms(self.cfg['EvalReader']['sample_transforms'],
                                                      self.class_names()).to_meta())
        return meta

    def load_weights_for_eval(self, path):
        """Strict load: every parameter must be in the file with the right shape."""
        self.is_loaded_weights = True
        return load_weights_strict(self.model, path)

    def load_weights(self, path):
        """``pretrain_weights``, strictly; with ``allow_partial: true`` (``--allow_partial``)
        the parameters missing from the file or of another shape keep their initial values,
        each one named in the log."""
        self.start_epoch = 0
        if not self.cfg.get('allow_partial'):
            return load_weights_strict(self.model, path)
        state, meta = load_state(path)
        wanted = self.model.state_dict()
        fits = {k: v for k, v in state.items() if k in wanted and
                list(v.shape) == list(wanted[k].shape)}
        if not fits:
            raise WeightsError('pretrain_weights {!r}: no parameter fits the model, even with '
                               'allow_partial'.format(weights_path(path)))
        for key in sorted(set(wanted) - set(fits)):
            logger.warning('pretrain_weights: {} not loaded ({}), it starts from its initial '
                           'values'.format(key, 'file {} vs model {}'.format(
                               list(state[key].shape), list(wanted[key].shape))
                                          if key in state else 'not in the file'))
        fit_state(self.model, dict(state, **{k: v for k, v in wanted.items() if k not in fits}),
                  path)
        return meta

    def resume_weights(self, path):
        """Resume from a checkpoint of this config: weights (strictly), optimizer and
        learning-rate state, epoch, and the meta (best figure so far); the history is read from
        the checkpoint's folder when the save dir has none."""
        meta = load_weights_strict(self.model, path)  # another config's: names the mismatch
        opt = os.path.splitext(weights_path(path))[0] + '.pdopt'
        if not os.path.isfile(opt):
            raise WeightsError('-r {!r}: its optimizer state {!r} is missing, so the run cannot '
                               'resume (start from the weights with -o pretrain_weights=...)'
                               .format(weights_path(path), opt))
        super().resume_weights(weights_path(path))
        self.resume_meta, self.resume_dir = meta, os.path.dirname(weights_path(path))

    def train(self, validate=False):
        self.validating = validate
        distributed.check_share(len(self.loader), len(self.dataset),
                                self.cfg['TrainReader']['batch_size'])
        # printed, not logged: ppdet logs from the first process only
        print('process {} of {}: {} steps per epoch of {} images'.format(
            distributed.rank() + 1, distributed.world_size(), len(self.loader),
            self.cfg['TrainReader']['batch_size']), flush=True)
        return super().train(validate)
