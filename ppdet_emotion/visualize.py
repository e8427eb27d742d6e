"""The labelled detection picture: a box per face and its expression, drawn offline.

The font is DejaVu Sans from matplotlib's package data (a dependency), so nothing is fetched.
Label size follows the image size; labels stay inside the picture at its borders.
"""
import os

import matplotlib
from PIL import ImageDraw, ImageFont

from .classes import CLASS_COLORS

FACE_COLOR = (0, 200, 255)
FONT_PATH = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', 'DejaVuSans-Bold.ttf')


def load_font(size):
    return ImageFont.truetype(FONT_PATH, size)


def label_text(face):
    """``happy 0.81`` for a face with an expression, ``face 0.98`` without."""
    if face.get('expression'):
        return '{} {:.2f}'.format(face['expression'], face['expression_score'])
    return 'face {:.2f}'.format(face['score'])


def draw_faces(image, faces):
    """Draw boxes and labels on a PIL RGB image (returns a new image).

    ``faces``: dicts with ``bbox`` [x1, y1, x2, y2], ``score`` and optionally ``expression``,
    ``expression_score``.
    """
    image = image.convert('RGB').copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    line = max(2, round(max(w, h) / 400))
    font = load_font(max(12, round(max(w, h) / 50)))
    for face in faces:
        x1, y1, x2, y2 = face['bbox']
        color = CLASS_COLORS.get(face.get('expression'), FACE_COLOR)
        draw.rectangle([x1, y1, x2, y2], outline=color, width=line)
        text = label_text(face)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tw, th = right - left + 2 * line, bottom - top + 2 * line
        tx = min(max(0, x1), max(0, w - tw))
        ty = y1 - th if y1 >= th else max(0, min(y1, h - th))
        draw.rectangle([tx, ty, tx + tw, ty + th], fill=color)
        draw.text((tx + line - left, ty + line - top), text, fill=(0, 0, 0), font=font)
    return image
