"""Import-time notices of Paddle and ppdet (the OMP_NUM_THREADS advice, no ccache, no numba for
PP-Tracking) are kept off the console unless ``PPDET_EMOTION_VERBOSE=1``."""
import contextlib
import io
import os
import sys
import warnings


def verbose():
    return os.environ.get('PPDET_EMOTION_VERBOSE', '') not in ('', '0')


@contextlib.contextmanager
def quiet_imports():
    """Hide what the block prints and warns (imports only; errors still raise)."""
    if verbose():
        yield
        return
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter('ignore')
        yield
    sys.stdout.flush()
