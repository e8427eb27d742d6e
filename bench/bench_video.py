"""Benchmark the video flow on a synthetic 640x480 clip of 3 moving faces (two cross, one enters
a third of the way in; ``ppdet_emotion/data/synthetic_video.py``).

    python bench/bench_video.py [-c configs/emotion/default.yml] [--frames 300]
        [--dygraph_frames 100] [--memory_frames 3000] [--threads 2]

Prints three tables:
1. trackers: each of ppdet's trackers on the exported cascade's detections of every frame (and
   of every 3rd frame, tracks carried in between): the share of true face-frames covered by a
   box, distinct ids per true face, id switches, ms per tracker update;
2. speed: frames/s of the whole flow (decode, cascade, tracking, smoothing, drawing, the
   labelled video, CSV and JSON lines), dygraph and exported, with and without tracking and
   frame skipping;
3. memory: the process's resident memory at frame 1 and at frame ``--memory_frames`` (exported,
   tracking every frame).
"""
import argparse
import copy
import os
import tempfile
import time


TRACKER_SKIPS = (1, 3)
DROP_RATES = (0.0, 0.3)  # share of detections removed at random: misses the tracker must bridge
MEMORY_AT = (0, 299, 999)  # frame indices (and the last): resident memory is read there
TABLES = ('preprocess', 'trackers', 'speed', 'memory')


