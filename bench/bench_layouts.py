"""What the ResNet-18 layouts weighed for the issue-19 recipe cost: training and exported speed.

One row per layout of ``configs/emotion/fer2013_resnet18.yml`` (``-o`` overrides): parameters,
training images/s (dygraph, batch 64) and ms per face exported with Paddle Inference + oneDNN at
batch 1 and 32. Random inputs, each row in its own process.

    python bench/bench_layouts.py [--threads 2] [--steps 5]
"""
import argparse
import os

from bench_classifier import run_child
from bench_training import DEFAULT, FULL_WIDTH, STRIDE_1

LAYOUTS = [
    ('half width (32-256), stride-2 stem: shipped', []),
    ('full width (64-512), stride-2 stem', FULL_WIDTH),
    ('half width, stride-1 stem', STRIDE_1),
    ('three-quarter width (48-384), stride-2 stem', ['EmotionResNet.widths=[48,96,192,384]']),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=5, help='timed training steps per layout')
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    args = parser.parse_args()
    heads = ['layout', 'params (M)', 'train img/s', 'exported ms/face b1', 'exported ms/face b32',
             'b1 vs shipped']
    print('| ' + ' | '.join(heads) + ' |')
    print('|' + '---|' * len(heads))
    base = None
    for name, opts in LAYOUTS:
        extra = ['--batch', '64'] + (['-o'] + opts if opts else [])
        row = run_child(DEFAULT, args.steps, args.threads, extra)
        base = base or row['onednn_b1_ms']
        print('| {} | {:.2f} | {:.1f} | {:.2f} | {:.2f} | {:.2f}x |'.format(
            name, row['params_m'], row['train_ips'], row['onednn_b1_ms'], row['onednn_b32_ms'],
            row['onednn_b1_ms'] / base), flush=True)


if __name__ == '__main__':
    main()
