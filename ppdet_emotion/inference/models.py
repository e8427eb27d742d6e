"""The model a run labels frames with, a config's in dygraph or an exported one, behind one
interface: an RGB frame -> its faces (box, score, landmarks, expression, probabilities)."""
import json
import os

import cv2
import numpy as np
import paddle

from ..data.preprocess import Preprocess
from ..errors import ConfigError, DataError, WeightsError

DETECTOR_DRAW_THRESHOLD = 0.5  # a detector alone; a cascade has applied its face threshold


def faces_from_output(out, class_names, width, height):
    """Per-face dicts (box clipped to the image, face score, landmarks if the detector gives
    them, expression and the 7 probabilities if classified)."""
    faces = []
    for i, row in enumerate(out['bbox']):
        if row[0] < 0:  # padding / ppdet's fake box: no detection
            continue
        box = np.clip(row[2:6], 0, [width, height, width, height])
        face = {'bbox': [round(float(v), 1) for v in box], 'score': round(float(row[1]), 4)}
        if 'keypoints' in out:
            face['landmarks'] = [[round(float(x), 1), round(float(y), 1)]
                                 for x, y in out['keypoints'][i]]
        if class_names and 'emotion_probs' in out:
            set_probabilities(face, class_names, out['emotion_probs'][i])
        faces.append(face)
    return faces


def set_probabilities(face, class_names, probs):
    """``face['probabilities']`` and its top class as ``expression`` / ``expression_score``."""
    face['expression'] = class_names[int(np.argmax(probs))]
    face['expression_score'] = round(float(np.max(probs)), 4)
    face['probabilities'] = {n: round(float(p), 4) for n, p in zip(class_names, probs)}


def faces_over_cap(out):
    """Faces the cascade found but did not label because of ``EmotionPostProcess.max_faces``."""
    if 'faces_found' not in out:
        return 0
    return int(np.sum(out['faces_found']) - np.sum(out['bbox_num']))


def check_boxes(boxes, width, height, where):
    """Given boxes (N x 4) must lie in the image (a pixel of slack) and have a size."""
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        if not (-1 <= x1 < x2 <= width + 1 and -1 <= y1 < y2 <= height + 1):
            raise DataError('{}: box {} [{:g}, {:g}, {:g}, {:g}] is not an x1 y1 x2 y2 box inside '
                            'the {}x{} image'.format(where, i + 1, x1, y1, x2, y2, width, height))


