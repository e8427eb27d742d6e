"""Inference on files: the cascade (labelled picture + JSON per image) and the classifier alone
(face crops -> class and probabilities)."""
import glob
import os

import cv2
import numpy as np
import paddle
from PIL import Image
from ppdet.data.reader import Compose

from ..data.transforms import preprocess_faces
from ..errors import DataError
from ..io import atomic_path, write_json
from ..visualize import draw_faces

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
DETECTOR_DRAW_THRESHOLD = 0.5  # a detector alone; a cascade has applied its face threshold


def list_images(infer_img=None, infer_dir=None):
    """The images named by ``--infer_img`` or found in ``--infer_dir``."""
    if infer_img:
        if not os.path.isfile(infer_img):
            raise DataError('--infer_img {!r} does not exist'.format(infer_img))
        return [infer_img]
    if not infer_dir or not os.path.isdir(infer_dir):
        raise DataError('--infer_dir {!r} is not a folder'.format(infer_dir))
    images = sorted(p for p in glob.glob(os.path.join(infer_dir, '*'))
                    if p.lower().endswith(IMAGE_EXTENSIONS))
    if not images:
        raise DataError('--infer_dir {!r} holds no images ({})'.format(
            infer_dir, '/'.join(IMAGE_EXTENSIONS)))
    return images


def read_rgb(path):
    """Any image file (grey, RGB, RGBA, 16-bit, PNG, JPEG) as uint8 RGB, EXIF orientation
    applied; DataError if unreadable."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError('cannot read image {}: {}'.format(path, e.strerror or e)) from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DataError('cannot read image {}: not an image file or corrupt'.format(path))
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def detector_batch(rgb, sample_transforms):
    """One image through the TestReader's ops (after decoding): float32 arrays, batch of one."""
    encoded = cv2.imencode('.png', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    sample = Compose(sample_transforms)({'image': encoded, 'im_id': np.array([0])})
    return {k: np.asarray(sample[k], dtype=np.float32)[None] for k in
            ('image', 'im_shape', 'scale_factor')}


def dygraph_forward(model):
    """Wrap a model as numpy batch -> dict of numpy outputs."""
    def forward(batch):
        with paddle.no_grad():
            out = model({k: paddle.to_tensor(v) for k, v in batch.items()})
        return {k: v.numpy() for k, v in out.items() if isinstance(v, paddle.Tensor)}
    model.eval()
    return forward


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
            probs = out['emotion_probs'][i]
            face['expression'] = class_names[int(probs.argmax())]
            face['expression_score'] = round(float(probs.max()), 4)
            face['probabilities'] = {n: round(float(p), 4) for n, p in zip(class_names, probs)}
        faces.append(face)
    return faces


def faces_over_cap(out):
    """Faces the cascade found but did not label because of ``EmotionPostProcess.max_faces``."""
    if 'faces_found' not in out:
        return 0
    return int(np.sum(out['faces_found']) - np.sum(out['bbox_num']))


def output_paths(image_path, output_dir):
    """Picture and JSON paths: ``photo.jpg`` -> ``photo.jpg`` and ``photo.jpg.json``."""
    name = os.path.basename(image_path)
    picture = os.path.join(output_dir, name)
    if os.path.abspath(picture) == os.path.abspath(image_path):
        raise DataError('--output_dir {!r} holds the input {!r}: choose another folder so the '
                        'photo is not overwritten'.format(output_dir, name))
    return picture, picture + '.json'


def save_picture(rgb, faces, path, draw_landmarks=False):
    picture = draw_faces(Image.fromarray(rgb), faces, draw_landmarks)
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), 'PNG')
    with atomic_path(path) as tmp:
        picture.save(tmp, format=fmt, quality=95)


