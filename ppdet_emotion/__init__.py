"""ppdet-emotion: face detection plus facial-expression classification for PaddleDetection.

Importing the package registers its modules in ``ppdet.core.workspace`` so YAML configs can name
them. cv2 and PIL are imported before paddle on purpose: the PyPI paddlepaddle 2.6.2 wheel breaks
zlib for them (PNG decoding, then ppdet's import) when it is imported first.

Paddle sets ``OMP_NUM_THREADS=1`` at import when it is unset, so CPU kernels run on one core; the
package, imported first, sets it to the cores this process may use instead (training speed:
docs/classifier_speed.md). An explicit value is kept.

Paddle's and ppdet's import-time notices, and Paddle's C++ warnings, are hidden unless
``PPDET_EMOTION_VERBOSE=1`` (an explicit ``GLOG_minloglevel`` is kept).
"""
import os

os.environ.setdefault('OMP_NUM_THREADS', str(
    len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1))

import cv2  # noqa: F401  (import order: see above)
import PIL.Image  # noqa: F401

from ._quiet import quiet_imports, verbose  # noqa: E402

if not verbose():  # Paddle's C++ warnings (glog), e.g. while exporting
    os.environ.setdefault('GLOG_minloglevel', '2')

with quiet_imports():
    import paddle  # noqa: F401,E402
    from . import compat, data, metrics, modeling  # noqa: F401,E402  (registration)
from .classes import FER2013_CLASSES  # noqa: E402

__version__ = '0.1.0'
__all__ = ['FER2013_CLASSES', '__version__']
