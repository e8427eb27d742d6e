"""Checkpoints that carry their meaning: weights plus a ``__meta__`` entry, written atomically.

The meta (class names, input spec, architecture, config, epoch, metrics) rides inside the
``.pdparams`` file, so a weights file alone tells inference how to preprocess and what the
outputs mean. ppdet's own loaders ignore the extra key.
"""
import os

import numpy as np
import paddle

from ..errors import WeightsError
from ..io import atomic_path
from ..resources import package_path

META_KEY = '__meta__'


def with_suffix(path):
    """``path`` with the ``.pdparams`` suffix."""
    return path if path.endswith('.pdparams') else path + '.pdparams'


def weights_path(path):
    """The weights file ``path`` names, with its suffix (``ppdet_emotion://weights/...``: the
    shipped file inside the package)."""
    return with_suffix(package_path(path))


def save_checkpoint(save_dir, name, state_dict, meta, optimizer=None, last_epoch=0):
    """Write ``name.pdopt`` (with an optimizer), then ``name.pdparams``, each atomically."""
    path = os.path.join(save_dir, name)
    state = dict(state_dict)
    state[META_KEY] = meta
    if optimizer is not None:
        opt_state = optimizer.state_dict()
        opt_state['last_epoch'] = last_epoch
        with atomic_path(path + '.pdopt') as tmp:
            paddle.save(opt_state, tmp)
    with atomic_path(path + '.pdparams') as tmp:
        paddle.save(state, tmp)
    return path + '.pdparams'


def save_weights_file(path, state_dict, meta):
    """Write weights (no optimizer) with meta to the file ``path`` atomically; returns its path."""
    folder, name = os.path.split(os.path.abspath(with_suffix(path)))
    return save_checkpoint(folder, name[:-len('.pdparams')], state_dict, meta)


def load_state(path):
    """(state dict without meta, meta or {}) of a weights file; WeightsError if unreadable."""
    if path.startswith(('http://', 'https://')):
        raise WeightsError('weights {!r} is a URL and nothing is downloaded at run time: fetch '
                           'the file yourself and pass its local path'.format(path))
    path = weights_path(path)
    if not os.path.isfile(path):
        raise WeightsError('weights file {!r} does not exist'.format(path))
    try:
        state = paddle.load(path)
    except Exception as e:  # paddle raises many kinds for a corrupt file
        raise WeightsError('weights file {!r} cannot be read: {}'.format(path, e)) from None
    if not isinstance(state, dict):
        raise WeightsError('weights file {!r} does not hold a state dict'.format(path))
    meta = state.pop(META_KEY, None) or {}
    return state, meta


def read_meta(path):
    return load_state(path)[1]


def load_weights_strict(model, path):
    """Load every parameter of ``model`` from ``path``, cast to the model's dtypes (release
    weights are stored as float16).

    Raises WeightsError naming the missing keys or the shape mismatches. Returns the meta.
    """
    state, meta = load_state(path)
    fit_state(model, state, path)
    return meta


def fit_state(model, state, path):
    """Load the state dict read from ``path`` into ``model`` as ``load_weights_strict`` does."""
    missing, wrong = [], []
    loaded = {}
    for key, param in model.state_dict().items():
        value = state.get(key)
        if value is None:
            missing.append(key)
        elif list(value.shape) != list(param.shape):
            wrong.append('{}: file {} vs model {}'.format(key, list(value.shape), list(param.shape)))
        else:
            value = paddle.to_tensor(value) if isinstance(value, np.ndarray) else value
            loaded[key] = value if value.dtype == param.dtype else value.astype(param.dtype)
    if missing or wrong:
        details = (['missing: ' + ', '.join(missing[:5]) + (' ...' if len(missing) > 5 else '')]
                   if missing else []) + wrong[:5]
        raise WeightsError('weights file {!r} does not fit the model ({} missing, {} of wrong '
                           'shape): {}'.format(weights_path(path), len(missing), len(wrong),
                                               '; '.join(details)))
    model.set_state_dict(loaded)
