"""Training throughput with 1 and with several processes (``paddle.distributed.launch``, gloo on
CPU), the cores shared out among them, on an image-folder FER2013: images/s and the loss of
each run.

    python bench/bench_distributed.py --data ROOT [--images 0] [--epochs 1] [--procs 1 2]
        [-c fer2013_resnet18] [--cores 2]

``ROOT/train/<class>/*.jpg``; ``--images N`` trains on the first N images per class (0: all).
Images/s is rank 0's median step rate after the first 5 logged steps, times the processes
(they step together); wall time includes start-up. Prints a table.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IPS = re.compile(r'ips: ([0-9.]+) images/s')


def subset(root, per_class, folder):
    """A folder of links to the first ``per_class`` training images of each class."""
    train = os.path.join(root, 'train')
    for name in sorted(os.listdir(train)):
        os.makedirs(os.path.join(folder, 'train', name))
        for image in sorted(os.listdir(os.path.join(train, name)))[:per_class]:
            os.symlink(os.path.join(train, name, image), os.path.join(folder, 'train', name, image))
    return folder


def train(procs, args, data, work):
    save_dir = os.path.join(work, 'p{}'.format(procs))
    opts = ['epoch={}'.format(args.epochs), 'save_dir=' + save_dir, 'snapshot_epoch=1000',
            'TrainDataset.dataset_dir=' + data, 'TrainDataset.image_dir=train', 'log_iter=10',
            'worker_num=1']
    tool = [os.path.join(REPO, 'tools', 'train.py'), '-c', args.config, '-o'] + opts
    env = {k: v for k, v in os.environ.items() if k != 'CUDA_VISIBLE_DEVICES'}
    env['OMP_NUM_THREADS'] = str(max(1, args.cores // procs))
    log_dir = os.path.join(work, 'log{}'.format(procs))
    launch = [sys.executable, '-m', 'paddle.distributed.launch', '--nproc_per_node', str(procs),
              '--log_dir', log_dir] if procs > 1 else [sys.executable]
    tic = time.time()
    proc = subprocess.run(launch + tool, cwd=work, env=env, capture_output=True, text=True)
    wall = time.time() - tic
    log = proc.stdout + proc.stderr
    if procs > 1:
        with open(os.path.join(log_dir, 'workerlog.0')) as f:
            log = f.read()
    if proc.returncode != 0:
        sys.exit('{} process(es) failed:\n{}'.format(procs, log[-3000:]))
    rates = [float(v) for v in IPS.findall(log)][5:]
    name = os.path.splitext(os.path.basename(args.config))[0]
    with open(os.path.join(save_dir, name, 'training_history.json')) as f:
        losses = json.load(f)['loss']
    return {'ips': statistics.median(rates) * procs, 'wall': wall, 'loss': losses,
            'threads': env['OMP_NUM_THREADS']}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', required=True, help='FER2013 image folders: ROOT/train/<class>/')
    parser.add_argument('-c', '--config', default='fer2013_resnet18')
    parser.add_argument('--images', type=int, default=0, help='images per class (0: all)')
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--procs', type=int, nargs='*', default=[1, 2])
    parser.add_argument('--cores', type=int, default=os.cpu_count(),
                        help='cores shared out among the processes (OMP_NUM_THREADS each)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = subset(args.data, args.images, os.path.join(work, 'data')) if args.images \
            else args.data
        rows = [(procs, train(procs, args, data, work)) for procs in args.procs]
    print('config {}, {} epoch(s), {} images per class, {} cores'.format(
        args.config, args.epochs, args.images or 'all', args.cores))
    print('| processes | threads each | images/s (all processes) | wall s | mean loss per epoch |')
    print('|---|---|---|---|---|')
    for procs, row in rows:
        print('| {} | {} | {:.1f} | {:.0f} | {} |'.format(
            procs, row['threads'], row['ips'], row['wall'],
            ', '.join('{:.4f}'.format(v) for v in row['loss'])))


if __name__ == '__main__':
    main()