class FaceLabeller(object):
    """RGB frame -> (faces, faces over the cascade's cap), and given boxes -> their faces.

    Args:
        forward: batch (``image``, ``im_shape``, ``scale_factor`` arrays) -> dict of outputs.
        sample_transforms: the TestReader's ops.
        class_names: the expression classes (None: a detector alone).
        draw_threshold: faces under this score are left out (None: all a cascade kept, or
            ``DETECTOR_DRAW_THRESHOLD`` for a detector alone).
        max_size: frames whose longer side is larger are shrunk to it first (boxes are given in
            the frame's own pixels either way).
        classify_rows: batch and detector rows -> outputs for those rows (None: no given boxes).
    """

    def __init__(self, forward, sample_transforms, class_names, draw_threshold=None, max_size=None,
                 classify_rows=None):
        if max_size is not None and max_size < 32:
            raise ConfigError('--max_size: expected at least 32 pixels, got {}'.format(max_size))
        self.forward = forward
        self.preprocess = Preprocess(sample_transforms)
        self.class_names = list(class_names) if class_names else None
        self.draw_threshold = draw_threshold
        self.max_size = max_size
        self.classify_rows = classify_rows

    def shrink(self, rgb):
        """The frame the model sees and its scale (<= 1) from the frame's pixels."""
        longer = max(rgb.shape[:2])
        if not self.max_size or longer <= self.max_size:
            return rgb, 1.0
        scale = self.max_size / longer
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale

    def faces(self, out, rgb, scale):
        if scale != 1.0:
            out = dict(out, bbox=np.concatenate([out['bbox'][:, :2], out['bbox'][:, 2:6] / scale],
                                                axis=1))
            if 'keypoints' in out:
                out['keypoints'] = out['keypoints'] / scale
        return faces_from_output(out, self.class_names, rgb.shape[1], rgb.shape[0])

    def __call__(self, rgb):
        faces, over_cap, _, _ = self.detect(rgb)
        return faces, over_cap

    def detect(self, rgb):
        """(faces, faces over the cascade's cap, the model's input batch, its raw outputs)."""
        small, scale = self.shrink(rgb)
        batch = self.preprocess(small)
        out = self.forward(batch)
        threshold = self.draw_threshold if self.draw_threshold is not None else (
            0.0 if 'faces_found' in out else DETECTOR_DRAW_THRESHOLD)
        faces = [f for f in self.faces(out, rgb, scale) if f['score'] >= threshold]
        return faces, faces_over_cap(out), batch, out

    def label_boxes(self, rgb, boxes, where):
        """Classify the faces in ``boxes`` (N x 4, the frame's pixels); their score is 1."""
        if self.classify_rows is None or not self.class_names:
            raise ConfigError('--boxes classifies given faces: it needs a cascade config with '
                              'expression weights, run by tools/infer.py')
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        check_boxes(boxes, rgb.shape[1], rgb.shape[0], where)
        if not len(boxes):
            return []
        small, scale = self.shrink(rgb)
        rows = np.concatenate([np.zeros((len(boxes), 1)), np.ones((len(boxes), 1)),
                               boxes * scale], axis=1).astype(np.float32)
        return self.faces(self.classify_rows(self.preprocess(small), rows), rgb, scale)


def numpy_outputs(out):
    return {k: v.numpy() for k, v in out.items() if isinstance(v, paddle.Tensor)}


def dygraph_forward(model):
    """A model as numpy batch -> dict of numpy outputs."""
    def forward(batch):
        with paddle.no_grad():
            return numpy_outputs(model({k: paddle.to_tensor(v) for k, v in batch.items()}))
    model.eval()
    return forward


def dygraph_row_classifier(model):
    """A cascade's post-process and classifier on given detector rows (None for a detector)."""
    if not getattr(model, 'class_names', None):
        return None

    def classify_rows(batch, rows):
        inputs = {k: paddle.to_tensor(v) for k, v in batch.items()}
        det = {'bbox': paddle.to_tensor(rows), 'bbox_num': paddle.to_tensor([len(rows)], 'int32')}
        with paddle.no_grad():
            return numpy_outputs(model.post_process(det, inputs, model.classifier))
    return classify_rows


def dygraph_labeller(model, sample_transforms, draw_threshold=None, max_size=None):
    """A FaceLabeller over a config's detector or cascade."""
    return FaceLabeller(dygraph_forward(model), sample_transforms, getattr(model, 'class_names', None),
                        draw_threshold, max_size, dygraph_row_classifier(model))


def read_export_meta(model_dir):
    """``export_meta.json`` of a folder written by tools/export_model.py."""
    from ..engine.export import EXPORT_META
    path = os.path.join(model_dir, EXPORT_META)
    if not os.path.isfile(path):
        raise WeightsError('{!r} is not an exported model folder: {} is missing (write one with '
                           'tools/export_model.py)'.format(model_dir, EXPORT_META))
    with open(path) as f:
        meta = json.load(f)
    if meta.get('kind') == 'detector' and 'output_names' not in meta:
        raise WeightsError('{!r} was exported by an older ppdet-emotion (no output names in {}): '
                           'export it again with tools/export_model.py'.format(model_dir, EXPORT_META))
    return meta


def exported_labeller(predictor, meta, draw_threshold=None, max_size=None):
    """A FaceLabeller over an exported detector or cascade (``engine.export.Predictor``)."""
    names = meta['output_names']
    return FaceLabeller(lambda batch: dict(zip(names, predictor(batch))), meta['sample_transforms'],
                        meta['class_names'], draw_threshold, max_size)
