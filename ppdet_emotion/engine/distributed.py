"""Training in several processes (``python -m paddle.distributed.launch``): which process this
is, the parallel environment, and the rule that only the first process writes files.

Each process takes its share of every epoch's batches (ppdet's ``DistributedBatchSampler``);
``paddle.DataParallel`` averages the gradients. The batch size is per process, as in
PaddleDetection, so the global batch is ``batch_size`` times the number of processes.
"""
import os
import time

import paddle

from ..errors import ConfigError


def world_size():
    """How many training processes ``paddle.distributed.launch`` started (1 without it)."""
    return int(os.environ.get('PADDLE_TRAINERS_NUM', '1'))


def rank():
    """This process's index among them (0: the one that writes files)."""
    return int(os.environ.get('PADDLE_TRAINER_ID', '0'))


def is_main_process():
    return rank() == 0


def init_processes():
    """Join the other processes (gloo on CPU, NCCL on GPUs) when there are several."""
    if world_size() > 1:
        paddle.distributed.init_parallel_env()


def check_share(steps_per_epoch, dataset_size, batch_size):
    """ConfigError when this process's share of the data set makes no full batch."""
    if steps_per_epoch < 1:
        raise ConfigError('{} training process(es) with TrainReader.batch_size {} need at least {} '
                          'training images; the data set has {} (use fewer processes with '
                          '--nproc_per_node, or a smaller batch_size)'.format(
                              world_size(), batch_size, world_size() * batch_size, dataset_size))


class EvaluationBarrier(object):
    """The other processes wait for the first one's evaluation without timing out: ppdet
    evaluates on process 0 only, and the rest would sit in the next gradient all-reduce, which
    gloo (CPU) aborts after 30 s. They poll a counter in the launcher's TCP store instead."""

    def __init__(self, store=None):
        if store is None:
            from paddle.base import core
            store = core.create_or_get_global_tcp_store()
        self.store = store

    def done(self, epoch_id):
        """Process 0: the evaluation after ``epoch_id`` is over."""
        self.store.add('ppdet_emotion_eval_{}'.format(epoch_id), 1)

    def wait(self, epoch_id, poll_seconds=0.5):
        while self.store.add('ppdet_emotion_eval_{}'.format(epoch_id), 0) < 1:
            time.sleep(poll_seconds)
