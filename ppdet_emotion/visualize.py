"""The labelled detection picture: a box per face and its expression, drawn offline.

The font is DejaVu Sans from matplotlib's package data (a dependency), so nothing is fetched.
Label size follows the image size; labels stay inside the picture at its borders and, where
room allows, clear of each other when faces stand close.
"""
import functools
import os

import matplotlib
import numpy as np
from PIL import ImageDraw, ImageFont

from .boxes import iou_matrix
from .classes import CLASS_COLORS

FACE_COLOR = (0, 200, 255)
FONT_PATH = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', 'DejaVuSans-Bold.ttf')


@functools.lru_cache(maxsize=8)
def load_font(size):
    return ImageFont.truetype(FONT_PATH, size)


def label_text(face):
    """``happy 0.81`` for a face with an expression, ``face 0.98`` without; a tracked face's id
    first (``#2 happy 0.81``)."""
    if face.get('expression'):
        text = '{} {:.2f}'.format(face['expression'], face['expression_score'])
    else:
        text = 'face {:.2f}'.format(face['score'])
    return text if face.get('track') is None else '#{} {}'.format(face['track'], text)


def place_label(size, box, taken, image_size):
    """The label rectangle of ``size`` (w, h) for ``box``: above the box, else inside its top
    edge, else below it; the first of these inside the picture that covers no rectangle in
    ``taken`` (the first inside the picture if all do)."""
    tw, th = size
    w, h = image_size
    x1, y1, _, y2 = box
    tx = min(max(0, x1), max(0, w - tw))
    tops = [ty for ty in (y1 - th, y1, y2) if 0 <= ty <= h - th] or [max(0, h - th)]
    rects = [(tx, ty, tx + tw, ty + th) for ty in tops]
    if not taken:
        return rects[0]
    covers = (iou_matrix(np.asarray(rects, float), np.asarray(taken, float)) > 0).any(axis=1)
    return rects[int(np.argmin(covers))]  # the first free place, or the first if none is free


def draw_faces(image, faces, draw_landmarks=False):
    """Draw boxes and labels (and with ``draw_landmarks`` each face's ``landmarks``) on a PIL RGB
    image (returns a new image).

    ``faces``: dicts with ``bbox`` [x1, y1, x2, y2], ``score`` and optionally ``expression``,
    ``expression_score``, ``landmarks`` [[x, y], ...].
    """
    image = image.convert('RGB').copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    line = max(2, round(max(w, h) / 400))
    font = load_font(max(12, round(max(w, h) / 50)))
    colors = [CLASS_COLORS.get(face.get('expression'), FACE_COLOR) for face in faces]
    for face, color in zip(faces, colors):
        draw.rectangle(face['bbox'], outline=color, width=line)
        if draw_landmarks:
            radius = line * 1.5
            for x, y in face.get('landmarks', []):
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=color,
                             outline=(0, 0, 0))
    taken = []
    for face, color in zip(faces, colors):
        text = label_text(face)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        rect = place_label((right - left + 2 * line, bottom - top + 2 * line), face['bbox'], taken,
                           (w, h))
        taken.append(rect)
        draw.rectangle(rect, fill=color)
        draw.text((rect[0] + line - left, rect[1] + line - top), text, fill=(0, 0, 0), font=font)
    return image
