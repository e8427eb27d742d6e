"""Benchmark the expression classifiers on this CPU: training throughput and per-face latency.

For each config: parameters and size, training images/s (dygraph, the config's batch size),
inference ms per face at batch 1 and 32 in dygraph and with Paddle Inference (+ oneDNN).
Random inputs of the config's input spec; each config runs in its own process.

    python bench/bench_classifier.py [--configs a.yml b.yml] [--threads 2] [--steps 5]
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




def measure(config, steps, threads):
    """Runs in a child process: one config's figures as a dict."""
    sys.path.insert(0, REPO)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    import ppdet_emotion  # noqa: F401  (first: it sets the import order)
    import paddle
    from timing import median_ms
    from ppdet.core.workspace import create
    from ppdet.optimizer import OptimizerBuilder  # noqa: F401
    from ppdet_emotion.data.transforms import input_spec_from_transforms
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_classifier

    cfg = load_cfg(config)
    spec = input_spec_from_transforms(cfg['EvalReader']['sample_transforms'])
    size, batch = spec['crop'] or spec['resize'], cfg['TrainReader']['batch_size']
    model = create(cfg.architecture)
    params = sum(int(np.prod(p.shape)) for p in model.parameters())
    optimizer = create('OptimizerBuilder')(create('LearningRate')(100), model)
    images = paddle.rand([batch, spec['channels'], size, size])
    labels = paddle.randint(0, 7, [batch, 1])

    def train_step():
        model.train()
        loss = model({'image': images, 'gt_class': labels})['loss']
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()

    row = {'config': os.path.basename(config), 'input': '{}x{}x{}'.format(spec['channels'], size, size),
           'params_m': params / 1e6, 'size_mb': params * 4 / 2 ** 20,
           'train_ips': batch / (median_ms(train_step, steps) / 1000)}
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        prefix = export_classifier(model, spec, os.path.join(tmp, 'model'))
        predictor = Predictor(prefix, onednn=True, threads=threads)
        for n in (1, 32):
            faces = np.random.rand(n, spec['channels'], size, size).astype('float32')
            tensor = paddle.to_tensor(faces)
            with paddle.no_grad():
                row['dygraph_b{}_ms'.format(n)] = median_ms(lambda: model.classify(tensor), 10) / n
            row['onednn_b{}_ms'.format(n)] = median_ms(lambda: predictor({'image': faces}), 10) / n
    return row


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
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.steps, args.threads)))
        return
    rows = []
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    for config in args.configs:
        proc = subprocess.run([sys.executable, __file__, '--child', config, '--steps', str(args.steps),
                               '--threads', str(args.threads)], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit('benchmark of {} failed:\n{}'.format(config, proc.stderr[-2000:]))
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print_table(rows)


if __name__ == '__main__':
    main()
