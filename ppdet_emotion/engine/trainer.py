"""EmotionTrainer: ppdet's Trainer with our metrics, atomic meta checkpoints and curves."""
import os
import random

import numpy as np
import paddle

from ppdet.core.workspace import create
from ppdet.engine import Trainer
from ppdet.engine.callbacks import ComposeCallback, LogPrinter

from ..classes import FER2013_CLASSES
from ..data.input_spec import FaceInputSpec
from ..errors import ConfigError
from ..metrics.expression import ExpressionMetric
from .callbacks import MetaCheckpointer, ScalarVisualDLWriter, TrainingCurves
from .checkpoint import load_weights_strict


class EmotionTrainer(Trainer):
    """Adds the ``Expression`` metric and checkpoints that carry class names and input spec."""

    def _init_callbacks(self):
        if self.mode == 'eval':  # not ppdet's: for WiderFace it adds one that calls sys.exit()
            self._callbacks = [LogPrinter(self)]
            self._compose_callback = ComposeCallback(self._callbacks)
            return
        if self.mode != 'train':
            return super()._init_callbacks()
        self._callbacks = [LogPrinter(self), MetaCheckpointer(self), TrainingCurves(self)]
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
        super().__init__(cfg, mode)
        if self.cfg.metric == 'Expression':
            self.checkpoint_meta()  # a reader without the input spec fails now, not after an epoch
            head = getattr(self.model, 'head', None)
            if head is not None and head.num_classes != len(self.class_names()):
                raise ConfigError('EmotionHead.num_classes is {} but the data set has {} classes '
                                  '({})'.format(head.num_classes, len(self.class_names()),
                                                ', '.join(self.class_names())))

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


def seed_everything(seed):
    """Seed Python, NumPy and Paddle (config key ``seed``) for repeatable runs."""
    random.seed(seed)
    np.random.seed(seed)
    paddle.seed(seed)
