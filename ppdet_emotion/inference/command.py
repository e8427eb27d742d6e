"""What tools/infer.py and tools/predict_exported.py share: the inference flags -> a source, the
sinks, a labelling run and its summary."""
import os

from ..errors import ConfigError
from .flow import StreamLabeller, label_photos, label_stream
from .given_boxes import read_boxes
from .sinks import (FaceTable, JsonLines, LiveWindow, PhotoFiles, TimelinePlot, VideoFile,
                    has_display, output_path)
from .sources import PhotoSource, camera_source, photo_paths, video_source
from .tracking import FaceTracker, Smoother

STREAM_FLAGS = ('video_file', 'camera_id')
PHOTO_FLAGS = ('infer_img', 'infer_dir', 'infer_list')


def check_inputs(args):
    """Exactly one input: a photo, a folder, a list (under a folder), a video or a camera."""
    given = [f for f in PHOTO_FLAGS + STREAM_FLAGS if getattr(args, f) is not None]
    if args.infer_list and args.infer_dir:
        given.remove('infer_dir')
    if len(given) != 1:
        raise ConfigError('expected one input: --{}{}'.format(
            ', --'.join(PHOTO_FLAGS + STREAM_FLAGS), ' (got --{})'.format(
                ' and --'.join(given)) if given else ''))
    if args.detect_every < 1:
        raise ConfigError('--detect_every: expected 1 or more, got {}'.format(args.detect_every))
    return given[0] in STREAM_FLAGS


def label_photos_from_args(args, labeller):
    paths = photo_paths(args.infer_img, args.infer_dir, args.infer_list)
    given = read_boxes(args.boxes, paths) if args.boxes else None
    sinks = [PhotoFiles(args.output_dir, args.save_results)]
    if args.save_results:
        sinks.append(FaceTable(os.path.join(args.output_dir, 'faces.csv'), labeller.class_names,
                               stream=False))
    summary = label_photos(PhotoSource(paths), labeller, sinks, given, args.draw_landmarks)
    print('{} (pictures{} in {})'.format(summary.line(), ', JSON and faces.csv'
                                         if args.save_results else '', args.output_dir))
    return summary.exit_status()


def stream_sinks(args, source, class_names):
    """The labelled video and, with ``--save_results``, the CSV, JSON lines and plot."""
    stem = os.path.splitext(os.path.basename(source.name))[0]
    path = lambda suffix: output_path(source.name, args.output_dir, stem + suffix)  # noqa: E731
    paths = [path('.mp4')]
    if args.save_results:
        paths += [path('.csv'), path('.jsonl')] + ([path('_expressions.png')] if class_names else [])
    sinks = [VideoFile(paths[0], source.fps, source.size)]
    if args.save_results:
        sinks += [FaceTable(paths[1], class_names, stream=True), JsonLines(paths[2])]
        if class_names:
            sinks.append(TimelinePlot(paths[3], class_names))
    return sinks, paths


def label_stream_from_args(args, labeller):
    if args.boxes:
        raise ConfigError('--boxes gives faces per photo: use it with --infer_img, --infer_dir or '
                          '--infer_list')
    if args.tracker == 'none' and args.detect_every > 1:
        raise ConfigError('--detect_every {} carries tracks between detections: it needs a '
                          '--tracker'.format(args.detect_every))
    smoother = Smoother.parse(args.smooth)
    camera = args.camera_id is not None
    source = camera_source(args.camera_id) if camera else video_source(args.video_file)
    tracker = None if args.tracker == 'none' else FaceTracker(args.tracker, source.fps)
    try:
        sinks, paths = stream_sinks(args, source, labeller.class_names)
    except Exception:
        source.close()
        raise
    window = None
    if camera and not args.no_window and has_display():
        window = LiveWindow('ppdet-emotion: {} (q to stop)'.format(source.name))
        sinks.append(window)
    stream = StreamLabeller(labeller, tracker, smoother, args.detect_every)
    summary = label_stream(source, stream, sinks, args.draw_landmarks, window)
    print('{} -> {}'.format(summary.line(), ', '.join(p for p in paths if os.path.exists(p))))
    return summary.exit_status(stops_by_hand=camera)


def label_from_args(args, labeller):
    """Run what the flags ask for with ``labeller`` (a ``models.FaceLabeller``); returns the exit
    status (0; 1 if an item was skipped; 130 if a video run was stopped)."""
    if check_inputs(args):
        return label_stream_from_args(args, labeller)
    return label_photos_from_args(args, labeller)
