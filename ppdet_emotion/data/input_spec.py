"""What an expression classifier expects, typed: its classes and how a face is made its input.

Derived from the config's eval reader in one place (``from_transforms``), written into the
weights' meta by training (``to_meta``) and read back with validation (``from_meta``), so
inference preprocesses as training did.
"""
from dataclasses import dataclass, field
from typing import List, Optional

from ..classes import FER2013_CLASSES
from ..errors import ConfigError, WeightsError

DEFAULT_CROP = {'CenterCropFace': 48, 'TenCropFace': 44}


@dataclass(frozen=True)
class FaceInputSpec:
    """``channels`` (1 grey, 3 RGB), ``resize`` (side after resizing), ``crop`` (centre or
    ten-crop side, None for none), ``ten_crop``, ``mean`` / ``std`` (per channel, on 0-1 pixels),
    ``class_names`` (output order)."""
    channels: int = 1
    resize: int = 48
    crop: Optional[int] = None
    ten_crop: bool = False
    mean: List[float] = field(default_factory=lambda: [0.5])
    std: List[float] = field(default_factory=lambda: [0.5])
    class_names: List[str] = field(default_factory=lambda: list(FER2013_CLASSES))

    def __post_init__(self):
        problems = []
        if self.channels not in (1, 3):
            problems.append('channels {} (expected 1 or 3)'.format(self.channels))
        if not isinstance(self.resize, int) or self.resize < 1:
            problems.append('resize {!r} (expected a positive size)'.format(self.resize))
        elif self.crop is not None and not 0 < self.crop <= self.resize:
            problems.append('crop {} (expected at most the resize {})'.format(self.crop, self.resize))
        if self.ten_crop and not self.crop:
            problems.append('ten_crop without a crop size')
        for key in ('mean', 'std'):
            if len(getattr(self, key)) not in (1, self.channels):
                problems.append('{} {} (expected 1 or {} values)'.format(key, getattr(self, key),
                                                                        self.channels))
        if not self.class_names:
            problems.append('no class names')
        if problems:
            raise ValueError('; '.join(problems))

    @property
    def size(self):
        """The side of the classifier's input."""
        return self.crop or self.resize

    @classmethod
    def from_transforms(cls, sample_transforms, class_names=FER2013_CLASSES):
        """The spec an eval reader's ``sample_transforms`` define (``DecodeFace``, ``ResizeFace``,
        ``CenterCropFace`` / ``TenCropFace``, ``NormalizeFace``)."""
        values = {'class_names': list(class_names)}
        for item in sample_transforms:
            (name, args), = item.items()
            args = args or {}
            if name == 'DecodeFace':
                values['channels'] = args.get('channels', 1)
            elif name == 'ResizeFace':
                values['resize'] = args.get('size', 48)
            elif name in DEFAULT_CROP:
                values.update(crop=args.get('size', DEFAULT_CROP[name]), ten_crop=name == 'TenCropFace')
            elif name == 'NormalizeFace':
                values.update(mean=list(args.get('mean', [0.5])), std=list(args.get('std', [0.5])))
        if 'resize' not in values:
            raise ConfigError('EvalReader.sample_transforms: expected a ResizeFace op that sets the '
                              'classifier input size')
        try:
            return cls(**values)
        except ValueError as e:
            raise ConfigError('EvalReader.sample_transforms: {}'.format(e)) from None

    @classmethod
    def from_meta(cls, meta, source):
        """The spec in a weights file's meta (``input_spec`` and ``class_names``)."""
        spec = (meta or {}).get('input_spec')
        if not isinstance(spec, dict) or not meta.get('class_names'):
            raise WeightsError('weights {!r} carry no input spec / class names: use a checkpoint '
                               'written by tools/train.py'.format(source))
        try:
            return cls(class_names=list(meta['class_names']), **spec)
        except (TypeError, ValueError) as e:
            raise WeightsError('weights {!r}: the input spec in their meta is not valid: {}'.format(
                source, e)) from None

    def to_meta(self):
        """``{'input_spec': {...}, 'class_names': [...]}`` for a weights file's meta."""
        return {'input_spec': {'channels': self.channels, 'resize': self.resize, 'crop': self.crop,
                               'ten_crop': self.ten_crop, 'mean': list(self.mean),
                               'std': list(self.std)},
                'class_names': list(self.class_names)}
