"""The package as a user installs it: a wheel with the configs and weights, the ppdet-emotion
command from any folder, shipped configs by short name, a quiet start; and the random-erasing
offsets."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from ppdet_emotion.__main__ import main as command_main
from ppdet_emotion.data.transforms import RandomErasingFace
from ppdet_emotion.engine.checkpoint import weights_path
from ppdet_emotion.engine.cli import load_cfg
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.resources import PACKAGE_DIR, config_path

ASTRONAUT = os.path.join(REPO, 'demo', 'astronaut.png')


def source_tree(folder):
    """The checkout's tracked files (all files when it is not a git clone) copied to ``folder``."""
    try:
        files = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True,
                               check=True).stdout.decode().split('\0')
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(REPO, folder, symlinks=True, ignore=shutil.ignore_patterns('.*', 'build'))
        return folder
    for name in filter(None, files):
        target = os.path.join(folder, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        source = os.path.join(REPO, name)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    return folder


@pytest.mark.tools
def test_wheel_installs_and_labels_the_astronaut_quietly_from_any_folder(tmp_path):
    tree = source_tree(str(tmp_path / 'src'))
    run = lambda *cmd, **kw: subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)  # noqa: E731
    proc = run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '.',
               '-w', str(tmp_path / 'dist'), cwd=tree)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = str(next((tmp_path / 'dist').glob('ppdet_emotion-*.whl')))
    target = tmp_path / 'site'
    proc = run(sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(target), wheel)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (target / 'ppdet_emotion' / 'weights' / 'centerface' / 'LICENSE').is_file()
    work = tmp_path / 'elsewhere'
    work.mkdir()
    shutil.copy(ASTRONAUT, work / 'photo.png')
    env = dict(os.environ, PYTHONPATH=str(target))
    env.pop('PPDET_EMOTION_VERBOSE', None)
    proc = run(str(target / 'bin' / 'ppdet-emotion'), 'infer', '-c', 'default', '--infer_img',
               'photo.png', '--save_results', cwd=str(work), env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == ''  # no notice from Paddle, ppdet or libpng
    assert proc.stdout.splitlines()[0] == '[1/1] photo.png: 1 face(s)'
    with open(work / 'output' / 'photo.png.json') as f:
        assert [face['expression'] for face in json.load(f)['faces']] == ['happy']
    proc = run(sys.executable, '-c', 'import ppdet_emotion; print(ppdet_emotion.__file__)',
               cwd=str(work), env=env)
    assert proc.stdout.strip().startswith(str(target))  # the installed package ran, not the checkout


def test_the_command_lists_its_tools_and_refuses_unknown_ones(capsys):
    command_main(['--help'])
    out = capsys.readouterr().out
    for name in ('infer', 'train', 'eval', 'export_model', 'predict_exported'):
        assert name in out
    with pytest.raises(SystemExit) as exit_info:
        command_main(['inference'])
    assert exit_info.value.code == 2
    assert "unknown command 'inference'" in capsys.readouterr().err


def test_configs_are_found_by_short_name_from_any_folder(tmp_path, monkeypatch):
    default = os.path.join(PACKAGE_DIR, 'configs', 'emotion', 'default.yml')
    monkeypatch.chdir(tmp_path)
    for name in ('default', 'emotion/default', 'emotion/default.yml', 'configs/emotion/default.yml',
                 'ppdet_emotion://configs/emotion/default.yml'):
        assert config_path(name) == default, name
    cfg = load_cfg('default')
    assert os.path.isfile(weights_path(cfg.detector_weights))  # shipped weights, not ./weights
    (tmp_path / 'weights').mkdir()
    assert weights_path('weights/mine') == 'weights/mine.pdparams'  # the user's own path stays theirs
    with pytest.raises(ConfigError, match="'defualt' does not exist.*default, "):
        load_cfg('defualt')


def test_importing_is_quiet_unless_asked(tmp_path):
    code = 'import ppdet_emotion.inference.tracking, ppdet.modeling.mot.tracker'
    env = dict(os.environ, OMP_NUM_THREADS='2')
    env.pop('PPDET_EMOTION_VERBOSE', None)
    quiet = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                           cwd=str(tmp_path))
    assert quiet.returncode == 0 and quiet.stdout == '' and quiet.stderr == '', quiet.stderr
    loud = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=dict(env, PPDET_EMOTION_VERBOSE='1'), cwd=str(tmp_path))
    assert 'OMP_NUM_THREADS' in loud.stderr


def test_random_erasing_reaches_every_offset():
    np.random.seed(0)
    erase = RandomErasingFace(prob=1.0, area=[0.5, 0.5], aspect=[1.0, 1.0])  # a 6x6 square in 8x8
    corners = 0
    for _ in range(100):
        image = erase({'image': np.full((8, 8, 1), -1.0)})['image']
        corners += image[7, 7, 0] >= 0
    assert corners > 0  # the square also lands at the bottom-right offset (2, 2)
