"""MixFaces: mixup or CutMix over a training batch of normalised faces, as a ppdet batch transform.

Every sample leaves with ``gt_class_mix`` (the partner's class) and ``mix_weight`` (the share of
its own class in the target); an unmixed batch gets its own class and weight 1, so batches
always collate to the same keys. ``EmotionHead`` turns the pair into a soft target.
"""
import numpy as np
from ppdet.data.transform.operators import BaseOperator

from ..errors import ConfigError
from ..registry import register_transform

MODES = ('mixup', 'cutmix')


def cutmix_box(h, w, area):
    """(y0, y1, x0, x1) of a random box covering about ``area`` of an h x w image, clipped."""
    ch, cw = int(round(h * np.sqrt(area))), int(round(w * np.sqrt(area)))
    cy, cx = np.random.randint(h), np.random.randint(w)
    return (max(cy - ch // 2, 0), min(cy + ch - ch // 2, h),
            max(cx - cw // 2, 0), min(cx + cw - cw // 2, w))


@register_transform
class MixFaces(BaseOperator):
    """With probability ``prob`` per batch, blend each face with a shuffled partner.

    Args:
        mode (str): ``mixup`` (whole images, ``lam * a + (1 - lam) * b``) or ``cutmix`` (a box of
            the partner pasted in; ``lam`` becomes the share of the face left).
        alpha (float): ``lam ~ Beta(alpha, alpha)``, one draw per batch.
        prob (float): chance that a batch is mixed at all.
    """

    def __init__(self, mode: str = 'mixup', alpha: float = 0.2, prob: float = 1.0):
        super().__init__()
        if mode not in MODES:
            raise ConfigError('MixFaces.mode: expected one of {}, got {!r}'.format(MODES, mode))
        if alpha <= 0:
            raise ConfigError('MixFaces.alpha: expected a positive number, got {!r}'.format(alpha))
        self.mode, self.alpha, self.prob = mode, alpha, prob

    def __call__(self, samples, context=None):
        labels = [s['gt_class'] for s in samples]
        weights = np.ones(len(samples), dtype=np.float32)
        partners = np.arange(len(samples))
        if len(samples) > 1 and np.random.rand() < self.prob:
            partners = np.random.permutation(len(samples))
            weights[:] = self.mix([s['image'] for s in samples], partners)
        for sample, partner, weight in zip(samples, partners, weights):
            sample['gt_class_mix'] = labels[partner]
            sample['mix_weight'] = np.array([weight], dtype=np.float32)
        return samples

    def mix(self, images, partners):
        """Blend ``images`` (C x H x W each) in place with ``images[partners]``; returns lam."""
        lam = float(np.random.beta(self.alpha, self.alpha))
        originals = [image.copy() for image in images]
        if self.mode == 'mixup':
            for image, partner in zip(images, partners):
                image[...] = lam * image + (1 - lam) * originals[partner]
            return lam
        h, w = images[0].shape[-2:]
        y0, y1, x0, x1 = cutmix_box(h, w, 1 - lam)
        for image, partner in zip(images, partners):
            image[..., y0:y1, x0:x1] = originals[partner][..., y0:y1, x0:x1]
        return 1 - (y1 - y0) * (x1 - x0) / float(h * w)
