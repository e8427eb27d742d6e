"""Turn a training checkpoint into weights that ship: parameters stored as float16 (half the
size; loaders cast them back to the model's float32), no optimizer state, and provenance in the
meta: the command that trained them and the val figures that tools/eval.py measured on the
checkpoint (checked against the checkpoint's own best figure when it has one).

    python tools/release_weights.py --weights output/fer2013_resnet18/best_model.pdparams \
        --output weights/emotion/fer2013_resnet18.pdparams \
        --eval_results eval_single/eval_results.json --ten_crop_results eval_ten/eval_results.json \
        --command "python tools/train.py -c configs/emotion/fer2013_resnet18.yml --eval ..." \
        --training_hours 3.0
"""
import argparse
import json
import os

import numpy as np

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.checkpoint import load_state, save_weights_file
from ppdet_emotion.engine.cli import run
from ppdet_emotion.errors import DataError, WeightsError

VAL_KEYS = ('top1_acc', 'mean_recall', 'num_samples')


def val_figures(path):
    """The headline numbers of an ``eval_results.json`` written by tools/eval.py."""
    try:
        with open(path) as f:
            results = json.load(f)
        return {key: results[key] for key in VAL_KEYS}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError('{!r}: expected an eval_results.json from tools/eval.py with keys {} '
                        '({})'.format(path, ', '.join(VAL_KEYS), e)) from None


def check_figures(meta, val, weights):
    """The eval results must be of these weights: the figures of the evaluation the checkpoint
    recorded, where both have them, match."""
    recorded = meta.get('metrics') or {}
    for key in [k for k in VAL_KEYS if k in val and k in recorded]:
        if abs(val[key] - recorded[key]) > 1e-6:
            raise DataError('--eval_results gives {} {:.4f}, but {!r} recorded {:.4f}: evaluate '
                            'these weights with tools/eval.py and pass that eval_results.json'
                            .format(key, val[key], weights, recorded[key]))


def to_float16(state):
    """float32 values as float16; WeightsError naming a value float16 cannot hold."""
    half = {}
    for key, value in state.items():
        if 'float32' not in str(value.dtype).lower():
            half[key] = value
            continue
        full = np.asarray(value.numpy() if hasattr(value, 'numpy') else value)
        small = full.astype('float16')
        if not np.isfinite(small).all():
            raise WeightsError('{}: values beyond the float16 range (max |x| {:.3g})'.format(
                key, np.abs(full).max()))
        half[key] = small
    return half


@run
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', required=True, help='training checkpoint (.pdparams)')
    parser.add_argument('--output', required=True, help='release .pdparams file to write')
    parser.add_argument('--eval_results', required=True,
                        help='eval_results.json of tools/eval.py on these weights (single crop)')
    parser.add_argument('--ten_crop_results', default=None,
                        help='eval_results.json of tools/eval.py --ten_crop on these weights')
    parser.add_argument('--command', required=True, help='the command that trained them')
    parser.add_argument('--training_hours', type=float, required=True,
                        help='wall-clock training time, from the training log')
    args = parser.parse_args(argv)
    state, meta = load_state(args.weights)
    val = {'single_crop': val_figures(args.eval_results)}
    check_figures(meta, val['single_crop'], args.weights)
    if args.ten_crop_results:
        val['ten_crop'] = val_figures(args.ten_crop_results)
    meta = dict(meta, release={'trained_by': args.command, 'training_hours': args.training_hours,
                               'val': val, 'val_measured_on': os.path.basename(args.weights),
                               'stored_as': 'float16'})
    half = to_float16(state)
    path = save_weights_file(args.output, half, meta)
    print('release weights: {} ({:.1f} MB)'.format(path, os.path.getsize(path) / 2 ** 20))


if __name__ == '__main__':
    main()
