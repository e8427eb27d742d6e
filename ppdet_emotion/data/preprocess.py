"""A decoded RGB frame through a config's TestReader ops, to a detector batch of one."""
import numpy as np
from ppdet.data.reader import Compose

from ..errors import ConfigError

DECODE_OPS = ('Decode', 'DecodeCache')


class Preprocess(object):
    """The TestReader's ``sample_transforms`` on a decoded RGB image -> a batch of one.

    The leading ``Decode`` is done here, as ppdet's does it, so a frame is never re-encoded to be
    decoded again.
    """

    def __init__(self, sample_transforms):
        ops = list(sample_transforms or [])
        if not ops or next(iter(ops[0])) not in DECODE_OPS:
            raise ConfigError('TestReader.sample_transforms: expected Decode as the first op, got '
                              '{}'.format(next(iter(ops[0])) if ops else 'no ops'))
        self.compose = Compose(ops[1:])

    def __call__(self, rgb):
        h, w = rgb.shape[:2]
        sample = self.compose({'image': rgb, 'im_id': np.array([0]), 'h': h, 'w': w,
                               'im_shape': np.array([h, w], np.float32),
                               'scale_factor': np.array([1.0, 1.0], np.float32)})
        return {k: np.asarray(sample[k], dtype=np.float32)[None] for k in
                ('image', 'im_shape', 'scale_factor')}
