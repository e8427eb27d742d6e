"""Training that scales out and resumes exactly: two processes under paddle.distributed.launch
(CPU, gloo), a run killed after its first checkpoint and resumed, checkpoints whose meta is their
own evaluation, strict pretrain weights, and one-line errors that write nothing."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO, assert_clean_error, run_tool, write_tiny_config
from ppdet_emotion.engine.checkpoint import read_meta

pytestmark = pytest.mark.tools

TRAIN = os.path.join(REPO, 'tools', 'train.py')
TRAIN_IMAGES, BATCH = 7 * 16, 16  # the fer_data fixture, the tiny config


def history(out):
    with open(os.path.join(out, 'training_history.json')) as f:
        return json.load(f)


def test_two_processes_split_the_data_and_write_one_set_of_outputs(fer_data, tmp_path):
    config = write_tiny_config(str(tmp_path), fer_data, epoch=3)
    env = {k: v for k, v in os.environ.items() if k != 'CUDA_VISIBLE_DEVICES'}
    env.update(OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, '-m', 'paddle.distributed.launch', '--nproc_per_node',
                           '2', '--log_dir', str(tmp_path / 'log'), TRAIN, '-c', config, '--eval'],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    logs = {rank: (tmp_path / 'log' / 'workerlog.{}'.format(rank)).read_text() for rank in (0, 1)}
    assert proc.returncode == 0, proc.stdout[-2000:] + logs[0][-2000:] + logs[1][-2000:]
    steps = (TRAIN_IMAGES // 2) // BATCH  # each process takes half of every epoch
    for rank in (0, 1):
        assert 'process {} of 2: {} steps per epoch of 16 images'.format(rank + 1, steps) \
            in logs[rank], logs[rank][-2000:]
    assert steps < TRAIN_IMAGES // BATCH
    out = tmp_path / 'output' / 'tiny'
    assert sorted(os.listdir(str(out))) == sorted(
        ['0.pdparams', '0.pdopt', '1.pdparams', '1.pdopt', 'model_final.pdparams',
         'model_final.pdopt', 'best_model.pdparams', 'best_model.pdopt', 'training_history.json',
         'training_curves.png', 'eval_results.json', 'confusion_matrix.png'])
    assert 'Saved checkpoint' in logs[0] and 'Saved checkpoint' not in logs[1]
    losses = history(str(out))['loss']
    assert len(losses) == 3 and losses[-1] < losses[0]


class CounterStore(object):
    """The TCP store's ``add`` (add to a counter, return its value), in memory."""

    def __init__(self):
        self.counters, self.lock = {}, threading.Lock()

    def add(self, key, value):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + value
            return self.counters[key]


def test_other_processes_wait_out_a_long_evaluation():
    """They wait (past gloo's 30 s all-reduce timeout, had they waited there) until process 0
    says its evaluation of that epoch is done."""
    from ppdet_emotion.engine.distributed import EvaluationBarrier
    barrier = EvaluationBarrier(CounterStore())
    waiting = threading.Thread(target=barrier.wait, args=(3, 0.01))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive()
    barrier.done(2)  # another epoch's evaluation does not release it
    waiting.join(0.1)
    assert waiting.is_alive()
    barrier.done(3)
    waiting.join(5)
    assert not waiting.is_alive()


def newest_checkpoint(out):
    epochs = [int(os.path.basename(p)[:-len('.pdparams')])
              for p in glob.glob(os.path.join(out, '*.pdparams'))
              if os.path.basename(p)[:-len('.pdparams')].isdigit()]
    return max(epochs) if epochs else None


