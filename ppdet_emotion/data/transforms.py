"""Face-crop data ops for the expression stage, as ppdet sample transforms.

Images flow as uint8 HxWxC until ``NormalizeFace`` turns them into float32 CxHxW; after
``TenCropFace`` a sample holds ten crops (10xHxWxC, then 10xCxHxW).
"""
import math

import cv2
import numpy as np
from ppdet.data.transform.operators import BaseOperator

from ..registry import register_transform
from .sources import read_gray


def to_channels(gray, channels):
    """uint8 HxW grey -> HxWxC with C = 1 or 3."""
    return np.repeat(gray[:, :, None], channels, axis=2)


def resize_face(image, size):
    """Resize HxWxC to size x size, keeping the channel axis for one channel."""
    out = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR if size > image.shape[0]
                     else cv2.INTER_AREA)
    return out.reshape(size, size, image.shape[2])


@register_transform
class DecodeFace(BaseOperator):
    """Grey face as uint8 HxWxC (C=1, or 3 with the grey replicated for RGB nets).

    Uses the in-memory face of the record, or reads ``im_file``.
    """

    def __init__(self, channels: int = 1):
        super().__init__()
        if channels not in (1, 3):
            from ..errors import ConfigError
            raise ConfigError('DecodeFace.channels: expected 1 or 3, got {}'.format(channels))
        self.channels = channels

    def apply(self, sample, context=None):
        gray = sample['image'] if 'image' in sample else read_gray(sample['im_file'])
        if gray.ndim == 3:
            gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
        sample['image'] = to_channels(gray, self.channels)
        return sample


@register_transform
class ResizeFace(BaseOperator):
    """Resize to ``size`` x ``size``."""

    def __init__(self, size: int = 48):
        super().__init__()
        self.size = size

    def apply(self, sample, context=None):
        sample['image'] = resize_face(sample['image'], self.size)
        return sample


@register_transform
class RandomCropFace(BaseOperator):
    """Random square crop covering ``scale`` (side fraction) of the face, resized to ``size``.

    ``scale=[1, 1]`` on a face larger than ``size`` is a plain random crop after resizing.
    """

    def __init__(self, size: int = 48, scale: list = [0.8, 1.0]):
        super().__init__()
        if len(scale) != 2 or not 0 < scale[0] <= scale[1] <= 1:
            from ..errors import ConfigError
            raise ConfigError('RandomCropFace.scale: expected [min, max] with 0 < min <= max <= 1, '
                              'got {}'.format(scale))
        self.size, self.scale = size, scale

    def apply(self, sample, context=None):
        image = sample['image']
        h, w = image.shape[:2]
        side = max(1, int(round(min(h, w) * np.random.uniform(*self.scale))))
        y = np.random.randint(0, h - side + 1)
        x = np.random.randint(0, w - side + 1)
        sample['image'] = resize_face(image[y:y + side, x:x + side], self.size)
        return sample


@register_transform
class CenterCropFace(BaseOperator):
    """Centre square crop of side ``size`` (the test-time twin of RandomCropFace)."""

    def __init__(self, size: int = 48):
        super().__init__()
        self.size = size

    def apply(self, sample, context=None):
        sample['image'] = center_crop(sample['image'], self.size)
        return sample


def center_crop(image, size):
    h, w = image.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return image[y:y + size, x:x + size]


@register_transform
class RandomFlipFace(BaseOperator):
    """Horizontal flip with probability ``prob``."""

    def __init__(self, prob: float = 0.5):
        super().__init__()
        self.prob = prob

    def apply(self, sample, context=None):
        if np.random.rand() < self.prob:
            sample['image'] = np.ascontiguousarray(sample['image'][:, ::-1])
        return sample


