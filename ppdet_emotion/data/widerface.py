"""WIDER FACE from a local folder: ppdet's WIDERFaceDataSet that never downloads.

ppdet's data set fetches WIDER FACE from the internet when its folder is missing, and an image
that is missing or corrupt crashes a loader worker; this one fails first, naming the culprit.
"""
import os

from PIL import Image, UnidentifiedImageError
from ppdet.data.source.widerface import WIDERFaceDataSet

from ..errors import DataError
from ..registry import register_serializable


@register_serializable
class WIDERFaceLocalDataSet(WIDERFaceDataSet):
    """WIDER FACE in PaddleDetection's layout, checked instead of downloaded."""

    def check_or_download_dataset(self):
        name = type(self).__name__
        for attr, check in (('dataset_dir', os.path.isdir), ('anno_path', os.path.isfile),
                            ('image_dir', os.path.isdir)):
            path = self.dataset_dir if attr == 'dataset_dir' else os.path.join(
                self.dataset_dir, getattr(self, attr))
            if not check(path):
                raise DataError('{}.{}: {!r} does not exist'.format(name, attr, path))

    def parse_dataset(self):
        try:
            super().parse_dataset()
        except (AssertionError, IndexError, KeyError, ValueError) as e:
            raise DataError('{!r} is not a WIDER FACE box list ({})'.format(
                os.path.join(self.dataset_dir, self.anno_path), e)) from None
        for record in self.roidbs:
            try:
                with Image.open(record['im_file']):
                    pass
            except FileNotFoundError:
                raise DataError('image {!r} listed in {!r} does not exist'.format(
                    record['im_file'], self.anno_path)) from None
            except (UnidentifiedImageError, OSError):
                raise DataError('cannot read image {!r}: not an image file or corrupt'.format(
                    record['im_file'])) from None
