"""The configs and weights shipped inside the package, and how short names and paths find them.

A config names a shipped file as ``ppdet_emotion://weights/...``: it resolves inside the installed
package, never against the working folder. Any other relative path is the user's, relative to
the working folder. ``-c default`` names a shipped config by its file name.
"""
import glob
import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(PACKAGE_DIR, 'configs')
WEIGHTS_DIR = os.path.join(PACKAGE_DIR, 'weights')
SCHEME = 'ppdet_emotion://'


def package_path(path):
    """``ppdet_emotion://weights/x`` -> the file inside the package; any other path unchanged."""
    if isinstance(path, str) and path.startswith(SCHEME):
        return os.path.join(PACKAGE_DIR, *path[len(SCHEME):].split('/'))
    return path


def shipped_configs():
    """{short name: path} of the shipped configs (``_base_`` parts left out)."""
    paths = glob.glob(os.path.join(CONFIG_DIR, '**', '*.yml'), recursive=True)
    return {os.path.splitext(os.path.basename(p))[0]: p for p in sorted(paths)
            if '_base_' not in p.split(os.sep) and os.path.basename(os.path.dirname(p)) != 'datasets'
            and os.path.basename(p) != 'runtime.yml'}


def config_path(name):
    """A config file: ``name`` as a path, a ``ppdet_emotion://configs/...`` path, a shipped
    config's short name (``default``, ``emotion/default``) or its checkout path
    (``configs/emotion/default.yml``, from any folder); None if none matches."""
    name = package_path(name)
    if os.path.isfile(name):
        return name
    for candidate in (os.path.join(CONFIG_DIR, name), os.path.join(CONFIG_DIR, name + '.yml'),
                      os.path.join(PACKAGE_DIR, name)):
        if os.path.isfile(candidate):
            return candidate
    return shipped_configs().get(name)
