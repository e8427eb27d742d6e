"""Training in several processes (``python -m paddle.distributed.launch``): which process this
is, the parallel environment, and the rule that only the first process writes files.

Each process takes its share of every epoch's batches (ppdet's ``DistributedBatchSampler``);
``paddle.DataParallel`` averages the gradients. The batch size is per process, as in
PaddleDetection, so the global batch is ``batch_size`` times the number of processes.
"""
import os

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
