"""Atomic file writes: a temp file in the same folder, then rename, so no half-written file stays."""
import json
import os
import shutil
import tempfile
from contextlib import contextmanager


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path):
    """Yield a temp path beside ``path``; it replaces ``path`` only if the block succeeds."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix='.' + base + '.', suffix='.tmp' + ext, dir=folder)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, obj):
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=2)


@contextmanager
def atomic_dir(path):
    """Yield a temp folder beside ``path``; it replaces ``path`` only if the block succeeds."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.' + os.path.basename(path) + '.', dir=parent)
    os.chmod(tmp, 0o777 & ~current_umask())
    try:
        yield tmp
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)
