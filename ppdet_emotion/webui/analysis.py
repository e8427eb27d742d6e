"""One photo through a cascade, with everything the web app shows: the faces as data (the JSON of
``tools/infer.py --save_results``), the labelled picture, and each face's classifier input.

The model runs one request at a time (a lock), so the page and the API can share it; the face
threshold and ten crops can be set per request.
"""
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import List

import numpy as np
import paddle
from PIL import Image

from ..errors import ConfigError
from ..inference.models import dygraph_labeller
from ..inference.sinks import photo_record
from ..inference.sources import Frame
from ..visualize import draw_faces


@dataclass
class Analysis:
    """A photo's results: ``record`` (its JSON), ``picture`` (labelled RGB, each face numbered
    as in ``record['faces']``) and ``crops`` (per face, the classifier's input as uint8 pixels:
    its size and channels; ten crops side by side in two rows)."""
    record: dict
    picture: np.ndarray
    crops: List[np.ndarray]

    @property
    def faces(self):
        return self.record['faces']


def numbered(faces):
    """Faces labelled ``#1 ...``, ``#2 ...`` in the picture (the drawing's track id slot)."""
    return [dict(face, track=n) for n, face in enumerate(faces, 1)]


def pixels(faces, mean, std):
    """Normalised classifier input (K x C x S x S) -> K uint8 images (S x S, or S x S x 3)."""
    images = np.clip((faces * std + mean) * 255.0, 0, 255).round().astype(np.uint8)
    return [image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0) for image in images]


def tiled(crops):
    """Ten crops (10 images) as one picture: two rows of five."""
    return np.concatenate([np.concatenate(crops[:5], axis=1), np.concatenate(crops[5:], axis=1)])


class PhotoAnalyzer(object):
    """A cascade with expression weights (``engine.model_loading.build_inference_model``) and its
    TestReader ops -> ``Analysis`` per photo."""

    def __init__(self, model, sample_transforms, max_size=None):
        if not getattr(model, 'class_names', None):
            raise ConfigError('the web app labels expressions: it needs a cascade config with '
                              'expression weights (emotion_weights or merged weights)')
        self.model, self.post_process = model, model.post_process
        self.labeller = dygraph_labeller(model, sample_transforms, max_size=max_size)
        self.lock = threading.Lock()

    @property
    def class_names(self):
        return self.labeller.class_names

    @property
    def face_threshold(self):
        return self.post_process.face_threshold

    @property
    def can_ten_crop(self):
        """Whether the classifier's input spec has a crop size (needed for ten crops)."""
        return bool(self.post_process.spec.crop)

    @contextmanager
    def session(self, face_threshold=None, ten_crop=None):
        """The model to oneself, its post-process set to these options (None: the config's),
        and back afterwards."""
        if face_threshold is not None and not 0.0 <= face_threshold <= 1.0:
            raise ConfigError('face_threshold: expected a number from 0 to 1, got {}'.format(
                face_threshold))
        if ten_crop and not self.can_ten_crop:
            raise ConfigError('ten_crop: these expression weights resize faces without a crop, '
                              'so ten crops cannot be cut')
        with self.lock:
            post = self.post_process
            saved = post.face_threshold, post.ten_crop
            if face_threshold is not None:
                post.face_threshold = float(face_threshold)
            if ten_crop is not None:
                post.ten_crop = bool(ten_crop)
            try:
                yield self.labeller
            finally:
                post.face_threshold, post.ten_crop = saved

    def classifier_inputs(self, batch, out):
        """What the classifier saw for each kept face of ``out`` (the model's outputs on
        ``batch``), as uint8 images."""
        inputs = {k: paddle.to_tensor(v) for k, v in batch.items()}
        post = self.post_process
        with paddle.no_grad():
            faces = post.face_crops(paddle.to_tensor(out['bbox']), paddle.to_tensor(out['bbox_num']),
                                    inputs).numpy()[:int(out['bbox_num'].sum())]
        mean, std = post.face_mean.numpy(), post.face_std.numpy()
        if post.ten_crop:
            return [tiled(pixels(face, mean, std)) for face in faces]
        return pixels(faces, mean, std)

    def __call__(self, rgb, name, face_threshold=None, ten_crop=None):
        """``rgb`` (H x W x 3 uint8) named ``name`` -> its ``Analysis``."""
        with self.session(face_threshold, ten_crop) as labeller:
            faces, over_cap, batch, out = labeller.detect(rgb)
            crops = self.classifier_inputs(batch, out)
        picture = np.asarray(draw_faces(Image.fromarray(rgb), numbered(faces)))
        return Analysis(photo_record(Frame(rgb, name, 0), faces, over_cap), picture, crops)
