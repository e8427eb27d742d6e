"""FER2013 as users have it: an image-folder tree or the original ``fer2013.csv``.

Both sources decode every face once into memory as uint8 (48x48 grey faces: about 70 MB for
the whole training split), so training never waits on JPEG decoding.
"""
import csv
import os

import cv2
import numpy as np
from ppdet.data.source.dataset import DetDataset

from ..classes import FER2013_CLASSES, class_index
from ..errors import DataError
from ..io import IMAGE_EXTENSIONS
from ..registry import register_serializable
from .soft_targets import load_soft_targets

CSV_USAGES = ('Training', 'PublicTest', 'PrivateTest')
FER_SIZE = 48


def read_gray(path):
    """Decode an image file as a 2-D uint8 grey array; DataError names an unreadable file."""
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise DataError('cannot read image {}: not an image file or corrupt'.format(path))
    return image


class FaceDataSet(DetDataset):
    """Base of the expression data sets: records hold a face (uint8 HxW), its label and id,
    and with a ``soft_targets`` table its row of teacher log-probabilities."""

    def __init__(self, dataset_dir, image_dir, anno_path, class_names, sample_num, soft_targets):
        super().__init__(dataset_dir=dataset_dir, image_dir=image_dir, anno_path=anno_path,
                         sample_num=sample_num)
        self.class_names = tuple(class_names)
        self.soft_targets = soft_targets
        self.roidbs = None

    def check_or_download_dataset(self):
        """Never download: the data path must exist."""
        if not os.path.isdir(self.dataset_dir):
            raise DataError('{}.dataset_dir: folder {!r} does not exist'.format(
                type(self).__name__, self.dataset_dir))

    def parse_dataset(self):
        faces = self.load_faces()
        if self.sample_num > 0:
            faces = faces[:self.sample_num]
        self.roidbs = [{
            'im_id': np.array([i]),
            'im_file': name,
            'image': image,
            'gt_class': np.array([label], dtype=np.int64),
        } for i, (name, image, label) in enumerate(faces)]
        if self.soft_targets:
            rows = load_soft_targets(self.soft_targets, [r['im_file'] for r in self.roidbs],
                                     len(self.class_names))
            for record, row in zip(self.roidbs, rows):
                record['soft_target'] = row

    def load_faces(self):
        """List of (name, uint8 HxW image, class id)."""
        raise NotImplementedError

    def get_label_list(self):
        return list(self.class_names)


@register_serializable
class FERFolderDataSet(FaceDataSet):
    """Faces in ``dataset_dir/image_dir/<class>/*.jpg|png``; every class folder must be known.

    Args:
        dataset_dir (str): root of the tree, e.g. ``data/fer2013``.
        image_dir (str): the split folder under it, e.g. ``train`` or ``val``.
        class_names (list): class order; folder names must be among them.
        sample_num (int): keep only the first N faces (-1: all).
        soft_targets (str|None): a soft-target table for these faces (offline distillation).
    """

    def __init__(self, dataset_dir: str = 'dataset/fer2013', image_dir: str = 'train',
                 class_names: list = list(FER2013_CLASSES), sample_num: int = -1,
                 soft_targets: str = None):
        super().__init__(dataset_dir, image_dir, None, class_names, sample_num, soft_targets)

    def load_faces(self):
        root = os.path.join(self.dataset_dir, self.image_dir)
        if not os.path.isdir(root):
            raise DataError('image folder {!r} does not exist (dataset_dir + image_dir)'.format(root))
        folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        if not folders:
            raise DataError('image folder {!r} has no class folders; expected {}'.format(
                root, ', '.join(self.class_names)))
        faces = []
        for folder in folders:
            label = class_index(folder, self.class_names, where='class folder ' + os.path.join(root, folder))
            files = sorted(f for f in os.listdir(os.path.join(root, folder))
                           if f.lower().endswith(IMAGE_EXTENSIONS))
            if not files:
                raise DataError('class folder {!r} holds no images ({})'.format(
                    os.path.join(root, folder), '/'.join(IMAGE_EXTENSIONS)))
            for f in files:
                path = os.path.join(root, folder, f)
                faces.append((os.path.join(folder, f), read_gray(path), label))
        return faces


@register_serializable
class FER2013CsvDataSet(FaceDataSet):
    """The original ``fer2013.csv`` (columns ``emotion,pixels,Usage``), one usage split.

    Args:
        dataset_dir (str): folder holding the CSV.
        anno_path (str): CSV file name under ``dataset_dir``.
        usage (str): ``Training``, ``PublicTest`` or ``PrivateTest``.
        sample_num (int): keep only the first N faces (-1: all).
        soft_targets (str|None): a soft-target table for these faces (offline distillation).
    """

    def __init__(self, dataset_dir: str = 'dataset/fer2013', anno_path: str = 'fer2013.csv',
                 usage: str = 'Training', sample_num: int = -1, soft_targets: str = None):
        if usage not in CSV_USAGES:
            raise DataError('FER2013CsvDataSet.usage: expected one of {}, got {!r}'.format(
                ', '.join(CSV_USAGES), usage))
        super().__init__(dataset_dir, '', anno_path, FER2013_CLASSES, sample_num, soft_targets)
        self.usage = usage

    def load_faces(self):
        path = os.path.join(self.dataset_dir, self.anno_path)
        if not os.path.isfile(path):
            raise DataError('FER2013 CSV {!r} does not exist'.format(path))
        faces = []
        with open(path, newline='') as f:
            reader = csv.DictReader(f)
            missing = {'emotion', 'pixels', 'Usage'} - set(reader.fieldnames or ())
            if missing:
                raise DataError('{}: header lacks column(s) {}; expected emotion,pixels,Usage'.format(
                    path, ', '.join(sorted(missing))))
            for row in reader:
                if row['Usage'] != self.usage:
                    continue
                faces.append(self._parse_row(path, reader.line_num, row))
        if not faces:
            raise DataError('{}: no rows with Usage {!r}'.format(path, self.usage))
        return faces

    def _parse_row(self, path, line, row):
        where = '{} line {}'.format(path, line)
        try:
            label = int(row['emotion'])
            pixels = np.array(row['pixels'].split(), dtype=np.int64)
        except (ValueError, AttributeError):
            raise DataError('{}: malformed row; expected an integer emotion and '
                            'space-separated integer pixels'.format(where)) from None
        if not 0 <= label < len(self.class_names):
            raise DataError('{}: emotion {} outside 0..{}'.format(where, label, len(self.class_names) - 1))
        if pixels.size != FER_SIZE * FER_SIZE or pixels.min() < 0 or pixels.max() > 255:
            raise DataError('{}: expected {} pixel values in 0..255, got {}'.format(
                where, FER_SIZE * FER_SIZE, pixels.size))
        name = '{}/{}'.format(self.usage, line)
        return name, pixels.reshape(FER_SIZE, FER_SIZE).astype(np.uint8), label
