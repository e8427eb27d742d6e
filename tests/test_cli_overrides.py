"""``-o`` reaches into lists by index, e.g. the cosine schedule of a warm restart:
``-o epoch=5 LearningRate.schedulers.0.max_epochs=5``; a bad index is a clear error."""
import os
import subprocess
import sys

from conftest import REPO, assert_clean_error, run_tool

RESTART = os.path.join(REPO, 'configs', 'emotion', 'fer2013_resnet18_restart.yml')

READ_SCHEDULE = """
import sys, ppdet_emotion
from ppdet_emotion.engine.cli import load_cfg
cfg = load_cfg(sys.argv[1], sys.argv[2:])
cosine, warmup = cfg['LearningRate']['schedulers']
print(cfg['epoch'], cosine.max_epochs, warmup.steps)
"""


def test_override_sets_a_scheduler_inside_the_list():
    proc = subprocess.run([sys.executable, '-c', READ_SCHEDULE, RESTART, 'epoch=5',
                           'LearningRate.schedulers.0.max_epochs=5',
                           'LearningRate.schedulers.1.steps=50'],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-3:] == ['5', '5', '50']


def test_bad_list_index_names_the_key(tmp_path):
    proc = run_tool('train', '-c', RESTART, '-o', 'LearningRate.schedulers.2.max_epochs=5',
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'LearningRate.schedulers.2.max_epochs', 'expected 0-1')