def label_images(forward, sample_transforms, class_names, images, output_dir, draw_threshold,
                 save_results, draw_landmarks=False):
    """Detect (and label) every image with ``forward``; write pictures and JSON.

    ``draw_threshold`` None keeps what a cascade kept (it applied its face threshold), and
    ``DETECTOR_DRAW_THRESHOLD`` for a detector alone. Returns [(image path, faces, faces left
    out by the cascade's cap)].
    """
    results = []
    for path in images:
        rgb = read_rgb(path)
        out = forward(detector_batch(rgb, sample_transforms))
        threshold = draw_threshold if draw_threshold is not None else (
            0.0 if 'faces_found' in out else DETECTOR_DRAW_THRESHOLD)
        faces = [f for f in faces_from_output(out, class_names, rgb.shape[1], rgb.shape[0])
                 if f['score'] >= threshold]
        over_cap = faces_over_cap(out)
        picture_path, json_path = output_paths(path, output_dir)
        save_picture(rgb, faces, picture_path, draw_landmarks)
        if save_results:
            record = {'image': path, 'width': rgb.shape[1], 'height': rgb.shape[0], 'faces': faces}
            if over_cap:
                record['faces_over_max_faces'] = over_cap
            write_json(json_path, record)
        results.append((path, faces, over_cap))
    return results


def classify_crops(forward, spec, class_names, images, use_ten_crop=None):
    """Classify face-crop files; ``forward`` maps a preprocessed batch to probabilities."""
    results = []
    for path in images:
        faces = preprocess_faces([read_rgb(path)], spec, use_ten_crop)
        probs = forward(faces.reshape((-1,) + faces.shape[-3:])).mean(0)
        results.append({'image': path, 'expression': class_names[int(probs.argmax())],
                        'score': round(float(probs.max()), 4),
                        'probabilities': {n: round(float(p), 4) for n, p in zip(class_names, probs)}})
    return results


def classifier_forward(model):
    """Wrap an EmotionClassifier as numpy faces -> numpy probabilities."""
    def forward(faces):
        with paddle.no_grad():
            return model.classify(paddle.to_tensor(faces))['probs'].numpy()
    model.eval()
    return forward

def build_inference_model(cfg):
    """Create ``cfg.architecture`` and load its weights from the config's weight keys.

    Cascade: ``weights`` (a merged file) or ``detector_weights`` [+ ``emotion_weights``]; other
    architectures: ``weights``. Returns (model, meta of the expression weights or the weights).
    """
    from ppdet.core.workspace import create
    from ..errors import ConfigError, WeightsError
    from ..modeling.architectures.face_emotion import FaceEmotion
    from .checkpoint import load_weights_strict

    if cfg['TestReader'].get('batch_transforms'):
        raise ConfigError('TestReader.batch_transforms are not applied at inference: put those '
                          'ops in TestReader.sample_transforms')
    model = create(cfg.architecture)
    model.load_meanstd(cfg['TestReader']['sample_transforms'])
    if isinstance(model, FaceEmotion):
        if cfg.get('weights'):
            meta = model.load_merged_weights(cfg.weights).get('emotion')
        elif cfg.get('detector_weights'):
            meta = model.load_stage_weights(cfg.detector_weights, cfg.get('emotion_weights'))
        else:
            raise ConfigError('no weights: pass -o weights=MERGED.pdparams, or '
                              'detector_weights=... [emotion_weights=...]')
    elif cfg.get('weights'):
        meta = load_weights_strict(model, cfg.weights)
        if cfg.architecture == 'EmotionClassifier' and not meta.get('input_spec'):
            raise WeightsError('weights {!r} carry no input spec / class names: use a '
                               'checkpoint written by tools/train.py'.format(cfg.weights))
    else:
        raise ConfigError('no weights: pass -o weights=PATH.pdparams')
    return model, meta


def report_classifications(results, output_dir, save_results):
    """Print each crop's top class and probabilities; optionally save them as JSON."""
    for r in results:
        probs = ', '.join('{} {:.3f}'.format(k, v) for k, v in r['probabilities'].items())
        print('{}: {} {:.3f} ({})'.format(r['image'], r['expression'], r['score'], probs))
    if save_results:
        path = os.path.join(output_dir, 'classification_results.json')
        write_json(path, results)
        print('results: {}'.format(path))


def report_faces(results, output_dir):
    """Print each image's faces and where its picture went."""
    for path, faces, over_cap in results:
        print('{}: {} face(s) -> {}'.format(path, len(faces), output_paths(path, output_dir)[0]))
        if over_cap:
            print('  note: {} more face(s) found but not labelled: EmotionPostProcess.max_faces '
                  'caps the faces per photo'.format(over_cap))
        for face in faces:
            print('  [{}] {} {:.2f} (face score {:.2f})'.format(
                ', '.join('{:.0f}'.format(v) for v in face['bbox']), face.get('expression', 'face'),
                face.get('expression_score', face['score']), face['score']))
