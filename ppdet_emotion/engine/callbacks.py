"""Training callbacks: atomic checkpoints with meta and best-model selection, training curves,
and VisualDL scalars for our metrics."""
import glob
import json
import os

import numpy as np
from ppdet.engine.callbacks import Callback, VisualDLWriter
from ppdet.utils.logger import setup_logger

from ..io import atomic_path, write_json
from .checkpoint import save_checkpoint
from .seeding import seed_everything

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


def remove_stale_temp_files(folder):
    """Temp files left by a write that was killed (``io.AtomicFile`` names: ``.NAME.*.tmp*``)."""
    stale = glob.glob(os.path.join(glob.escape(folder), '.*.tmp*'))
    for path in stale:
        os.remove(path)
    if stale:
        logger.info('Removed {} temp file(s) of an interrupted write: {}'.format(
            len(stale), ', '.join(os.path.basename(p) for p in stale)))


class MetaCheckpointer(Callback):
    """Saves ``<epoch>``, ``model_final`` and ``best_model`` atomically, with the trainer's meta.

    With ``--eval``, an epoch's checkpoint is written after that epoch's evaluation, so its meta
    carries that evaluation's figures; every checkpoint's meta also keeps the best figure so far,
    which a resumed run continues from.
    """

    def __init__(self, trainer):
        super().__init__(trainer)
        self.save_dir = os.path.join(trainer.cfg.save_dir, trainer.cfg.filename)
        self.best = None  # {'key', 'value', 'epoch'}
        self.pending = None  # (name, epoch_id) of a checkpoint waiting for its evaluation

    def on_train_begin(self, status):
        if os.path.isdir(self.save_dir):
            remove_stale_temp_files(self.save_dir)
        if self.model.start_epoch > 0:
            self.best = self.model.resume_meta.get('best')

    def _save(self, name, epoch_id, metrics=None):
        trainer = self.model
        meta = dict(trainer.checkpoint_meta(), epoch=epoch_id + 1, metrics=metrics or {},
                    best=self.best)
        path = save_checkpoint(self.save_dir, name, trainer.model.state_dict(), meta,
                               trainer.optimizer, epoch_id + 1)
        logger.info('Saved checkpoint {}'.format(path))

    def on_epoch_end(self, status):
        cfg = self.model.cfg
        epoch_id = status['epoch_id']
        if status['mode'] == 'train':
            last = epoch_id == cfg.epoch - 1
            if (epoch_id + 1) % cfg.snapshot_epoch == 0 or last:
                name = 'model_final' if last else str(epoch_id)
                if self.model.validating:
                    self.pending = (name, epoch_id)
                else:
                    self._save(name, epoch_id)
        elif status['mode'] == 'eval' and status.get('save_best_model'):
            for metric in self.model._metrics:
                results = scalar_results(metric)
                key, value = primary_value(metric)
                improved = key is not None and (self.best is None or value >= self.best['value'])
                if key is None:
                    logger.warning('Evaluation gave no result to rank checkpoints by.')
                elif improved:
                    self.best = {'key': key, 'value': value, 'epoch': epoch_id + 1}
                if self.pending is not None:
                    self._save(self.pending[0], epoch_id, results)
                    self.pending = None
                if improved:
                    self._save('best_model', epoch_id, results)
                if self.best is not None:
                    logger.info('Best {} so far: {:.4f} (epoch {})'.format(
                        self.best['key'], self.best['value'], self.best['epoch']))


class EpochSeeds(Callback):
    """Each training epoch's randomness from (``seed``, epoch, process) alone, so a run resumed
    from a checkpoint repeats the uninterrupted run.

    ppdet's reader starts the next epoch's batches (their order and augmentation, in a
    prefetching thread or worker processes) as soon as an epoch ends, and tells only the data
    set the epoch. At each epoch's start this stops that early start, tells the batch sampler
    the epoch (its shuffle), reseeds Python, NumPy and Paddle when the config has a ``seed``
    (augmentation, dropout), and starts the epoch's batches afresh.
    """

    def __init__(self, trainer, seed=None, process=0):
        super().__init__(trainer)
        self.seed, self.process, self.seeded = seed, process, None

    def on_epoch_begin(self, status):
        epoch_id = status['epoch_id']
        if status['mode'] != 'train' or epoch_id == self.seeded:  # ppdet calls it again to evaluate
            return
        self.seeded = epoch_id
        reader = self.model.loader
        early = getattr(reader, 'loader', None)
        if hasattr(early, '_try_shutdown_all'):
            early._try_shutdown_all()  # its thread or workers must not draw from the new seeds
        sampler = getattr(reader, '_batch_sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(epoch_id)
        if self.seed is not None:
            seed_everything(int(np.random.SeedSequence([self.seed, epoch_id, self.process])
                                .generate_state(1)[0]))
        if early is not None:
            reader.loader = iter(reader.dataloader)


class WaitForEvaluation(Callback):
    """With several processes and ``--eval``: after each evaluated epoch, the other processes
    wait for process 0's evaluation (``distributed.EvaluationBarrier``)."""

    def __init__(self, trainer, barrier, main):
        super().__init__(trainer)
        self.barrier, self.main = barrier, main

    def evaluated(self, epoch_id):
        cfg = self.model.cfg
        return self.model.validating and (
            (epoch_id + 1) % cfg.snapshot_epoch == 0 or epoch_id == cfg.epoch - 1)

    def on_epoch_end(self, status):
        epoch_id = status['epoch_id']
        if self.main and status['mode'] == 'eval':
            self.barrier.done(epoch_id)
        elif not self.main and status['mode'] == 'train' and self.evaluated(epoch_id):
            self.barrier.wait(epoch_id)


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
        # a resumed run's history: its save dir's, else the one beside the checkpoint
        beside = os.path.join(self.model.resume_dir or '', 'training_history.json')
        found = [p for p in (self.json_path, beside) if os.path.isfile(p)]
        if self.model.start_epoch > 0 and found:
            with open(found[0]) as f:
                history = json.load(f)
            keep = lambda epochs: sum(e <= self.model.start_epoch for e in epochs)
            n, m = keep(history['epoch']), keep(history['eval_epoch'])
            self.history = {'epoch': history['epoch'][:n], 'loss': history['loss'][:n],
                            'eval_epoch': history['eval_epoch'][:m], 'eval': history['eval'][:m]}

    def on_epoch_begin(self, status):
        self.losses = []

    def on_step_end(self, status):
        if status['mode'] == 'train':
            # the step's own loss (``get()`` gives the median over ppdet's log window)
            self.losses.append(float(status['training_staus'].meters['loss'].value))

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
    lines = ax.plot(history['epoch'], history['loss'], 'o-', color='tab:blue', label='train loss')
    ax.set_xlabel('epoch')
    ax.set_ylabel('loss', color='tab:blue')
    if history['eval']:
        ax2 = ax.twinx()
        key = history['eval'][-1]['key']
        lines += ax2.plot(history['eval_epoch'], [e['value'] for e in history['eval']], 's-',
                          color='tab:orange', label='eval ' + key)
        ax2.set_ylabel(key, color='tab:orange')
    ax.legend(lines, [line.get_label() for line in lines], loc='best')
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