def test_a_killed_run_resumes_as_if_never_stopped(trained, fer_data, tmp_path):
    """The session's tiny run (6 epochs, --eval, seed 1) against the same run killed with
    SIGKILL after its first checkpoint and resumed with -r."""
    config = write_tiny_config(str(tmp_path), fer_data)
    out = str(tmp_path / 'output' / 'tiny')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.Popen([sys.executable, TRAIN, '-c', config, '--eval'], cwd=str(tmp_path),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while newest_checkpoint(out) is None and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    epoch = newest_checkpoint(out)
    assert epoch is not None and epoch < 4, 'the run was not killed early'
    stale = os.path.join(out, '.{}.x1y2z3.tmp.pdparams'.format(epoch + 1))
    open(stale, 'wb').close()  # as a kill during a checkpoint write leaves it
    resumed = run_tool('train', '-c', config, '--eval', '-r', os.path.join(out, str(epoch)),
                       cwd=str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert not os.path.exists(stale) and 'interrupted write' in resumed.stdout + resumed.stderr
    expected, got = trained['history'], history(out)
    assert got['epoch'] == expected['epoch'] == [1, 2, 3, 4, 5, 6]
    assert got['loss'] == pytest.approx(expected['loss'], rel=1e-5)
    assert got['eval'] == expected['eval']  # the same accuracy every epoch, the last one included
    for name in ('model_final', 'best_model'):
        mine, theirs = (read_meta(os.path.join(o, name + '.pdparams')) for o in (out, trained['out']))
        assert (mine['epoch'], mine['metrics'], mine['best']) == \
            (theirs['epoch'], theirs['metrics'], theirs['best']), name


def test_a_checkpoint_moved_elsewhere_resumes_with_its_history(trained, fer_data, tmp_path):
    """As from a committed checkpoint on a new machine: -r names a folder outside the save dir,
    holding epoch 3's files and the history up to it; the run ends with the whole history."""
    kept = tmp_path / 'kept'
    kept.mkdir()
    for ext in ('.pdparams', '.pdopt'):
        shutil.copy(os.path.join(trained['out'], '2' + ext), str(kept / ('2' + ext)))
    expected = trained['history']
    with open(str(kept / 'training_history.json'), 'w') as f:
        json.dump({'epoch': expected['epoch'][:3], 'loss': expected['loss'][:3],
                   'eval_epoch': expected['eval_epoch'][:3], 'eval': expected['eval'][:3]}, f)
    config = write_tiny_config(str(tmp_path), fer_data)
    resumed = run_tool('train', '-c', config, '--eval', '-r', str(kept / '2'), cwd=str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    got = history(str(tmp_path / 'output' / 'tiny'))
    assert got['epoch'] == [1, 2, 3, 4, 5, 6]
    assert got['loss'] == pytest.approx(expected['loss'], rel=1e-5)
    assert got['eval'] == expected['eval']


def test_checkpoints_carry_their_own_evaluation(trained):
    evals = dict(zip(trained['history']['eval_epoch'], trained['history']['eval']))
    for epoch in range(1, 7):
        name = 'model_final' if epoch == 6 else str(epoch - 1)
        meta = read_meta(os.path.join(trained['out'], name + '.pdparams'))
        assert meta['epoch'] == epoch
        assert meta['metrics']['top1_acc'] == pytest.approx(evals[epoch]['value']), name
        best = max((e for e in trained['history']['eval_epoch'] if e <= epoch),
                   key=lambda e: (evals[e]['value'], e))
        assert meta['best']['epoch'] == best, name


def test_pretrain_weights_load_strictly_unless_partial_is_asked(trained, fer_data, tmp_path):
    """And VisualDL logs go to the run's folder, not the working one."""
    best = os.path.join(trained['out'], 'best_model.pdparams')
    config = write_tiny_config(str(tmp_path), fer_data, epoch=1)
    wide = ['pretrain_weights=' + best, 'EmotionResNet.widths=[8,16,32,128]']
    proc = run_tool('train', '-c', config, '-o', *wide, cwd=str(tmp_path))
    assert_clean_error(proc, 'best_model.pdparams', 'does not fit the model', '[64', '[128')
    assert not (tmp_path / 'output').exists()
    proc = run_tool('train', '-c', config, '--allow_partial', '--use_vdl', '-o', *wide,
                    cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'starts from its initial values' in proc.stdout + proc.stderr
    out = tmp_path / 'output' / 'tiny'
    assert (out / 'model_final.pdparams').is_file()
    assert glob.glob(str(out / 'vdl' / 'vdlrecords.*.log'))
    assert sorted(os.listdir(str(tmp_path))) == ['output', 'tiny.yml']


def test_resume_from_another_config_is_refused_and_writes_nothing(trained, fer_data, tmp_path):
    checkpoint = os.path.join(trained['out'], '0')
    config = write_tiny_config(str(tmp_path), fer_data, epoch=2)
    proc = run_tool('train', '-c', config, '-r', checkpoint, '-o',
                    'EmotionResNet.widths=[16,32,64,128]', cwd=str(tmp_path))
    assert_clean_error(proc, '0.pdparams', 'does not fit the model')
    assert not (tmp_path / 'output').exists()


def test_more_processes_than_the_data_feeds_is_a_clear_error(fer_data, tmp_path):
    config = write_tiny_config(str(tmp_path), fer_data, epoch=1)
    proc = run_tool('train', '-c', config, '-o', 'TrainReader.batch_size=200', cwd=str(tmp_path))
    assert_clean_error(proc, '1 training process(es) with TrainReader.batch_size 200 need at least '
                             '200 training images; the data set has 112', '--nproc_per_node')
    assert not (tmp_path / 'output').exists()
