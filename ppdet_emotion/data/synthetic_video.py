"""A synthetic clip of faces moving over a still background, with each face's true box per frame
(and a still group photo of the same faces).

The faces are copies of the portrait in ``demo/astronaut.png``; the tests and ``bench/`` use the
clip to check and measure tracking (a face that enters mid-way, faces that cross).
"""
import os

import cv2
import numpy as np

DEMO_PHOTO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), 'demo', 'astronaut.png')
DEMO_FACE = (170, 52, 281, 188)  # the portrait's face with a margin, x1 y1 x2 y2


def demo_face():
    """The demo portrait's face (RGB)."""
    x1, y1, x2, y2 = DEMO_FACE
    return cv2.cvtColor(cv2.imread(DEMO_PHOTO), cv2.COLOR_BGR2RGB)[y1:y2, x1:x2]


def linear_path(start, end, first, last):
    """A face's path: at ``start`` (x, y, width) on frame ``first``, at ``end`` on ``last``."""
    return {'start': start, 'end': end, 'first': first, 'last': last}


def clip_frames(paths, frames, size=(640, 480), seed=0):
    """Yield (RGB frame, [(face index, box x1 y1 x2 y2), ...]) for ``frames`` frames.

    ``paths``: per face a ``linear_path``; a face shows from its ``first`` to its ``last`` frame,
    later faces drawn over earlier ones.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    background = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), (0, 0), 6)
    face = demo_face()
    aspect = face.shape[0] / face.shape[1]
    for index in range(frames):
        frame = background.copy()
        boxes = []
        for k, path in enumerate(paths):
            if not path['first'] <= index <= path['last']:
                continue
            t = (index - path['first']) / max(path['last'] - path['first'], 1)
            x, y, w = (a + (b - a) * t for a, b in zip(path['start'], path['end']))
            w, h = int(round(w)), int(round(w * aspect))
            x1, y1 = int(round(x)), int(round(y))
            sprite = cv2.resize(face, (w, h), interpolation=cv2.INTER_AREA)
            visible = frame[max(y1, 0):y1 + h, max(x1, 0):x1 + w]
            visible[:] = sprite[max(-y1, 0):max(-y1, 0) + visible.shape[0],
                                max(-x1, 0):max(-x1, 0) + visible.shape[1]]
            boxes.append((k, (x1, y1, x1 + w, y1 + h)))
        yield frame, boxes


def write_clip(path, frames, fps=25.0, size=(640, 480), paths=None):
    """Write the clip as a video file (``mp4v``); returns the true boxes per frame."""
    paths = paths or three_faces(frames, size)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    truth = []
    for frame, boxes in clip_frames(paths, frames, size):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        truth.append(boxes)
    writer.release()
    return truth


def three_faces(frames, size=(640, 480)):
    """Two faces crossing the frame in opposite directions and a third entering a third of the
    way in, drifting down."""
    w, h = size
    return [linear_path((20, 60, 110), (w - 140, 90, 120), 0, frames - 1),
            linear_path((w - 150, 250, 120), (30, 230, 110), 0, frames - 1),
            linear_path((w / 2 - 60, 10, 100), (w / 2 - 20, h - 170, 110), frames // 3, frames - 1)]


def group_photo(size=(1024, 768), faces=5):
    """A still photo of ``faces`` copies of the portrait in a row, of growing sizes."""
    width, height = size
    step = width / faces
    places = [(i * step + 8, height / 3, step * (0.5 + 0.3 * i / faces)) for i in range(faces)]
    frame, _ = next(clip_frames([linear_path(p, p, 0, 0) for p in places], 1, size))
    return frame
