"""Synthetic FER-like data made by the tests: 7 easy, visibly different classes of 48x48 faces."""
import os

import cv2
import numpy as np

from ppdet_emotion.classes import FER2013_CLASSES


def synthetic_face(label, rng, size=48):
    """A grey 48x48 image whose pattern tells its class: a bar at one of 7 angles, plus noise."""
    image = rng.normal(110, 20, (size, size)).clip(0, 255).astype(np.uint8)
    angle = np.pi * label / 7
    c = size / 2 + rng.normal(0, 1.5, 2)
    d = np.array([np.cos(angle), np.sin(angle)]) * size * 0.4
    p1, p2 = tuple(int(v) for v in c - d), tuple(int(v) for v in c + d)
    cv2.line(image, p1, p2, 240, 5)
    return image


def make_folder_dataset(root, per_class=(12, 4), seed=0):
    """Write ROOT/train and ROOT/val class folders of PNG faces; return the faces per split."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, n in zip(('train', 'val'), per_class):
        faces = []
        for label, name in enumerate(FER2013_CLASSES):
            os.makedirs(os.path.join(root, split, name), exist_ok=True)
            for i in range(n):
                image = synthetic_face(label, rng)
                cv2.imwrite(os.path.join(root, split, name, '{:03d}.png'.format(i)), image)
                faces.append((image, label))
        splits[split] = faces
    return splits


def write_fer_csv(path, splits):
    """The same faces as fer2013.csv rows (train -> Training, val -> PublicTest)."""
    usage = {'train': 'Training', 'val': 'PublicTest'}
    with open(path, 'w') as f:
        f.write('emotion,pixels,Usage\n')
        for split, faces in splits.items():
            for image, label in faces:
                f.write('{},{},{}\n'.format(label, ' '.join(map(str, image.reshape(-1))), usage[split]))