def rss_mb():
    """Resident memory of this process (MB), from /proc."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return float('nan')


def repeated(paths, period, frames):
    """``paths`` (of a ``period``-frame clip) again every ``period`` frames, up to ``frames``."""
    return [dict(p, first=p['first'] + start, last=p['last'] + start)
            for start in range(0, frames, period) for p in paths]


def preprocess_rows(transforms, frames):
    """Median ms to turn each RGB frame into the detector's batch: through a PNG round trip (the
    flow before, as ppdet's Decode wants bytes) and directly (``Preprocess``)."""
    import cv2
    import numpy as np
    from ppdet.data.reader import Compose
    from ppdet_emotion.data.preprocess import Preprocess
    from timing import median_ms
    compose, direct = Compose(transforms), Preprocess(transforms)

    def round_trip(rgb):
        png = cv2.imencode('.png', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
        return compose({'image': png, 'im_id': np.array([0])})
    return [(name, rgb.shape, median_ms(lambda: round_trip(rgb), 20), median_ms(lambda: direct(rgb), 20))
            for name, rgb in frames]


def cascade_labeller(args, exported, tmp):
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_detector
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.inference.models import dygraph_labeller, exported_labeller
    cfg = load_cfg(args.config, args.opt)
    model, _ = build_inference_model(cfg)
    transforms = cfg['TestReader']['sample_transforms']
    if not exported:
        return dygraph_labeller(model, transforms)
    prefix = os.path.join(tmp, 'model')
    names = export_detector(model, prefix)
    meta = {'output_names': names, 'sample_transforms': transforms, 'class_names': model.class_names}
    return exported_labeller(Predictor(prefix, onednn=True, threads=args.threads), meta)


def match_tracks(faces_per_frame, truth):
    """Per true face, the track of the box covering it (IoU > 0.5) on each frame it shows."""
    import numpy as np
    from ppdet_emotion.boxes import iou_matrix
    seen = {}
    for faces, boxes in zip(faces_per_frame, truth):
        got = np.array([f['bbox'] for f in faces], np.float32).reshape(-1, 4)
        for face, box in boxes:
            iou = iou_matrix(np.array([box], np.float32), got)[0]
            hit = int(iou.argmax()) if len(iou) and iou.max() > 0.5 else None
            seen.setdefault(face, []).append(faces[hit].get('track') if hit is not None else None)
    return seen


def tracking_quality(seen):
    """(covered share, distinct ids per true face, id switches)."""
    covered = sum(t is not None for ts in seen.values() for t in ts) / sum(map(len, seen.values()))
    ids = [len({t for t in ts if t is not None}) for ts in seen.values()]
    switches = 0
    for ts in seen.values():
        known = [t for t in ts if t is not None]
        switches += sum(a != b for a, b in zip(known, known[1:]))
    return covered, sum(ids) / len(ids), switches


def drop(detections, rate, seed=0):
    """``detections`` with each face removed with probability ``rate``."""
    import numpy as np
    rng = np.random.default_rng(seed)
    return [[f for f in faces if rng.random() >= rate] for faces in detections]


def tracker_rows(detections, truth, fps):
    """Per drop rate, tracker and detection step: (covered, ids per face, switches, ms)."""
    from ppdet_emotion.inference.tracking import TRACKERS, FaceTracker
    rows = []
    for rate, name, every in ((r, n, e) for r in DROP_RATES for n in TRACKERS for e in TRACKER_SKIPS):
        tracker, per_frame, times = FaceTracker(name, fps), [], []
        for index, faces in enumerate(drop(detections, rate)):
            if index % every:
                per_frame.append([{'bbox': list(b), 'track': t}
                                  for t, b in tracker.coast(index).items()])
                continue
            faces = copy.deepcopy(faces)
            tic = time.perf_counter()
            tracker.update(faces, index)
            times.append(time.perf_counter() - tic)
            per_frame.append(faces)
        covered, ids, switches = tracking_quality(match_tracks(per_frame, truth))
        rows.append((rate, name, every, covered, ids, switches, 1000 * sum(times) / len(times)))
    return rows


def flow_fps(labeller, clip, frames, tracker_name, every, out):
    """Frames/s of the whole flow over the first ``frames`` frames, and RSS at frames 1 and last."""
    from ppdet_emotion.classes import FER2013_CLASSES
    from ppdet_emotion.inference.flow import StreamLabeller, label_stream
    from ppdet_emotion.inference.sinks import FaceTable, JsonLines, VideoFile
    from ppdet_emotion.inference.sources import video_source
    from ppdet_emotion.inference.tracking import FaceTracker, Smoother

    class Limited(object):
        """The first ``frames`` frames of the clip; resident memory at frame 1 and the last."""

        def __init__(self, source):
            self.source, self.name, self.total = source, source.name, frames
            self.memory = []

        def __iter__(self):
            for frame in self.source:
                if frame.index >= frames:
                    break
                if frame.index in MEMORY_AT or frame.index == frames - 1:
                    self.memory.append((frame.index + 1, rss_mb()))
                yield frame

        def close(self):
            self.source.close()

    source = Limited(video_source(clip))
    tracker = FaceTracker(tracker_name, source.source.fps) if tracker_name != 'none' else None
    stream = StreamLabeller(labeller, tracker, Smoother.parse('ema:0.3'), every)
    sinks = [VideoFile(os.path.join(out, 'clip.mp4'), source.source.fps, source.source.size),
             FaceTable(os.path.join(out, 'clip.csv'), FER2013_CLASSES, stream=True),
             JsonLines(os.path.join(out, 'clip.jsonl'))]
    tic = time.perf_counter()
    summary = label_stream(source, stream, sinks, progress=Quiet())
    return summary.done / (time.perf_counter() - tic), source.memory


class Quiet(object):
    def step(self):
        pass

    def close(self):
        pass


def print_preprocess(args, clip):
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.inference.sources import read_rgb, video_source
    frames = [('a clip frame', next(iter(video_source(clip))).rgb)]
    if args.photo:
        frames.append((os.path.basename(args.photo), read_rgb(args.photo)))
    print('## Preprocessing one frame for the detector (median ms)\n')
    print('| frame | size | PNG round trip (before) | direct (now) |')
    print('|---|---|---|---|')
    transforms = load_cfg(args.config, args.opt)['TestReader']['sample_transforms']
    for name, shape, before, now in preprocess_rows(transforms, frames):
        print('| {} | {}x{} | {:.1f} | {:.1f} |'.format(name, shape[1], shape[0], before, now))


def print_trackers(args, clip, truth, exported):
    from ppdet_emotion.inference.sources import video_source
    source = video_source(clip)
    detections = [exported(frame.rgb)[0] for frame, _ in zip(source, range(args.frames))]
    print('\n## Trackers: {} frames of the synthetic clip, the exported cascade\'s faces\n'.format(
        args.frames))
    print('| detections dropped | tracker | detector on every | true face-frames covered | '
          'ids per true face | id switches | ms / update |')
    print('|---|---|---|---|---|---|---|')
    for rate, name, every, covered, ids, switches, ms in tracker_rows(
            detections, truth[:args.frames], source.fps):
        print('| {:.0%} | {} | {} frame(s) | {:.1%} | {:.2f} | {} | {:.2f} |'.format(
            rate, name, every, covered, ids, switches, ms))


def print_speed(args, clip, exported, dygraph, tmp):
    print('\n## Speed: the whole flow on the 640x480 clip, {} threads\n'.format(args.threads))
    print('| model | tracker | detector on every | frames | frames/s |')
    print('|---|---|---|---|---|')
    for label, labeller, frames in (('exported, oneDNN', exported, args.frames),
                                    ('dygraph', dygraph, args.dygraph_frames)):
        for tracker, every in (('none', 1), ('ocsort', 1), ('ocsort', 3)):
            rate, _ = flow_fps(labeller, clip, frames, tracker, every, tempfile.mkdtemp(dir=tmp))
            print('| {} | {} | {} frame(s) | {} | {:.1f} |'.format(label, tracker, every, frames, rate))


def print_memory(args, exported, tmp):
    from ppdet_emotion.data.synthetic_video import three_faces, write_clip
    long_clip = os.path.join(tmp, 'long.mp4')
    write_clip(long_clip, args.memory_frames, 25.0,
               paths=repeated(three_faces(args.frames), args.frames, args.memory_frames))
    rate, memory = flow_fps(exported, long_clip, args.memory_frames, 'ocsort', 1,
                            tempfile.mkdtemp(dir=tmp))
    print('\n## Memory: exported, OC-SORT on every frame, {} frames ({:.1f} frames/s)\n'.format(
        args.memory_frames, rate))
    print('| ' + ' | '.join('frame {}'.format(n) for n, _ in memory) + ' |')
    print('|' + '---|' * len(memory))
    print('| ' + ' | '.join('{:.0f} MB'.format(mb) for _, mb in memory) + ' |')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', default='default')
    parser.add_argument('-o', '--opt', nargs='*', default=[])
    parser.add_argument('--frames', type=int, default=300, help='frames of the exported runs')
    parser.add_argument('--dygraph_frames', type=int, default=100, help='frames of the dygraph runs')
    parser.add_argument('--memory_frames', type=int, default=3000, help='frames of the memory run')
    parser.add_argument('--photo', help='a photo to time the preprocessing on as well')
    parser.add_argument('--tables', default=','.join(TABLES), help='which tables: ' + ','.join(TABLES))
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads (default: OMP_NUM_THREADS if set, else every usable core)')
    args = parser.parse_args()
    tables = args.tables.split(',')
    if args.threads:
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
    import ppdet_emotion  # noqa: F401  (first: it sets the import order and OMP_NUM_THREADS)
    args.threads = int(os.environ['OMP_NUM_THREADS'])
    from ppdet_emotion.data.synthetic_video import three_faces, write_clip

    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, 'clip.mp4')
        truth = write_clip(clip, max(args.frames, args.dygraph_frames), 25.0,
                           paths=three_faces(args.frames))
        exported = cascade_labeller(args, True, tmp)
        if 'preprocess' in tables:
            print_preprocess(args, clip)
        if 'trackers' in tables:
            print_trackers(args, clip, truth, exported)
        if 'speed' in tables:
            print_speed(args, clip, exported, cascade_labeller(args, False, tmp), tmp)
        if 'memory' in tables:
            print_memory(args, exported, tmp)


if __name__ == '__main__':
    main()
