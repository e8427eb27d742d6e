"""Where labelled frames go: pictures and JSON per photo, a labelled video, a CSV table of faces,
JSON lines per frame, a timeline plot, a live window.

Every sink takes ``write(frame, faces, picture)`` (``picture``: the labelled frame, RGB array)
and ends with ``close()`` (files get their names: all of a file or none of it) or ``discard()``
(the run failed: temp files removed).
"""
import csv
import json
import os
import sys

import cv2
import numpy as np

from ..errors import DataError
from ..io import AtomicFile, atomic_path, write_json


def output_path(input_name, output_dir, name):
    """``output_dir/name``, refused when it is the input itself."""
    path = os.path.join(output_dir, name)
    if os.path.abspath(path) == os.path.abspath(input_name):
        raise DataError('--output_dir {!r} holds the input {!r}: choose another folder so it is '
                        'not overwritten'.format(output_dir, os.path.basename(input_name)))
    return path


def save_picture(picture, path):
    from PIL import Image
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), 'PNG')
    with atomic_path(path) as tmp:
        Image.fromarray(picture).save(tmp, format=fmt, quality=95)


def photo_record(frame, faces, over_cap=0):
    """A photo's results as data: ``{"image", "width", "height", "faces": [...]}`` (and
    ``faces_over_max_faces`` when the cascade's cap left faces unlabelled)."""
    record = {'image': frame.name, 'width': frame.rgb.shape[1], 'height': frame.rgb.shape[0],
              'faces': faces}
    if over_cap:
        record['faces_over_max_faces'] = over_cap
    return record


class PhotoFiles(object):
    """Per photo, the labelled picture under its own name and (``save_results``) its JSON:
    ``photo.jpg`` -> ``photo.jpg`` and ``photo.jpg.json``."""

    def __init__(self, output_dir, save_results):
        self.output_dir, self.save_results = output_dir, save_results

    def picture_path(self, frame):
        return output_path(frame.name, self.output_dir, os.path.basename(frame.name))

    def write(self, frame, faces, picture, over_cap=0):
        path = self.picture_path(frame)
        save_picture(picture, path)
        if self.save_results:
            write_json(path + '.json', photo_record(frame, faces, over_cap))

    def close(self):
        pass

    def discard(self):
        pass


def face_columns(class_names, stream):
    """The CSV header: where (image / frame, time, track), box, score, expression, probabilities
    (raw, and smoothed for a stream)."""
    where = ['frame', 'time', 'track', 'detected'] if stream else ['image', 'face']
    columns = where + ['x1', 'y1', 'x2', 'y2', 'score', 'expression', 'expression_score']
    classes = list(class_names or [])
    return columns + classes + (['smoothed_' + n for n in classes] if stream else [])


class TextFile(object):
    """A text file written as the run goes, under a temp name until ``close``."""

    def __init__(self, path):
        self.path, self.file = path, AtomicFile(path)
        self.handle = open(self.file.tmp, 'w', newline='')

    def close(self):
        self.handle.close()
        self.file.commit()

    def discard(self):
        self.handle.close()
        self.file.discard()


class FaceTable(TextFile):
    """One CSV row per face (per frame, for a stream)."""

    def __init__(self, path, class_names, stream):
        super().__init__(path)
        self.writer = csv.writer(self.handle)
        self.class_names, self.stream = list(class_names or []), stream
        self.writer.writerow(face_columns(class_names, stream))

    def row(self, frame, number, face):
        where = ([frame.index, '{:.3f}'.format(frame.time), face.get('track', ''),
                  int(face.get('detected', True))] if self.stream else [frame.name, number])
        probs = [face.get('probabilities', {}).get(n, '') for n in self.class_names]
        smoothed = [face.get('smoothed_probabilities', {}).get(n, '') for n in self.class_names]
        return where + face['bbox'] + [face['score'], face.get('expression', ''),
                                       face.get('expression_score', '')] + probs + (
                                           smoothed if self.stream else [])

    def write(self, frame, faces, picture, over_cap=0):
        for number, face in enumerate(faces, 1):
            self.writer.writerow(self.row(frame, number, face))


class JsonLines(TextFile):
    """One JSON object per frame: ``{"frame", "time", "faces": [...]}``."""

    def write(self, frame, faces, picture, over_cap=0):
        record = {'frame': frame.index, 'time': round(frame.time, 3), 'faces': faces}
        if over_cap:
            record['faces_over_max_faces'] = over_cap
        self.handle.write(json.dumps(record) + '\n')


VIDEO_CODECS = {'.mp4': 'mp4v', '.webm': 'VP80'}  # MPEG-4 part 2; VP8, which browsers play


class VideoFile(object):
    """The labelled frames as a video of the input's size and frame rate, coded by the path's
    extension (``VIDEO_CODECS``)."""

    def __init__(self, path, fps, size):
        codec = VIDEO_CODECS.get(os.path.splitext(path)[1].lower())
        if codec is None:
            raise DataError('cannot write the video {!r}: expected a name ending in {}'.format(
                path, ' or '.join(VIDEO_CODECS)))
        self.path, self.file = path, AtomicFile(path)
        self.writer = cv2.VideoWriter(self.file.tmp, cv2.VideoWriter_fourcc(*codec), fps, size)
        if not self.writer.isOpened():
            self.file.discard()
            raise DataError('cannot write the video {!r}: OpenCV has no {} encoder here'.format(
                path, codec))

    def write(self, frame, faces, picture, over_cap=0):
        self.writer.write(cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))

    def close(self):
        self.writer.release()
        self.file.commit()

    def discard(self):
        self.writer.release()
        self.file.discard()


def has_display():
    """Whether a window can be shown (on Linux: an X or Wayland display is set)."""
    if sys.platform.startswith('linux'):
        return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))
    return True


class LiveWindow(object):
    """The labelled frames in a window; ``q`` (or closing the window) sets ``stopped``."""

    def __init__(self, title):
        self.title, self.stopped = title, False
        cv2.namedWindow(title, cv2.WINDOW_NORMAL)

    def write(self, frame, faces, picture, over_cap=0):
        cv2.imshow(self.title, cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        visible = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE)
        self.stopped = key == ord('q') or visible < 1

    def close(self):
        cv2.destroyWindow(self.title)

    discard = close


class TimelinePlot(object):
    """A PNG per stream: each track's smoothed expression probabilities over time (the tracks
    seen longest first, at most ``max_tracks``)."""

    def __init__(self, path, class_names, max_tracks=8):
        self.path, self.class_names, self.max_tracks = path, list(class_names), max_tracks
        self.series = {}  # track -> ([time], [probabilities])

    def write(self, frame, faces, picture, over_cap=0):
        for face in faces:
            if face.get('track') is not None and 'smoothed_probabilities' in face:
                times, probs = self.series.setdefault(face['track'], ([], []))
                times.append(frame.time)
                probs.append([face['smoothed_probabilities'][n] for n in self.class_names])

    def close(self):
        if not self.series:
            return
        from .timeline_plot import plot_tracks
        tracks = sorted(self.series, key=lambda t: (-len(self.series[t][0]), t))[:self.max_tracks]
        figure = plot_tracks({t: (np.array(self.series[t][0]), np.array(self.series[t][1]))
                              for t in sorted(tracks)}, self.class_names)
        with atomic_path(self.path) as tmp:
            figure.savefig(tmp, format='png', dpi=100)

    def discard(self):
        pass
