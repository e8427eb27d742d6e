"""What tools/infer.py and tools/predict_exported.py share: the inference flags, and from them a
source, the sinks, a labelling run and its summary."""
import os

from ..errors import ConfigError
from .flow import StreamLabeller, label_photos, label_stream
from .given_boxes import read_boxes
from .sinks import (FaceTable, JsonLines, LiveWindow, PhotoFiles, TimelinePlot, VideoFile,
                    has_display, output_path)
from .sources import PhotoSource, camera_source, photo_paths, video_source
from .tracking import DEFAULT_TRACKER, TRACKERS, FaceTracker, Smoother

STREAM_FLAGS = ('video_file', 'camera_id')
PHOTO_FLAGS = ('infer_img', 'infer_dir', 'infer_list')


def add_infer_args(parser):
    """PaddleDetection's inference flags (photos, a folder, a list, a video, a camera in; labelled
    pictures or video, JSON and CSV out) and this project's stream options."""
    source = parser.add_argument_group('input (one of)')
    source.add_argument('--infer_img', default=None, help='an image file')
    source.add_argument('--infer_dir', default=None, help='a folder of images (with --infer_list: '
                        'the folder its relative paths are under)')
    source.add_argument('--infer_list', default=None, help='a text file with an image path per line')
    source.add_argument('--video_file', default=None, help='a video file')
    source.add_argument('--camera_id', type=int, default=None, help='a camera index (0: the first)')
    output = parser.add_argument_group('output')
    output.add_argument('--output_dir', default='output', help='where pictures, videos, JSON and '
                        'CSV go')
    output.add_argument('--save_results', action='store_true',
                        help='write the results as data: JSON per photo and faces.csv; for a '
                             'stream, a CSV and JSON lines per frame and the timeline plot')
    output.add_argument('--draw_threshold', type=float, default=None,
                        help='faces with a lower detector score are not drawn or saved (default: '
                             'a cascade\'s own face threshold; 0.5 for a detector alone)')
    output.add_argument('--draw_landmarks', action='store_true',
                        help='draw the detector\'s facial landmarks (CenterFace: eyes, nose, mouth '
                             'corners)')
    model = parser.add_argument_group('model')
    model.add_argument('--ten_crop', action='store_true',
                       help='average ten crops of each face (about ten times the classifier cost)')
    model.add_argument('--boxes', default=None,
                       help='JSON or CSV of face boxes per image: classify those faces, no detector')
    model.add_argument('--max_size', type=int, default=None,
                       help='shrink frames whose longer side is larger than this before the model '
                            '(results stay in the frame\'s pixels)')
    stream = parser.add_argument_group('video and camera')
    stream.add_argument('--tracker', default=DEFAULT_TRACKER, choices=TRACKERS + ('none',),
                        help='ppdet tracker giving each face an id across frames')
    stream.add_argument('--smooth', default='ema:0.3',
                        help='smoothing of each track\'s probabilities: ema:ALPHA (weight of the '
                             'newest frame), window:FRAMES, or none')
    stream.add_argument('--detect_every', type=int, default=1,
                        help='run the detector on every N-th frame; tracks are carried in between')
    stream.add_argument('--no_window', action='store_true',
                        help='do not show a camera run live (shown when a display exists)')
    return parser

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
    sinks = [VideoFile(path('.mp4'), source.fps, source.size)]
    if args.save_results:
        sinks += [FaceTable(path('.csv'), class_names, stream=True), JsonLines(path('.jsonl'))]
        if class_names:
            sinks.append(TimelinePlot(path('_expressions.png'), class_names))
    return sinks


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
        sinks = stream_sinks(args, source, labeller.class_names)
    except Exception:
        source.close()
        raise
    window = None
    if camera and not args.no_window and has_display():
        window = LiveWindow('ppdet-emotion: {} (q to stop)'.format(source.name))
        sinks.append(window)
    stream = StreamLabeller(labeller, tracker, smoother, args.detect_every)
    summary = label_stream(source, stream, sinks, args.draw_landmarks, window)
    written = [s.path for s in sinks if os.path.exists(getattr(s, 'path', ''))]
    print('{} -> {}'.format(summary.line(), ', '.join(written)))
    return summary.exit_status(stops_by_hand=camera)


def label_from_args(args, labeller, stream):
    """Run what the flags ask for with ``labeller`` (a ``models.FaceLabeller``); ``stream``:
    what ``check_inputs`` said. Returns the exit status (0; 1 if an item was skipped; 130 if a
    video run was stopped)."""
    if stream:
        return label_stream_from_args(args, labeller)
    return label_photos_from_args(args, labeller)
