"""``--boxes FILE``: face boxes per image from another detector, so only the classifier runs.

JSON: ``{"photo.jpg": [[x1, y1, x2, y2], ...]}``, or a list of ``{"image": ..., "bbox": [...]}``
or ``{"image": ..., "faces": [{"bbox": [...]}, ...]}`` (this project's own JSON). CSV: a header
with ``image,x1,y1,x2,y2`` (other columns ignored; this project's ``faces.csv`` works). An image
is named by its path as given to the run or by its file name.
"""
import csv
import json
import os

import numpy as np

from ..errors import DataError

CSV_COLUMNS = ('image', 'x1', 'y1', 'x2', 'y2')


def as_box(value, where):
    if isinstance(value, dict):
        value = value.get('bbox')
    try:
        box = [float(v) for v in value]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4:
        raise DataError('{}: expected a box [x1, y1, x2, y2], got {!r}'.format(where, value))
    return box


def json_rows(path):
    """(where, image name, box) of a JSON boxes file."""
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as e:
        raise DataError('--boxes {!r} is not valid JSON: {}'.format(path, e)) from None
    if isinstance(data, dict):
        items = [(name, boxes) for name, boxes in data.items()]
    elif isinstance(data, list) and all(isinstance(r, dict) and 'image' in r for r in data):
        items = [(r['image'], r['faces'] if 'faces' in r else [r]) for r in data]
    else:
        raise DataError('--boxes {!r}: expected {{image: [boxes]}} or a list of {{"image", "bbox"}} '
                        'records'.format(path))
    for name, boxes in items:
        if not isinstance(boxes, list):
            raise DataError('--boxes {!r}: image {!r} needs a list of boxes'.format(path, name))
        for i, box in enumerate(boxes, 1):
            where = '--boxes {!r}: image {!r} box {}'.format(path, name, i)
            yield where, name, as_box(box, where)
        if not boxes:
            yield None, name, None


def csv_rows(path):
    """(where, image name, box) of a CSV boxes file."""
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError('--boxes {!r}: the header lacks {} (expected {})'.format(
                path, ', '.join(missing), ','.join(CSV_COLUMNS)))
        for row in reader:
            where = '--boxes {!r} line {}'.format(path, reader.line_num)
            yield where, row['image'], as_box([row[c] for c in CSV_COLUMNS[1:]], where)


def read_boxes(path, images):
    """{image path: boxes N x 4} for ``images`` (the run's inputs) from a boxes file; a name
    that is none of the inputs is an error naming its row."""
    if not os.path.isfile(path):
        raise DataError('--boxes {!r} does not exist'.format(path))
    by_name = {}
    for image in images:
        by_name.setdefault(image, image)
        by_name.setdefault(os.path.basename(image), image)
    rows = csv_rows(path) if path.lower().endswith('.csv') else json_rows(path)
    boxes = {image: [] for image in images}
    for where, name, box in rows:
        if name not in by_name:
            raise DataError('{}: image {!r} is none of the input images'.format(
                where or '--boxes {!r}'.format(path), name))
        if box is not None:
            boxes[by_name[name]].append(box)
    return {image: np.array(b, np.float32).reshape(-1, 4) for image, b in boxes.items()}
