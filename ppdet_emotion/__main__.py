"""``ppdet-emotion COMMAND [ARGS]``: run one of the tools (``ppdet-emotion --help`` lists them)."""
import importlib
import os
import pkgutil
import sys


def commands():
    from . import tools
    return sorted(m.name for m in pkgutil.iter_modules([os.path.dirname(tools.__file__)]))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    names = commands()
    if not argv or argv[0] in ('-h', '--help') or argv[0] not in names:
        known = 'commands: ' + ', '.join(names)
        if argv and argv[0] not in ('-h', '--help'):
            print('error: unknown command {!r}; {}'.format(argv[0], known), file=sys.stderr)
            sys.exit(2)
        print('usage: ppdet-emotion COMMAND [ARGS] (ARGS as in PaddleDetection\'s tools, e.g. '
              'ppdet-emotion infer -c default --infer_img photo.jpg)\n' + known)
        return
    sys.argv = ['ppdet-emotion ' + argv[0]] + argv[1:]
    importlib.import_module('ppdet_emotion.tools.' + argv[0]).main(argv[1:])


if __name__ == '__main__':
    main()
