"""Training callbacks: atomic checkpoints with meta and best-model selection, training curves,
and VisualDL scalars for our metrics."""
import json
import math
import os

import numpy as np
from ppdet.engine.callbacks import Callback, VisualDLWriter
from ppdet.utils.logger import setup_logger

from ..io import atomic_path, write_json
from .checkpoint import read_meta, save_checkpoint

logger = setup_logger(__name__)

# Result keys ppdet's own metrics put their headline figure under (first element).
PPDET_PRIMARY_KEYS = ('bbox', 'keypoint', 'mask')


def primary_value(metric):
    """(key, value) of the figure that ranks checkpoints, or (None, None)."""
    results = metric.get_results() or {}
    key = getattr(metric, 'primary_key', None)
    if key in results:
        return key, float(results[key])
    for key in PPDET_PRIMARY_KEYS:
        if key in results:
            return key, float(results[key][0])
    return None, None


def scalar_results(metric):
    """The plain numbers among a metric's results."""
    return {k: float(v) for k, v in (metric.get_results() or {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


class MetaCheckpointer(Callback):
    """Saves ``<epoch>``, ``model_final`` and ``best_model`` atomically, with the trainer's meta."""

    def __init__(self, trainer):
        super().__init__(trainer)
        self.save_dir = os.path.join(trainer.cfg.save_dir, trainer.cfg.filename)
        self.best = -math.inf
        self.last_results = {}

    def on_train_begin(self, status):
        best = os.path.join(self.save_dir, 'best_model.pdparams')
        if self.model.start_epoch > 0 and os.path.isfile(best):
            self.best = read_meta(best).get('best_value', -math.inf)

    def _save(self, name, epoch_id, extra=None):
        trainer = self.model
        meta = dict(trainer.checkpoint_meta(), epoch=epoch_id + 1, metrics=self.last_results,
                    **(extra or {}))
        path = save_checkpoint(self.save_dir, name, trainer.model.state_dict(), meta,
                               trainer.optimizer, epoch_id + 1)
        logger.info('Saved checkpoint {}'.format(path))

    def on_epoch_end(self, status):
        cfg = self.model.cfg
        epoch_id = status['epoch_id']
        if status['mode'] == 'train':
            last = epoch_id == cfg.epoch - 1
            if (epoch_id + 1) % cfg.snapshot_epoch == 0 or last:
                self._save('model_final' if last else str(epoch_id), epoch_id)
        elif status['mode'] == 'eval' and status.get('save_best_model'):
            for metric in self.model._metrics:
                self.last_results = scalar_results(metric)
                key, value = primary_value(metric)
                if key is None:
                    logger.warning('Evaluation gave no result to rank checkpoints by.')
                    continue
                if value >= self.best:
                    self.best = value
                    self._save('best_model', epoch_id, {'best_key': key, 'best_value': value})
                logger.info('Best {} so far: {:.4f}'.format(key, self.best))


class TrainingCurves(Callback):
    """Per-epoch mean loss and eval figures, saved as JSON and as a PNG plot in the save dir."""

    def __init__(self, trainer):
        super().__init__(trainer)
        save_dir = os.path.join(trainer.cfg.save_dir, trainer.cfg.filename)
        self.json_path = os.path.join(save_dir, 'training_history.json')
        self.png_path = os.path.join(save_dir, 'training_curves.png')
        self.history = {'epoch': [], 'loss': [], 'eval_epoch': [], 'eval': []}
        self.losses = []

    def on_train_begin(self, status):
        if self.model.start_epoch > 0 and os.path.isfile(self.json_path):
            with open(self.json_path) as f:
                history = json.load(f)
            keep = lambda epochs: sum(e <= self.model.start_epoch for e in epochs)
            n, m = keep(history['epoch']), keep(history['eval_epoch'])
            self.history = {'epoch': history['epoch'][:n], 'loss': history['loss'][:n],
                            'eval_epoch': history['eval_epoch'][:m], 'eval': history['eval'][:m]}

    def on_epoch_begin(self, status):
        self.losses = []

    def on_step_end(self, status):
        if status['mode'] == 'train':
            self.losses.append(float(status['training_staus'].get()['loss']))

    def on_epoch_end(self, status):
        epoch = status['epoch_id'] + 1
        if status['mode'] == 'train' and self.losses:
            self.history['epoch'].append(epoch)
            self.history['loss'].append(float(np.mean(self.losses)))
        elif status['mode'] == 'eval':
            for metric in self.model._metrics:
                key, value = primary_value(metric)
                if key is not None:
                    self.history['eval_epoch'].append(epoch)
                    self.history['eval'].append({'key': key, 'value': value})
        write_json(self.json_path, self.history)

    def on_train_end(self, status):
        save_curves_png(self.history, self.png_path)
        logger.info('Training curves: {}'.format(self.png_path))


def save_curves_png(history, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(history['epoch'], history['loss'], 'o-', color='tab:blue', label='train loss')
    ax.set_xlabel('epoch')
    ax.set_ylabel('loss', color='tab:blue')
    if history['eval']:
        ax2 = ax.twinx()
        key = history['eval'][-1]['key']
        ax2.plot(history['eval_epoch'], [e['value'] for e in history['eval']], 's-',
                 color='tab:orange', label=key)
        ax2.set_ylabel(key, color='tab:orange')
    ax.set_title('training curves')
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png', dpi=100)
    plt.close(fig)


class ScalarVisualDLWriter(VisualDLWriter):
    """ppdet's VisualDL writer, logging the plain numbers of any metric's results."""

    def on_epoch_end(self, status):
        if status['mode'] == 'eval':
            for metric in self.model._metrics:
                for key, value in scalar_results(metric).items():
                    self.vdl_writer.add_scalar('eval/' + key, value, self.vdl_mAP_step)
            self.vdl_mAP_step += 1
