"""Files: the image types read, the CPU threads used, and atomic writes (a temp file in the same
folder, then a rename, so no half-written file stays)."""
import json
import os
import shutil
import tempfile
from contextlib import contextmanager


IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def cpu_threads():
    """The CPU threads to use: ``OMP_NUM_THREADS``, which importing the package sets to the cores
    this process may use unless it was set."""
    return max(1, int(os.environ.get('OMP_NUM_THREADS', '1')))


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicFile(object):
    """A file written under a temp name beside ``path`` (same extension, so writers that go by
    it still work): ``commit`` gives it its name, ``discard`` removes it."""

    def __init__(self, path):
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        base, ext = os.path.splitext(os.path.basename(path))
        fd, self.tmp = tempfile.mkstemp(prefix='.' + base + '.', suffix='.tmp' + ext, dir=folder)
        os.close(fd)
        os.chmod(self.tmp, 0o666 & ~current_umask())

    def commit(self):
        os.replace(self.tmp, self.path)

    def discard(self):
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


@contextmanager
def atomic_path(path):
    """Yield a temp path beside ``path``; it replaces ``path`` only if the block succeeds."""
    target = AtomicFile(path)
    try:
        yield target.tmp
        target.commit()
    finally:
        target.discard()


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
