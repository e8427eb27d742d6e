"""Frame sources: photos (a file, a folder, a list file), a video file, a camera.

A source iterates ``Frame`` items; a photo that cannot be read comes as a ``Skipped`` item, so one
bad file among many does not stop a run. A video or camera that cannot be opened, or gives no
frame, is a ``DataError`` when the source is created.
"""
import glob
import os
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ..errors import DataError
from ..io import IMAGE_EXTENSIONS

DEFAULT_FPS = 25.0  # when a video or camera reports no usable frame rate


@dataclass
class Frame:
    """A decoded picture: ``rgb`` (H x W x 3 uint8), ``name`` (file or ``clip.mp4``), ``index``
    (0-based), ``time`` (seconds from the start of a stream; None for photos)."""
    rgb: np.ndarray
    name: str
    index: int
    time: Optional[float] = None


@dataclass
class Skipped:
    """An item that could not be read, and why."""
    name: str
    reason: str


def read_rgb(path):
    """Any image file (grey, RGB, RGBA, 16-bit, PNG, JPEG) as uint8 RGB; DataError if unreadable."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError('cannot read image {}: {}'.format(path, e.strerror or e)) from None
    return decode_rgb(data, path)


def decode_rgb(data, name):
    """An image file's bytes (``bytes`` or a uint8 array) as uint8 RGB; DataError naming ``name``
    if they are not an image."""
    data = np.frombuffer(data, np.uint8) if isinstance(data, bytes) else data
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DataError('cannot read image {}: {}'.format(
            name, 'empty file' if not data.size else 'not an image file or corrupt'))
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def list_file_paths(infer_list, infer_dir=None):
    """The images named in ``--infer_list`` (one path per line, ``#`` comments); relative paths
    are under ``--infer_dir`` if given (as PaddleDetection's), else beside the list file."""
    if not os.path.isfile(infer_list):
        raise DataError('--infer_list {!r} does not exist'.format(infer_list))
    root = infer_dir or os.path.dirname(os.path.abspath(infer_list))
    with open(infer_list) as f:
        names = [line.strip() for line in f]
    paths = [os.path.join(root, n) for n in names if n and not n.startswith('#')]
    if not paths:
        raise DataError('--infer_list {!r} names no images'.format(infer_list))
    return paths


def photo_paths(infer_img=None, infer_dir=None, infer_list=None):
    """The photos named by ``--infer_img``, ``--infer_list`` or found in ``--infer_dir``."""
    if infer_img:
        if not os.path.isfile(infer_img):
            raise DataError('--infer_img {!r} does not exist'.format(infer_img))
        return [infer_img]
    if infer_list:
        return list_file_paths(infer_list, infer_dir)
    if not infer_dir or not os.path.isdir(infer_dir):
        raise DataError('--infer_dir {!r} is not a folder'.format(infer_dir))
    images = sorted(p for p in glob.glob(os.path.join(infer_dir, '*'))
                    if p.lower().endswith(IMAGE_EXTENSIONS))
    if not images:
        raise DataError('--infer_dir {!r} holds no images ({})'.format(
            infer_dir, '/'.join(IMAGE_EXTENSIONS)))
    return images


class PhotoSource(object):
    """Photos, decoded one at a time."""
    stream = False

    def __init__(self, paths):
        self.paths = list(paths)
        self.total = len(self.paths)

    def __iter__(self):
        for index, path in enumerate(self.paths):
            try:
                yield Frame(read_rgb(path), path, index)
            except DataError as e:
                yield Skipped(path, str(e))

    def close(self):
        pass


class StreamSource(object):
    """Frames of an opened ``cv2.VideoCapture``, read one at a time (none kept).

    ``name``: what the outputs are named after; ``flag``: the option that named the stream, for
    errors. The first frame is read at once, so a stream without frames fails here.
    """
    stream = True

    def __init__(self, capture, name, flag, total=None):
        self.capture, self.name = capture, name
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 0 < fps < 1000 else DEFAULT_FPS
        ok, first = capture.read()
        if not ok or first is None:
            capture.release()
            raise DataError('{}: no frame could be read'.format(flag))
        self.first = first
        self.size = (first.shape[1], first.shape[0])
        self.total = total

    def __iter__(self):
        frame, index = self.first, 0
        self.first = None
        while frame is not None:
            yield Frame(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), self.name, index, index / self.fps)
            ok, frame = self.capture.read()
            frame = frame if ok else None
            index += 1

    def close(self):
        self.capture.release()


def video_source(path):
    """A video file's frames; DataError if it is missing, not a video, or has no frames."""
    if not os.path.isfile(path):
        raise DataError('--video_file {!r} does not exist'.format(path))
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise DataError('--video_file {!r}: OpenCV cannot open it as a video'.format(path))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    return StreamSource(capture, path, '--video_file {!r}'.format(path),
                        count if count > 0 else None)


def camera_source(index):
    """A camera's frames (``--camera_id``); DataError if there is no such camera."""
    level = cv2.getLogLevel() if hasattr(cv2, 'getLogLevel') else None
    if level is not None:
        cv2.setLogLevel(1)  # errors only: a missing camera is reported below, in one line
    try:
        capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            raise DataError('--camera_id {}: no camera with this index can be opened'.format(index))
        return StreamSource(capture, 'camera{}'.format(index), '--camera_id {}'.format(index))
    finally:
        if level is not None:
            cv2.setLogLevel(level)
