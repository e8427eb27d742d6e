"""The labelling loops: photos one by one, streams frame by frame. Each item's results go to the
sinks as soon as they exist; nothing is kept per frame.

On a stream, the detector runs on every ``detect_every``-th frame and the tracker gives each face
an id; each track's probabilities are smoothed, and its label is the smoothed top class. A face
on a frame the detector skipped is its track carried forward (``detected`` false, no raw
probabilities).
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List

import numpy as np
from PIL import Image

from ..errors import DataError
from ..progress import Progress
from ..visualize import draw_faces
from .sources import Skipped

EXIT_SKIPPED, EXIT_INTERRUPTED = 1, 130


@dataclass
class Summary:
    """What a run did: items labelled, faces, items skipped (name, reason), interrupted."""
    unit: str
    done: int = 0
    faces: int = 0
    skipped: List[Skipped] = field(default_factory=list)
    interrupted: bool = False

    def line(self):
        text = 'done: {} {}(s), {} face(s)'.format(self.done, self.unit, self.faces)
        if self.skipped:
            text += '; skipped {}: {}'.format(len(self.skipped),
                                              ', '.join(s.name for s in self.skipped))
        return text + ('; stopped early' if self.interrupted else '')

    def exit_status(self, stops_by_hand=False):
        """0, ``EXIT_SKIPPED`` if anything was skipped, ``EXIT_INTERRUPTED`` if a stream that ends
        by itself was stopped; a run that labelled nothing is an error."""
        if not self.done and self.skipped:
            raise DataError('nothing could be read: {}'.format(self.skipped[0].reason))
        if self.interrupted and not stops_by_hand:
            return EXIT_INTERRUPTED
        return EXIT_SKIPPED if self.skipped else 0


def labelled_picture(rgb, faces, draw_landmarks):
    return np.asarray(draw_faces(Image.fromarray(rgb), faces, draw_landmarks))


@contextmanager
def finalised(sinks):
    """Close every sink after the block; if it fails, discard them (no half-written file)."""
    try:
        yield
    except BaseException:
        for sink in sinks:
            sink.discard()
        raise
    for sink in sinks:
        sink.close()


def describe(name, faces, over_cap):
    """The lines printed for a labelled photo."""
    lines = ['{}: {} face(s)'.format(name, len(faces))]
    if over_cap:
        lines.append('  note: {} more face(s) found but not labelled: EmotionPostProcess.max_faces '
                     'caps the faces per photo'.format(over_cap))
    for face in faces:
        lines.append('  [{}] {} {:.2f} (face score {:.2f})'.format(
            ', '.join('{:.0f}'.format(v) for v in face['bbox']), face.get('expression', 'face'),
            face.get('expression_score', face['score']), face['score']))
    return lines


def label_photos(source, labeller, sinks, given_boxes=None, draw_landmarks=False, echo=print):
    """Label each photo of ``source`` (with ``given_boxes`` {path: N x 4}: classify those faces
    instead of detecting); a photo that cannot be read or labelled is reported and skipped."""
    summary = Summary('photo')
    with finalised(sinks):
        for n, item in enumerate(source, 1):
            counter = '[{}/{}] '.format(n, source.total)
            try:
                if isinstance(item, Skipped):
                    raise DataError(item.reason)
                if given_boxes is not None:
                    faces = labeller.label_boxes(item.rgb, given_boxes[item.name], item.name)
                    over_cap = 0
                else:
                    faces, over_cap = labeller(item.rgb)
            except DataError as e:
                summary.skipped.append(Skipped(item.name, str(e)))
                echo(counter + 'skipped: {}'.format(e))
                continue
            picture = labelled_picture(item.rgb, faces, draw_landmarks)
            for sink in sinks:
                sink.write(item, faces, picture, over_cap)
            summary.done += 1
            summary.faces += len(faces)
            lines = describe(item.name, faces, over_cap)
            echo('\n'.join([counter + lines[0]] + lines[1:]))
    return summary


class StreamLabeller(object):
    """Per frame of a stream: detect (every ``detect_every``-th frame) or carry the tracks, then
    track ids, smoothed probabilities and labels."""

    def __init__(self, labeller, tracker=None, smoother=None, detect_every=1):
        self.labeller, self.tracker, self.smoother = labeller, tracker, smoother
        self.detect_every = detect_every
        self.last_faces = {}  # track -> its face on the last detected frame

    def __call__(self, frame):
        """(faces, faces over the cascade's cap) of ``frame``."""
        if frame.index % self.detect_every:
            return self.carried(frame.index), 0
        faces, over_cap = self.labeller(frame.rgb)
        if self.tracker is not None:
            self.tracker.update(faces, frame.index)
        for face in faces:
            face['detected'] = True
            if 'probabilities' in face and self.smoother is not None:
                names = self.labeller.class_names
                smoothed = self.smoother(face.get('track'), [face['probabilities'][n] for n in names])
                face['smoothed_probabilities'] = {n: round(float(p), 4) for n, p in zip(names, smoothed)}
                face['expression'] = names[int(np.argmax(smoothed))]
                face['expression_score'] = round(float(np.max(smoothed)), 4)
        self.last_faces = {f['track']: f for f in faces if f.get('track') is not None}
        return faces, over_cap

    def carried(self, index):
        faces = []
        for track, box in self.tracker.coast(index).items():
            face = {k: v for k, v in self.last_faces[track].items()
                    if k not in ('probabilities', 'landmarks')}
            face.update(bbox=[round(float(v), 1) for v in box], detected=False)
            faces.append(face)
        return faces


def label_stream(source, stream_labeller, sinks, draw_landmarks=False, window=None,
                 progress=None):
    """Label every frame of ``source``; Ctrl-C (or ``q`` in ``window``) stops it, and the files
    written so far are finalised either way."""
    summary = Summary('frame')
    progress = progress or Progress(source.total, source.name, 'frames')
    with finalised(sinks):
        try:
            for frame in source:
                faces, over_cap = stream_labeller(frame)
                picture = labelled_picture(frame.rgb, faces, draw_landmarks)
                for sink in sinks:
                    sink.write(frame, faces, picture, over_cap)
                summary.done += 1
                summary.faces += len(faces)
                progress.step()
                if window is not None and window.stopped:
                    summary.interrupted = True
                    break
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            source.close()
            progress.close()
    return summary

