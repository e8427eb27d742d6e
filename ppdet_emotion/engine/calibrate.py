"""Crop calibration: how a face detector's boxes sit inside FER2013's frames, and what the
classifier makes of the crops the cascade cuts from them.

Each FER2013 face is enlarged and placed in a larger picture (its border pixels replicated, so
no frame edge shows); the cascade's detector finds it; the FER frame's size and centre are
measured in units of the detector's box. The medians give ``EmotionPostProcess.crop_scale`` and
``crop_shift``. The classifier's accuracy is then measured on the cascade's own crops of the same
pictures (its RoI-Align path, as in deployment) against the original FER crops.
"""
import os

import cv2
import numpy as np

from ..classes import FER2013_CLASSES
from ..data.sources import read_gray
from ..io import IMAGE_EXTENSIONS
from ..data.transforms import preprocess_faces
from ..errors import DataError
from ..data.preprocess import Preprocess
from ..progress import Progress


def fer_faces(root, every=1):
    """``[(path, class id)]`` of a FER2013 folder split (``root/<class>/*.jpg``), every
    ``every``-th file in sorted order."""
    if not os.path.isdir(root):
        raise DataError('--fer_dir {!r} is not a folder'.format(root))
    items = []
    for label, name in enumerate(FER2013_CLASSES):
        folder = os.path.join(root, name)
        if os.path.isdir(folder):
            items += [(os.path.join(folder, f), label) for f in sorted(os.listdir(folder))
                      if f.lower().endswith(IMAGE_EXTENSIONS)]
    if not items:
        raise DataError('--fer_dir {!r} holds no <class>/*.jpg faces (classes: {})'.format(
            root, ', '.join(FER2013_CLASSES)))
    return items[::every]


def place_face(gray, rng, zoom=(2.0, 4.0), margin=(0.8, 1.6)):
    """An RGB picture holding ``gray`` enlarged by a random ``zoom``, with a random margin of
    replicated border pixels on each side; returns (picture, FER frame x1 y1 x2 y2)."""
    side = int(round(gray.shape[0] * rng.uniform(*zoom)))
    face = cv2.resize(gray, (side, side), interpolation=cv2.INTER_CUBIC)
    top, bottom, left, right = (int(round(side * rng.uniform(*margin))) for _ in range(4))
    picture = cv2.copyMakeBorder(face, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return cv2.cvtColor(picture, cv2.COLOR_GRAY2RGB), np.array([left, top, left + side, top + side],
                                                                np.float32)


def best_match(rows, frame):
    """Index of the highest-scoring detection (``bbox`` rows) whose centre lies in the frame's
    middle half, or None."""
    centre = (frame[:2] + frame[2:]) / 2
    quarter = (frame[2:] - frame[:2]) / 4
    for i in np.argsort(-rows[:, 1], kind='stable'):
        box = rows[i]
        if box[0] >= 0 and np.all(np.abs((box[2:4] + box[4:6]) / 2 - centre) < quarter):
            return int(i)
    return None


def frame_in_box_units(box, frame):
    """(frame width / box width, frame height / box height, centre shift x, y in box sizes)."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    shift = ((frame[:2] + frame[2:]) - (box[:2] + box[2:])) / 2
    return np.array([(frame[2] - frame[0]) / bw, (frame[3] - frame[1]) / bh,
                     shift[0] / bw, shift[1] / bh])


def tensors(batch):
    import paddle
    return {k: paddle.to_tensor(v) for k, v in batch.items()}


def calibrate(model, sample_transforms, spec, faces, seed=0):
    """Measure the FER frame around ``model.detector``'s boxes, then the classifier's accuracy on
    the original crops and on the cascade's crops with the configured and the measured crop.

    The detector runs once per picture; the face's detection then goes through the cascade's
    post-process (threshold off, so every placed face that was found is classified) with each
    crop setting.
    Returns a dict of the results (JSON-ready).
    """
    import paddle
    rng = np.random.default_rng(seed)
    pictures = [place_face(read_gray(path), rng) + (label, path) for path, label in faces]
    preprocess = Preprocess(sample_transforms)
    found, ratios = [], []
    progress = Progress(len(pictures), 'detecting', 'pictures')
    for n, (picture, frame, _, _) in enumerate(pictures):
        with paddle.no_grad():
            det = model.detector(tensors(preprocess(picture)))
        rows = det['bbox'].numpy()
        i = best_match(rows, frame)
        if i is not None:  # keep the face's detection alone: the only one classified below
            found.append((n, {'bbox': det['bbox'][i:i + 1],
                                  'bbox_num': paddle.to_tensor([1], dtype='int32')}))
            ratios.append(frame_in_box_units(rows[i, 2:6], frame))
        progress.step()
    progress.close()
    if not found:
        raise DataError('the detector found none of the {} placed faces'.format(len(pictures)))
    ratios = np.array(ratios)
    fitted = np.median(ratios, 0)
    post = model.post_process
    settings = {'configured crop': (list(post.crop_scale), list(post.crop_shift)),
                'measured crop': ([round(float(v), 3) for v in fitted[:2]],
                                  [round(float(v), 3) for v in fitted[2:]])}
    labels = np.array([pictures[i][2] for i, _ in found])
    original = classify_originals(model.classifier, spec, [pictures[i][3] for i, _ in found])
    accuracy = {'original FER crops': float(np.mean(original == labels))}
    kept = (post.crop_scale, post.crop_shift, post.face_threshold)
    post.face_threshold = 0.0
    for name, (scale, shift) in settings.items():
        post.crop_scale, post.crop_shift = scale, shift
        predicted = []
        progress = Progress(len(found), 'classifying ({})'.format(name), 'faces')
        for i, det in found:
            with paddle.no_grad():
                out = post(det, tensors(preprocess(pictures[i][0])), model.classifier)
            predicted.append(int(out['emotion_probs'].numpy()[0].argmax()))
            progress.step()
        progress.close()
        accuracy[name] = float(np.mean(np.array(predicted) == labels))
    post.crop_scale, post.crop_shift, post.face_threshold = kept
    quartiles = np.percentile(ratios, [25, 75], axis=0)
    return {
        'faces': len(pictures), 'detected': len(found),
        'measured': {'crop_scale': settings['measured crop'][0],
                     'crop_shift': settings['measured crop'][1],
                     'quartiles': [[round(float(v), 3) for v in q] for q in quartiles]},
        'configured': {'crop_scale': settings['configured crop'][0],
                       'crop_shift': settings['configured crop'][1]},
        'accuracy_on_detected': {k: round(v, 4) for k, v in accuracy.items()},
    }


def classify_originals(classifier, spec, paths, batch_size=256):
    """The classifier's classes for the original FER crops (single crop)."""
    import paddle
    classes = []
    for start in range(0, len(paths), batch_size):
        faces = [read_gray(p) for p in paths[start:start + batch_size]]
        batch = preprocess_faces(faces, spec, use_ten_crop=False)
        with paddle.no_grad():
            probs = classifier.classify(paddle.to_tensor(batch))['probs'].numpy()
        classes.append(probs.argmax(1))
    return np.concatenate(classes)
