"""Faces followed across a stream's frames with one of ppdet's own trackers, and each track's
expression probabilities smoothed over time.

The tracker sees only the frames the detector ran on; in between (``--detect_every`` N > 1) each
face is carried forward at its last velocity (``FaceTracker.coast``). Track ids are numbered 1, 2,
... in order of first appearance, whichever tracker runs.
"""
from collections import deque

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..boxes import iou_matrix
from ..errors import ConfigError

TRACKERS = ('ocsort', 'bytetrack', 'botsort')
DEFAULT_TRACKER = 'ocsort'
MATCH_IOU = 0.5  # a tracker's box is the detection it follows when they overlap this much
ASSOCIATION_IOU = 0.2  # a track takes a detection overlapping its predicted box this much


def ppdet_tracker(name, fps, lost_seconds=1.0):
    """One of ppdet's trackers set for faces the cascade already thresholded: every detection
    may start a track at once; a lost track is kept ``lost_seconds`` of frames."""
    from ppdet.modeling.mot.tracker import BOTSORTTracker, JDETracker, OCSORTTracker
    frames = max(1, int(round(fps * lost_seconds)))
    if name == 'ocsort':
        return OCSORTTracker(det_thresh=0.0, max_age=frames, min_hits=0,
                             iou_threshold=ASSOCIATION_IOU)
    if name == 'bytetrack':
        tracker = JDETracker(use_byte=True, conf_thres=0.0, low_conf_thres=0.0,
                             match_thres=1 - ASSOCIATION_IOU, track_buffer=frames)
        tracker.max_time_lost = frames
        return tracker
    if name == 'botsort':
        return BOTSORTTracker(track_high_thresh=0.0, track_low_thresh=0.0, new_track_thresh=0.0,
                              match_thresh=1 - ASSOCIATION_IOU, track_buffer=frames, frame_rate=30)
    raise ConfigError('--tracker: expected one of {} or none, got {!r}'.format(
        ', '.join(TRACKERS), name))


def tracked_boxes(name, output):
    """A ppdet tracker's output -> (its track ids, boxes N x 4)."""
    if name == 'ocsort':
        return output[:, 5].astype(int).tolist(), output[:, :4]
    tracks = output[0] if name == 'bytetrack' else output
    return [t.track_id for t in tracks], np.array([t.tlbr for t in tracks]).reshape(-1, 4)


class FaceTracker(object):
    """Gives each face of a frame a ``track`` id (``update``), and moves the tracks seen on the
    last detected frame forward on frames the detector skips (``coast``)."""

    def __init__(self, name, fps):
        self.name = name
        self.tracker = ppdet_tracker(name, fps)
        self.ids = {}  # the tracker's id -> ours
        self.last = {}  # our id -> (frame index, box, velocity per frame)
        self.last_frame = None

    def update(self, faces, index):
        """Set ``face['track']`` on ``faces`` (detected on frame ``index``)."""
        dets = np.array([[0.0, f['score']] + f['bbox'] for f in faces], np.float32).reshape(-1, 6)
        track_ids, boxes = tracked_boxes(self.name, self.tracker.update(dets))
        for face in faces:
            face['track'] = None
        if len(faces) and len(track_ids):
            iou = iou_matrix(dets[:, 2:], boxes)
            for i, j in zip(*linear_sum_assignment(-iou)):
                if iou[i, j] >= MATCH_IOU:
                    faces[i]['track'] = self.ids.setdefault(track_ids[j], len(self.ids) + 1)
        for face in faces:
            if face['track'] is not None:
                self.remember(face['track'], np.array(face['bbox'], np.float32), index)
        self.last_frame = index

    def remember(self, track, box, index):
        velocity = np.zeros(4, np.float32)
        if track in self.last:
            before, old, _ = self.last[track]
            velocity = (box - old) / max(index - before, 1)
        self.last[track] = (index, box, velocity)

    def coast(self, index):
        """{track: box} on frame ``index`` for the tracks of the last detected frame."""
        return {track: box + velocity * (index - seen)
                for track, (seen, box, velocity) in self.last.items() if seen == self.last_frame}


class Smoother(object):
    """Per track, the expression probabilities smoothed over the frames classified: ``ema``, an
    exponential moving average giving the newest frame weight ``value``; ``window``, the mean of
    the last ``value`` frames; ``none``, the raw values."""

    def __init__(self, method='ema', value=0.3):
        if method == 'ema' and not 0 < value <= 1:
            raise ConfigError('--smooth ema:A: expected 0 < A <= 1, got {}'.format(value))
        if method == 'window' and (value < 1 or value != int(value)):
            raise ConfigError('--smooth window:N: expected a whole N >= 1, got {}'.format(value))
        self.method, self.value = method, value
        self.state = {}

    @classmethod
    def parse(cls, text):
        """``ema:0.3``, ``window:5`` or ``none``."""
        method, _, value = text.partition(':')
        if method == 'none' and not value:
            return cls('none', 1.0)
        try:
            number = float(value)
        except ValueError:
            number = None
        if method in ('ema', 'window') and number is not None:
            return cls(method, number)
        raise ConfigError('--smooth: expected ema:ALPHA, window:FRAMES or none, got {!r}'.format(text))

    def __call__(self, track, probs):
        probs = np.asarray(probs, np.float64)
        if track is None or self.method == 'none':
            return probs
        if self.method == 'ema':
            previous = self.state.get(track)
            self.state[track] = probs if previous is None else (
                self.value * probs + (1 - self.value) * previous)
            return self.state[track]
        window = self.state.setdefault(track, deque(maxlen=int(self.value)))
        window.append(probs)
        return np.mean(window, axis=0)
