"""A soft-target table: one row of class log-probabilities per face of a data set, keyed by the
face's name (``<class>/<file>`` in a folder tree, ``<usage>/<line>`` in the CSV).

Written once by ``ppdet-emotion soft_targets`` from teacher weights; a data set given the table
(``soft_targets: FILE``) hands each face its row as ``soft_target``, which ``EmotionHead``
learns as the teacher's output (offline distillation: no teacher runs while training).
"""
import os

import numpy as np

from ..errors import DataError
from ..io import atomic_path


def save_soft_targets(path, names, log_probs, teachers, ten_crop):
    """Write the table atomically as ``.npz`` (names, log_probs, and how it was made)."""
    log_probs = np.asarray(log_probs, dtype=np.float32)
    if log_probs.shape[0] != len(names):
        raise ValueError('{} faces but {} rows of log-probabilities'.format(len(names),
                                                                           log_probs.shape[0]))
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez(f, names=np.array(names), log_probs=log_probs, teachers=np.array(teachers),
                     ten_crop=np.array(bool(ten_crop)))


def load_soft_targets(path, names, num_classes):
    """Rows of the table at ``path`` for ``names``, in that order (float32, N x num_classes).

    DataError names the file when it is not such a table, its rows have another class count,
    or it lacks a face of the data set.
    """
    if not os.path.isfile(path):
        raise DataError('soft_targets: file {!r} does not exist'.format(path))
    try:
        with np.load(path) as table:
            known, log_probs = [str(n) for n in table['names']], table['log_probs']
    except (OSError, ValueError, KeyError):
        raise DataError('soft_targets: {} is not a soft-target table (.npz with names and '
                        'log_probs, as `ppdet-emotion soft_targets` writes)'.format(path)) from None
    if log_probs.ndim != 2 or log_probs.shape[1] != num_classes:
        raise DataError('soft_targets: {} has rows of {} classes; the data set has {}'.format(
            path, log_probs.shape[1] if log_probs.ndim == 2 else '?', num_classes))
    row = {name: i for i, name in enumerate(known)}
    missing = [name for name in names if name not in row]
    if missing:
        raise DataError('soft_targets: {} lacks {} of the data set\'s {} faces (first: {}); '
                        'write it for this data set'.format(path, len(missing), len(names),
                                                            missing[0]))
    return log_probs[[row[name] for name in names]].astype(np.float32)
