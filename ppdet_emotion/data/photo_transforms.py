"""Photo ops for the face detectors, as ppdet sample transforms."""
import cv2
import numpy as np
from ppdet.data.transform.operators import BaseOperator

from ..registry import register_transform


@register_transform
class ResizeLongerSide(BaseOperator):
    """Resize, keeping the aspect ratio, so that the longer side is ``size`` pixels; each side
    keeps at least one pixel (a 1 x 4000 strip stays a strip). Sets ``im_shape`` and
    ``scale_factor`` as ppdet's ``Resize``.

    Args:
        size (int): the longer side after resizing.
        upscale (bool): also enlarge photos smaller than ``size`` (else they keep their size).
    """

    def __init__(self, size: int = 640, upscale: bool = True):
        super().__init__()
        if size < 1:
            from ..errors import ConfigError
            raise ConfigError('ResizeLongerSide.size: expected a positive number of pixels, '
                              'got {}'.format(size))
        self.size = size
        self.upscale = upscale

    def apply(self, sample, context=None):
        image = sample['image']
        height, width = image.shape[:2]
        scale = self.size / max(height, width)
        if scale > 1 and not self.upscale:
            scale = 1.0
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        if (new_h, new_w) != (height, width):
            image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        sample['image'] = image
        sample['im_shape'] = np.array([new_h, new_w], np.float32)
        sample['scale_factor'] = np.array([new_h / height, new_w / width], np.float32)
        return sample


@register_transform
class PadToMultiple(BaseOperator):
    """Pad the image at the bottom and right so both sides are a multiple of ``divisor``
    (ppdet 2.6's ``Pad`` rejects ``size: null``, the setting that would do this). ``im_shape``
    keeps the unpadded size, so boxes are clipped to the photo.

    Args:
        divisor (int): the sides' multiple.
        fill_value (list): the padding's colour, per channel.
    """

    def __init__(self, divisor: int = 32, fill_value: list = [0.0, 0.0, 0.0]):
        super().__init__()
        if divisor < 1 or len(fill_value) != 3:
            from ..errors import ConfigError
            raise ConfigError('PadToMultiple: expected a divisor of at least 1 and 3 fill values '
                              '(R, G, B), got divisor {} and fill_value {}'.format(divisor,
                                                                                  fill_value))
        self.divisor = divisor
        self.fill_value = fill_value

    def apply(self, sample, context=None):
        image = sample['image']
        height, width = image.shape[:2]
        pad_h, pad_w = (-height) % self.divisor, (-width) % self.divisor
        canvas = np.empty((height + pad_h, width + pad_w, image.shape[2]), np.float32)
        canvas[...] = np.asarray(self.fill_value, np.float32)
        canvas[:height, :width] = image
        sample['image'] = canvas
        return sample


def detector_pixel_norm(sample_transforms):
    """(mean, std) in pixel units of the detector's NormalizeImage op (identity if none)."""
    for item in sample_transforms:
        if 'NormalizeImage' in item:
            args = item['NormalizeImage']
            scale = 255.0 if args.get('is_scale', True) else 1.0
            mean = np.array(args.get('mean', [0.485, 0.456, 0.406]), dtype=np.float32) * scale
            std = np.array(args.get('std', [0.229, 0.224, 0.225]), dtype=np.float32) * scale
            return mean.tolist(), std.tolist()
    return [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
