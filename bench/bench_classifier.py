"""Benchmark the expression classifiers on this CPU: training throughput and per-face latency.

For each config: parameters and size, training images/s (dygraph, the config's batch size),
inference ms per face at batch 1 and 32 in dygraph and with Paddle Inference (+ oneDNN).
Random inputs of the config's input spec; each config runs in its own process.

    python bench/bench_classifier.py [--configs a.yml b.yml] [--threads 2] [--steps 5]

``bench/bench_training.py`` reuses the child process here for training-only variants
(``--train_only`` with ``-o`` overrides, ``--size``, ``--batch`` and ``--to_static``).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIGS = ['configs/emotion/fer2013_{}.yml'.format(n)
                   for n in ('resnet18', 'distresnet', 'resnet34', 'vgg16')]


def measure(config, steps, threads, opts=(), size=None, batch=None, to_static=False,
            train_only=False):
    """Runs in a child process: one config's figures as a dict."""
    import numpy as np
    import ppdet_emotion  # noqa: F401  (first: it sets the import order)
    import paddle
    from timing import median_ms
    from ppdet.core.workspace import create
    from ppdet.optimizer import OptimizerBuilder  # noqa: F401
    from ppdet_emotion.data.input_spec import FaceInputSpec
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_classifier

    cfg = load_cfg(config, opts)
    spec = FaceInputSpec.from_transforms(cfg['EvalReader']['sample_transforms'])
    size = size or spec.size
    batch = batch or cfg['TrainReader']['batch_size']
    model = create(cfg.architecture)
    params = sum(int(np.prod(p.shape)) for p in model.parameters())
    optimizer = create('OptimizerBuilder')(create('LearningRate')(100), model)
    forward = paddle.jit.to_static(model.forward, full_graph=True) if to_static else model.forward
    images = paddle.rand([batch, spec.channels, size, size])
    labels = paddle.randint(0, 7, [batch, 1])

    def train_step():
        model.train()
        loss = forward({'image': images, 'gt_class': labels})['loss']
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()

    row = {'config': os.path.basename(config), 'input': '{}x{}x{}'.format(spec.channels, size, size),
           'params_m': params / 1e6, 'size_mb': params * 4 / 2 ** 20, 'batch': batch,
           'paddle': paddle.__version__, 'train_ips': batch / (median_ms(train_step, steps) / 1000)}
    if train_only:
        return row
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        prefix = export_classifier(model, spec, os.path.join(tmp, 'model'))
        predictor = Predictor(prefix, onednn=True, threads=threads)
        for n in (1, 32):
            faces = np.random.rand(n, spec.channels, size, size).astype('float32')
            tensor = paddle.to_tensor(faces)
            with paddle.no_grad():
                row['dygraph_b{}_ms'.format(n)] = median_ms(lambda: model.classify(tensor), 10) / n
            row['onednn_b{}_ms'.format(n)] = median_ms(lambda: predictor({'image': faces}), 10) / n
    return row


def run_child(config, steps, threads, extra=(), python=sys.executable):
    """Measure one config in a fresh ``python`` process with ``threads`` OpenMP threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [python, os.path.abspath(__file__), '--child', config, '--steps', str(steps),
           '--threads', str(threads)] + list(extra)
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit('benchmark of {} {} failed:\n{}'.format(config, ' '.join(extra), proc.stderr[-2000:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(rows):
    cols = [('config', '{}'), ('input', '{}'), ('params_m', '{:.2f}'), ('size_mb', '{:.1f}'),
            ('train_ips', '{:.1f}'), ('dygraph_b1_ms', '{:.2f}'), ('dygraph_b32_ms', '{:.2f}'),
            ('onednn_b1_ms', '{:.2f}'), ('onednn_b32_ms', '{:.2f}')]
    heads = ['config', 'input', 'params (M)', 'size (MB)', 'train img/s', 'dygraph ms/face b1',
             'dygraph ms/face b32', 'oneDNN ms/face b1', 'oneDNN ms/face b32']
    print('| ' + ' | '.join(heads) + ' |')
    print('|' + '---|' * len(heads))
    for row in rows:
        print('| ' + ' | '.join(fmt.format(row[k]) for k, fmt in cols) + ' |')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='*', default=DEFAULT_CONFIGS)
    parser.add_argument('--steps', type=int, default=5, help='timed training steps per config')
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--child', default=None, help=argparse.SUPPRESS)
    parser.add_argument('-o', '--opt', nargs='*', default=[], help=argparse.SUPPRESS)
    parser.add_argument('--size', type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument('--batch', type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument('--to_static', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--train_only', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.steps, args.threads, args.opt, args.size,
                                 args.batch, args.to_static, args.train_only)))
        return
    print_table([run_child(config, args.steps, args.threads) for config in args.configs])


if __name__ == '__main__':
    main()
