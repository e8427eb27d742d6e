"""Import-time notices of Paddle and ppdet (the OMP_NUM_THREADS advice, no ccache, no numba for
PP-Tracking) are kept off the console unless ``PPDET_EMOTION_VERBOSE=1``; so are Paddle's C++
warnings (``GLOG_minloglevel``, set by the package)."""
import contextlib
import io
import logging
import os
import sys
import warnings


def verbose():
    return os.environ.get('PPDET_EMOTION_VERBOSE', '') not in ('', '0')


def reattach_log_handlers(replaced):
    """Log handlers created during the block (ppdet's) write to the real streams, not the
    buffers that stood in for them (``replaced``: buffer -> real stream)."""
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            stream = getattr(handler, 'stream', None)
            if stream in replaced:
                handler.setStream(replaced[stream])


@contextlib.contextmanager
def quiet_imports():
    """Hide what the block prints and warns (imports only; errors still raise)."""
    if verbose():
        yield
        return
    out, err = io.StringIO(), io.StringIO()
    real = {out: sys.stdout, err: sys.stderr}
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            warnings.simplefilter('ignore')
            yield
    finally:
        reattach_log_handlers(real)
