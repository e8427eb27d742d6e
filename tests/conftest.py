"""Shared fixtures: synthetic FER-like data, a tiny classifier config, and a trained tiny model.

Tools run in subprocesses: ppdet keeps one process-global config that every load merges into.
"""
import json
import os
import subprocess
import sys

import pytest

if os.environ.get('PYTEST_XDIST_WORKER_COUNT') and 'OMP_NUM_THREADS' not in os.environ:
    # pytest -n N: the workers share the cores instead of each spinning threads on all of them
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity')
             else os.cpu_count() or 1)
    workers = int(os.environ['PYTEST_XDIST_WORKER_COUNT'])
    os.environ['OMP_NUM_THREADS'] = str(max(1, cores // workers))

import ppdet_emotion  # noqa: E402,F401  (cv2/PIL before paddle, and registration)
from synthetic import make_folder_dataset, write_fer_csv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_tool(tool, *args, cwd):
    """Run ``tools/<tool>.py`` with 1 thread; returns the CompletedProcess (text)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, os.path.join(REPO, 'tools', tool + '.py')] + list(args),
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def load_tool(name):
    """The tool ``name`` as a module (its functions, without running main)."""
    import importlib
    return importlib.import_module('ppdet_emotion.tools.' + name)


def assert_clean_error(proc, *fragments):
    """Non-zero exit, one clear ``error:`` line naming the culprit, no traceback."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert 'Traceback' not in proc.stderr, proc.stderr
    assert 'error:' in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


TINY_CONFIG = """
_BASE_: ['{repo}/configs/emotion/fer2013_resnet18.yml']
epoch: {epoch}
seed: 1
log_iter: 5
worker_num: 0
save_dir: {save_dir}
EmotionResNet: {{widths: [8, 16, 32, 64], stem_stride: 1}}
EmotionHead: {{dropout: 0.0, label_smoothing: 0.0}}
TrainReader: {{batch_size: 16}}
LearningRate:
  base_lr: 0.05
  schedulers:
  - !CosineDecay {{max_epochs: {epoch}}}
  - !LinearWarmup {{start_factor: 0.1, steps: 5}}
TrainDataset: !FERFolderDataSet {{dataset_dir: {data}, image_dir: train}}
EvalDataset: !FERFolderDataSet {{dataset_dir: {data}, image_dir: val}}
TestDataset: !FERFolderDataSet {{dataset_dir: {data}, image_dir: val}}
"""


def write_tiny_config(folder, data, epoch=6, name='tiny.yml'):
    path = os.path.join(folder, name)
    with open(path, 'w') as f:
        f.write(TINY_CONFIG.format(repo=REPO, epoch=epoch, data=data,
                                   save_dir=os.path.join(folder, 'output')))
    return path


@pytest.fixture(scope='session')
def fer_data(tmp_path_factory):
    """ROOT with train/ (16 per class) and val/ (6 per class), plus fer2013.csv of the same."""
    root = str(tmp_path_factory.mktemp('fer'))
    splits = make_folder_dataset(root, per_class=(16, 6))
    write_fer_csv(os.path.join(root, 'fer2013.csv'), splits)
    return root


@pytest.fixture(scope='session')
def trained(tmp_path_factory, fer_data):
    """A tiny classifier trained with tools/train.py --eval; returns its folder and config."""
    folder = str(tmp_path_factory.mktemp('trained'))
    config = write_tiny_config(folder, fer_data)
    proc = run_tool('train', '-c', config, '--eval', cwd=folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = os.path.join(folder, 'output', 'tiny')
    with open(os.path.join(out, 'training_history.json')) as f:
        history = json.load(f)
    return {'folder': folder, 'config': config, 'out': out, 'history': history,
            'log': proc.stdout + proc.stderr}


@pytest.fixture(scope='session')
def exported_default(tmp_path_factory):
    """configs/emotion/default.yml exported by tools/export_model.py: the model folder."""
    folder = tmp_path_factory.mktemp('exported_default')
    proc = run_tool('export_model', '-c', os.path.join(REPO, 'configs', 'emotion', 'default.yml'),
                    '--output_dir', str(folder), cwd=str(folder))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder / 'default'