@register_transform
class RandomRotateFace(BaseOperator):
    """Rotate by a random angle in [-max_angle, max_angle] degrees with probability ``prob``."""

    def __init__(self, max_angle: float = 10.0, prob: float = 0.5):
        super().__init__()
        self.max_angle, self.prob = max_angle, prob

    def apply(self, sample, context=None):
        if np.random.rand() < self.prob:
            image = sample['image']
            h, w, c = image.shape
            matrix = cv2.getRotationMatrix2D((w / 2, h / 2), np.random.uniform(
                -self.max_angle, self.max_angle), 1.0)
            out = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
            sample['image'] = out.reshape(h, w, c)
        return sample


@register_transform
class RandomErasingFace(BaseOperator):
    """Random erasing: with probability ``prob`` fill a rectangle of ``area`` (fraction) with noise."""

    def __init__(self, prob: float = 0.5, area: list = [0.02, 0.2], aspect: list = [0.3, 3.3]):
        super().__init__()
        self.prob, self.area, self.aspect = prob, area, aspect

    def apply(self, sample, context=None):
        if np.random.rand() >= self.prob:
            return sample
        image = sample['image']
        h, w = image.shape[:2]
        for _ in range(10):
            target = np.random.uniform(*self.area) * h * w
            ratio = math.exp(np.random.uniform(math.log(self.aspect[0]), math.log(self.aspect[1])))
            eh, ew = int(round(math.sqrt(target * ratio))), int(round(math.sqrt(target / ratio)))
            if 0 < eh < h and 0 < ew < w:
                y, x = np.random.randint(0, h - eh + 1), np.random.randint(0, w - ew + 1)
                image = image.copy()
                image[y:y + eh, x:x + ew] = np.random.randint(0, 256, (eh, ew, image.shape[2]))
                sample['image'] = image
                break
        return sample


@register_transform
class TenCropFace(BaseOperator):
    """Test-time ten-crop: four corners and the centre of side ``size``, and their mirrors."""

    def __init__(self, size: int = 44):
        super().__init__()
        self.size = size

    def apply(self, sample, context=None):
        sample['image'] = ten_crop(sample['image'], self.size)
        return sample


def five_crop_origins(h, w, size):
    """(y, x) of the four corner crops and the centre crop, in ten-crop order."""
    return [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size),
            ((h - size) // 2, (w - size) // 2)]


def ten_crop(image, size):
    crops = [image[y:y + size, x:x + size] for y, x in five_crop_origins(*image.shape[:2], size)]
    crops += [c[:, ::-1] for c in crops]
    return np.stack(crops)


@register_transform
class NormalizeFace(BaseOperator):
    """uint8 ...xHxWxC -> float32 ...xCxHxW, ``(x / 255 - mean) / std`` per channel."""

    def __init__(self, mean: list = [0.5], std: list = [0.5]):
        super().__init__()
        self.mean, self.std = mean, std

    def apply(self, sample, context=None):
        sample['image'] = normalize_face(sample['image'], self.mean, self.std)
        return sample


def normalize_face(image, mean, std):
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    out = (image.astype(np.float32) / 255.0 - mean) / std
    return np.ascontiguousarray(np.moveaxis(out, -1, -3))


def preprocess_faces(faces, spec, use_ten_crop=None):
    """Grey or RGB uint8 face crops (any size) -> float32 batch for the classifier.

    ``spec``: a ``FaceInputSpec``. Returns N x C x S x S, or N x 10 x C x S x S with ten-crop
    (``spec.ten_crop`` unless ``use_ten_crop`` overrides it).
    """
    use_ten_crop = spec.ten_crop if use_ten_crop is None else use_ten_crop
    batch = []
    for face in faces:
        gray = face if face.ndim == 2 else cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
        image = resize_face(to_channels(gray, spec.channels), spec.resize)
        if spec.crop and use_ten_crop:
            image = ten_crop(image, spec.crop)
        elif spec.crop:
            image = center_crop(image, spec.crop)
        batch.append(normalize_face(image, spec.mean, spec.std))
    return np.stack(batch).astype(np.float32)

