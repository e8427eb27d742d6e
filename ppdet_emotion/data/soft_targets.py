"""A soft-target table: one row of class log-probabilities per face of a data set, keyed by the
face's name (``<class>/<file>`` in a folder tree, ``<usage>/<line>`` in the CSV).

Written once by ``ppdet-emotion soft_targets`` from teacher weights; a data set given the table
(``soft_targets: FILE``) hands each face its row as ``soft_target``, which ``EmotionHead``
learns as the teacher's output (offline distillation: no teacher runs while training). Tables
of teachers with different configs (e.g. another width) are written one per config and pooled.
"""
import os

import numpy as np

from ..errors import DataError
from ..io import atomic_path


def mean_log_probs(prob_sum, count):
    """A table's rows from ``count`` teachers' summed class probabilities: the log of their mean."""
    return np.log(np.maximum(prob_sum / count, 1e-12)).astype(np.float32)


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


def read_soft_targets(path):
    """The table at ``path`` as (names, log_probs, teachers, ten_crop); DataError names the file
    when it is not such a table."""
    if not os.path.isfile(path):
        raise DataError('soft_targets: file {!r} does not exist'.format(path))
    try:
        with np.load(path) as table:
            return ([str(n) for n in table['names']], table['log_probs'],
                    [str(t) for t in table['teachers']], bool(table['ten_crop']))
    except (OSError, ValueError, KeyError):
        raise DataError('soft_targets: {} is not a soft-target table (.npz with names, log_probs, '
                        'teachers and ten_crop, as `ppdet-emotion soft_targets` writes)'.format(
                            path)) from None


def _rows_for(path, known, log_probs, names):
    """``log_probs`` rows (of the faces ``known``) reordered to ``names``; DataError names the
    table ``path`` when it lacks one of them."""
    row = {name: i for i, name in enumerate(known)}
    missing = [name for name in names if name not in row]
    if missing:
        raise DataError('soft_targets: {} lacks {} of the data set\'s {} faces (first: {}); '
                        'write it for this data set'.format(path, len(missing), len(names),
                                                            missing[0]))
    return log_probs[[row[name] for name in names]].astype(np.float32)


def load_soft_targets(path, names, num_classes):
    """Rows of the table at ``path`` for ``names``, in that order (float32, N x num_classes).

    DataError names the file when it is not such a table, its rows have another class count,
    or it lacks a face of the data set.
    """
    known, log_probs, _, _ = read_soft_targets(path)
    if log_probs.ndim != 2 or log_probs.shape[1] != num_classes:
        raise DataError('soft_targets: {} has rows of {} classes; the data set has {}'.format(
            path, log_probs.shape[1] if log_probs.ndim == 2 else '?', num_classes))
    return _rows_for(path, known, log_probs, names)


def pool_soft_targets(paths):
    """Tables of the same faces pooled into one, as if their teachers had been one ensemble: each
    face's probabilities averaged over all the teachers (a table weighs as many as it has).
    Returns (names, log_probs, teachers, ten_crop) in the first table's face order; DataError
    names a table whose faces, class count or crops differ from the first's."""
    names, first, teachers, ten_crop = read_soft_targets(paths[0])
    total = np.exp(first.astype(np.float64)) * len(teachers)
    for path in paths[1:]:
        known, log_probs, more, crops = read_soft_targets(path)
        if log_probs.shape[1:] != first.shape[1:] or len(known) != len(names):
            raise DataError('soft_targets: {} holds {} faces x {} classes; {} holds {} x {}'.format(
                path, len(known), log_probs.shape[-1], paths[0], len(names), first.shape[-1]))
        if crops != ten_crop:
            raise DataError('soft_targets: {} was written {} ten crops and {} {}: expected tables '
                            'of the same crops'.format(path, 'with' if crops else 'without',
                                                       paths[0], 'with' if ten_crop else 'without'))
        total += np.exp(_rows_for(path, known, log_probs, names).astype(np.float64)) * len(more)
        teachers = teachers + more
    return names, mean_log_probs(total, len(teachers)), teachers, ten_crop
