"""Training throughput of the expression-classifier variants we tried on this CPU.

One row per variant: architecture and input size, batch size, OpenMP threads, dygraph or
static graph (``paddle.jit.to_static``), and the Paddle build (``--python26`` names a Python
with paddlepaddle 2.6.2 for the comparison rows). Random inputs, each row in its own process.

    python bench/bench_training.py [--python26 /path/to/venv26/bin/python] [--steps 5]
"""
import argparse
import sys

from bench_classifier import run_child

DEFAULT = 'configs/emotion/fer2013_resnet18.yml'
FULL_WIDTH = ['EmotionResNet.widths=[64,128,256,512]']
STRIDE_1 = ['EmotionResNet.stem_stride=1']

# (variant, config, -o overrides, input size or None for the config's, batch, threads, to_static, paddle 2.6)
VARIANTS = [
    ('default: R18 half width, stride-2 stem', DEFAULT, [], None, 64, 2, False, False),
    ('default at 48x48 (no crop)', DEFAULT, [], 48, 64, 2, False, False),
    ('default, batch 32', DEFAULT, [], None, 32, 2, False, False),
    ('default, batch 128', DEFAULT, [], None, 128, 2, False, False),
    ('default, 1 thread', DEFAULT, [], None, 64, 1, False, False),
    ('default, static graph', DEFAULT, [], None, 64, 2, True, False),
    ('default on Paddle 2.6.2', DEFAULT, [], None, 64, 2, False, True),
    ('default on Paddle 2.6.2, static graph', DEFAULT, [], None, 64, 2, True, True),
    ('R18 full width, stride-2 stem', DEFAULT, FULL_WIDTH, None, 64, 2, False, False),
    ('R18 half width, stride-1 stem', DEFAULT, STRIDE_1, None, 64, 2, False, False),
    ('R18 full width, stride-1 stem (published layout)', DEFAULT, FULL_WIDTH + STRIDE_1, None, 64, 2,
     False, False),
    ('DistResNet (first write-up), 128x128', 'configs/emotion/fer2013_distresnet.yml', [], None, 32, 2,
     False, False),
]
FER_TRAIN_IMAGES = 28709


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--python26', default=None,
                        help='a Python with paddlepaddle 2.6.2; without it those rows are skipped')
    parser.add_argument('--steps', type=int, default=5, help='timed training steps per variant')
    args = parser.parse_args()
    heads = ['variant', 'Paddle', 'threads', 'batch', 'input', 'graph', 'params (M)', 'train img/s',
             'min/FER epoch']
    print('| ' + ' | '.join(heads) + ' |')
    print('|' + '---|' * len(heads))
    for name, config, opts, size, batch, threads, static, old in VARIANTS:
        if old and not args.python26:
            continue
        extra = ['--train_only', '--batch', str(batch)] + (['--size', str(size)] if size else [])
        extra += (['--to_static'] if static else []) + (['-o'] + opts if opts else [])
        row = run_child(config, args.steps, threads, extra, args.python26 if old else sys.executable)
        print('| {} | {} | {} | {} | {} | {} | {:.2f} | {:.1f} | {:.1f} |'.format(
            name, row['paddle'], threads, batch, row['input'], 'static' if static else 'dygraph',
            row['params_m'], row['train_ips'], FER_TRAIN_IMAGES / row['train_ips'] / 60), flush=True)


if __name__ == '__main__':
    main()
