"""Synthetic FER-like data made by the tests: 7 easy, visibly different classes of 48x48 faces."""
import os

import cv2
import numpy as np

from ppdet_emotion.classes import FER2013_CLASSES


def synthetic_face(label, rng, size=48):
    """A grey 48x48 'face' (an ellipse with two eyes) whose brightness tells its class.

    Brightness survives the training augmentations (flip, crop, rotation), so a short training
    must learn it.
    """
    level = 40 + 28 * label
    image = rng.normal(level, 8, (size, size)).clip(0, 255).astype(np.uint8)
    centre = (size // 2 + int(rng.integers(-2, 3)), size // 2 + int(rng.integers(-2, 3)))
    cv2.ellipse(image, centre, (size // 3, size * 2 // 5), 0, 0, 360, min(255, level + 40), 2)
    for dx in (-8, 8):
        cv2.circle(image, (centre[0] + dx, centre[1] - 6), 3, max(0, level - 35), -1)
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
