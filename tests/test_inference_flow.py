"""The inference flow: videos (tracks, smoothing, the labelled video, CSV, JSON lines, plot),
folders that survive bad files, list files, given boxes, and the errors of bad input."""
import csv
import json
import os

import cv2
import numpy as np
import pytest
from ppdet.data.reader import Compose

from conftest import REPO, assert_clean_error, run_tool
from ppdet_emotion.boxes import iou_matrix
from ppdet_emotion.classes import FER2013_CLASSES
from ppdet_emotion.data.synthetic_video import DEMO_PHOTO, linear_path, write_clip
from ppdet_emotion.errors import ConfigError, DataError
from ppdet_emotion.inference.flow import EXIT_INTERRUPTED, StreamLabeller, label_stream
from ppdet_emotion.inference.given_boxes import read_boxes
from ppdet_emotion.data.preprocess import Preprocess
from ppdet_emotion.inference.models import FaceLabeller
from ppdet_emotion.inference.sinks import FaceTable, JsonLines, VideoFile
from ppdet_emotion.inference.sources import (Frame, camera_source, list_file_paths, photo_paths,
                                             video_source)
from ppdet_emotion.inference.tracking import FaceTracker, Smoother

DEFAULT = os.path.join(REPO, 'configs', 'emotion', 'default.yml')
FRAMES, SIZE = 24, (640, 480)
FACE = [180.0, 62.0, 271.0, 178.0]  # CenterFace's box of the face in demo/astronaut.png


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """A 24-frame 640x480 clip: one face crossing the frame, a second entering at frame 10."""
    folder = tmp_path_factory.mktemp('clip')
    paths = [linear_path((30, 40, 130), (250, 100, 140), 0, FRAMES - 1),
             linear_path((440, 300, 110), (320, 320, 120), 10, FRAMES - 1)]
    truth = write_clip(str(folder / 'clip.mp4'), FRAMES, fps=12.0, size=SIZE, paths=paths)
    return folder / 'clip.mp4', truth


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def row_box(row):
    return [float(row[k]) for k in ('x1', 'y1', 'x2', 'y2')]


def tracks_of_true_faces(rows, truth):
    """{true face: [track of its row on each frame it shows]}."""
    found = {}
    for index, boxes in enumerate(truth):
        frame_rows = [r for r in rows if int(r['frame']) == index]
        got = np.array([row_box(r) for r in frame_rows]).reshape(-1, 4)
        for face, box in boxes:
            iou = iou_matrix(np.array([box], np.float32), got)[0] if len(got) else np.zeros(0)
            best = int(iou.argmax()) if len(iou) and iou.max() > 0.5 else None
            found.setdefault(face, []).append(frame_rows[best]['track'] if best is not None else None)
    return found


def run_video(clip, out, *opts, tool='infer', model=None):
    source = ['--model_dir', str(model)] if model else ['-c', DEFAULT]
    proc = run_tool(tool, *source, '--video_file', str(clip), '--save_results', '--output_dir',
                    str(out), *opts, cwd=str(out.parent))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, read_csv(out / 'clip.csv')


@pytest.fixture(scope='module')
def labelled_clip(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp('labelled') / 'out'
    proc, rows = run_video(clip[0], out)
    return out, proc, rows


@pytest.mark.tools
def test_video_faces_keep_one_track_each(clip, labelled_clip):
    _, truth = clip
    out, proc, rows = labelled_clip
    tracks = tracks_of_true_faces(rows, truth)
    assert set(tracks) == {0, 1}
    assert len(tracks[0]) == FRAMES and len(tracks[1]) == FRAMES - 10  # the second enters late
    for face, per_frame in tracks.items():
        assert None not in per_frame, (face, per_frame)  # found on every frame it shows
        assert len(set(per_frame)) == 1, (face, per_frame)  # and keeps its id
    assert tracks[0][0] != tracks[1][0]
    # one row per face per frame, every one detected (no frame skipping)
    assert len(rows) == sum(len(boxes) for boxes in truth)
    assert all(r['detected'] == '1' for r in rows)
    assert 'ETA' in proc.stderr and 'frames/s' in proc.stderr


@pytest.mark.tools
def test_video_outputs_match_the_input_and_smoothing_calms_the_labels(clip, labelled_clip):
    out, _, rows = labelled_clip
    video = cv2.VideoCapture(str(out / 'clip.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES
    assert (int(video.get(cv2.CAP_PROP_FRAME_WIDTH)), int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))) == SIZE
    assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(12.0)
    with open(out / 'clip.jsonl') as f:
        lines = [json.loads(line) for line in f]
    assert [line['frame'] for line in lines] == list(range(FRAMES))
    assert lines[1]['time'] == pytest.approx(1 / 12.0, abs=1e-3)
    assert sum(len(line['faces']) for line in lines) == len(rows)
    face = lines[-1]['faces'][0]
    assert set(face['smoothed_probabilities']) == set(FER2013_CLASSES) == set(face['probabilities'])
    for track in {r['track'] for r in rows}:
        mine = [r for r in rows if r['track'] == track]
        raw = np.array([[float(r[n]) for n in FER2013_CLASSES] for r in mine])
        smooth = np.array([[float(r['smoothed_' + n]) for n in FER2013_CLASSES] for r in mine])
        assert np.abs(np.diff(smooth, axis=0)).sum() < np.abs(np.diff(raw, axis=0)).sum()
        assert all(r['expression'] == FER2013_CLASSES[int(s.argmax())] for r, s in zip(mine, smooth))
    plot = cv2.imread(str(out / 'clip_expressions.png'))
    assert plot is not None and plot.shape[0] > 200
    assert not [n for n in os.listdir(out) if n.startswith('.')]  # no temp file left


@pytest.mark.tools
def test_exported_cascade_labels_the_video_as_infer_does(clip, labelled_clip, exported_default,
                                                         tmp_path):
    _, _, rows = labelled_clip
    _, exported = run_video(clip[0], tmp_path / 'out', tool='predict_exported', model=exported_default)
    assert len(exported) == len(rows)
    for a, b in zip(rows, exported):
        assert (a['frame'], a['track'], a['expression']) == (b['frame'], b['track'], b['expression'])
        np.testing.assert_allclose(row_box(a), row_box(b), atol=0.5)
        for n in FER2013_CLASSES:
            assert float(a['smoothed_' + n]) == pytest.approx(float(b['smoothed_' + n]), abs=2e-3)


@pytest.mark.tools
def test_detecting_every_third_frame_carries_the_tracks(clip, tmp_path):
    _, truth = clip
    _, rows = run_video(clip[0], tmp_path / 'out', '--detect_every', '3')
    detected = {int(r['frame']) for r in rows if r['detected'] == '1'}
    assert detected == set(range(0, FRAMES, 3))
    tracks = tracks_of_true_faces(rows, truth)
    assert len(set(tracks[0])) == 1 and None not in tracks[0]  # carried boxes follow the face
    carried = [r for r in rows if r['detected'] == '0']
    assert carried and all(r['angry'] == '' and r['smoothed_angry'] != '' for r in carried)


def write_photos(folder):
    folder.mkdir()
    astronaut = cv2.imread(DEMO_PHOTO)
    cv2.imwrite(str(folder / 'a.jpg'), astronaut)
    (folder / 'b_corrupt.jpg').write_bytes(b'\xff\xd8\xff\xe0 this is not a JPEG')
    (folder / 'c_empty.png').write_bytes(b'')
    cv2.imwrite(str(folder / 'd.png'), astronaut[:, ::-1])
    return folder


@pytest.mark.tools
def test_folder_with_bad_files_labels_the_good_ones_and_exits_non_zero(tmp_path):
    photos = write_photos(tmp_path / 'in')
    proc = run_tool('infer', '-c', DEFAULT, '--infer_dir', str(photos), '--save_results',
                    '--output_dir', str(tmp_path / 'out'), cwd=str(tmp_path))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    for name in ('a.jpg', 'd.png'):
        with open(tmp_path / 'out' / (name + '.json')) as f:
            assert [face['expression'] for face in json.load(f)['faces']] == ['happy']
        assert os.path.isfile(tmp_path / 'out' / name)
    lines = proc.stdout.splitlines()
    assert any(line.startswith('[2/4] skipped:') and 'b_corrupt.jpg' in line for line in lines)
    assert any(line.startswith('[4/4]') and 'd.png: 1 face(s)' in line for line in lines)
    assert 'done: 2 photo(s), 2 face(s); skipped 2' in lines[-1]
    assert 'b_corrupt.jpg' in lines[-1] and 'c_empty.png' in lines[-1]
    table = read_csv(tmp_path / 'out' / 'faces.csv')
    assert [r['image'] for r in table] == [str(photos / 'a.jpg'), str(photos / 'd.png')]


@pytest.mark.tools
def test_given_boxes_are_classified_without_the_detector(tmp_path):
    photos = tmp_path / 'in'
    photos.mkdir()
    cv2.imwrite(str(photos / 'a.png'), cv2.imread(DEMO_PHOTO))
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text('image,x1,y1,x2,y2\na.png,{},{},{},{}\na.png,300,300,400,420\n'.format(*FACE))
    proc = run_tool('infer', '-c', DEFAULT, '--infer_dir', str(photos), '--boxes', str(boxes),
                    '--save_results', '--output_dir', str(tmp_path / 'out'), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'out' / 'a.png.json') as f:
        faces = json.load(f)['faces']
    assert [f['bbox'] for f in faces] == [FACE, [300.0, 300.0, 400.0, 420.0]]
    assert faces[0]['expression'] == 'happy' and faces[0]['score'] == 1.0
    boxes.write_text('image,x1,y1,x2,y2\nb.png,1,1,20,20\n')
    proc = run_tool('infer', '-c', DEFAULT, '--infer_dir', str(photos), '--boxes', str(boxes),
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'boxes.csv', 'line 2', "'b.png' is none of the input images")


def test_given_boxes_must_be_boxes_inside_their_image(tmp_path):
    labeller = stub_labeller([], probs=[])
    rgb = np.zeros((100, 200, 3), np.uint8)
    with pytest.raises(DataError, match=r'a.png: box 2 \[150, 10, 260, 90\] .* inside the 200x100'):
        labeller.label_boxes(rgb, [[0, 0, 50, 50], [150, 10, 260, 90]], 'a.png')
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps([{'image': 'a.png', 'faces': [{'bbox': [1, 2, 3]}]}]))
    with pytest.raises(DataError, match="image 'a.png' box 1: expected a box"):
        read_boxes(str(path), ['in/a.png'])
    path.write_text(json.dumps({'a.png': [[1, 2, 30, 40]], 'in/b.png': []}))
    got = read_boxes(str(path), ['in/a.png', 'in/b.png'])
    assert got['in/a.png'].tolist() == [[1, 2, 30, 40]] and got['in/b.png'].shape == (0, 4)


def test_bad_sources_are_one_line_errors(tmp_path):
    not_video = tmp_path / 'notes.mp4'
    not_video.write_text('not a video')
    empty = tmp_path / 'empty.mp4'
    cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*'mp4v'), 25, (64, 64)).release()
    (tmp_path / 'nothing').mkdir()
    (tmp_path / 'nothing' / 'readme.txt').write_text('no images here')
    cases = [(lambda: video_source(str(tmp_path / 'missing.mp4')), 'missing.mp4', 'does not exist'),
             (lambda: video_source(str(not_video)), 'notes.mp4', ''),
             (lambda: video_source(str(empty)), 'empty.mp4', ''),
             (lambda: camera_source(97), '--camera_id 97', ''),
             (lambda: photo_paths(infer_dir=str(tmp_path / 'nothing')), 'nothing', 'holds no images'),
             (lambda: list_file_paths(str(tmp_path / 'list.txt')), 'list.txt', 'does not exist')]
    for make, culprit, what in cases:
        with pytest.raises(DataError) as error:
            make()
        assert culprit in str(error.value) and what in str(error.value)
        assert '\n' not in str(error.value)


def test_list_file_paths_are_under_infer_dir_or_beside_the_list(tmp_path):
    listing = tmp_path / 'lists' / 'photos.txt'
    listing.parent.mkdir()
    listing.write_text('# faces\na.jpg\n\nsub/b.png\n')
    assert list_file_paths(str(listing)) == [str(listing.parent / 'a.jpg'),
                                             str(listing.parent / 'sub' / 'b.png')]
    assert list_file_paths(str(listing), '/data') == ['/data/a.jpg', '/data/sub/b.png']


@pytest.mark.tools
def test_conflicting_inputs_and_stream_options_are_clear_errors(clip, tmp_path):
    cases = [(['--infer_img', DEMO_PHOTO, '--video_file', str(clip[0])], 'expected one input'),
             (['--video_file', str(clip[0]), '--tracker', 'none', '--detect_every', '2'],
              'needs a --tracker'),
             (['--video_file', str(clip[0]), '--smooth', 'ema:2'], '--smooth ema'),
             (['--video_file', str(tmp_path / 'gone.mp4')], 'gone.mp4')]
    for flags, message in cases:
        proc = run_tool('infer', '-c', DEFAULT, '--output_dir', str(tmp_path / 'out'), *flags,
                        cwd=str(tmp_path))
        assert_clean_error(proc, message)
    assert not os.path.exists(tmp_path / 'out') or not os.listdir(tmp_path / 'out')


def test_preprocess_gives_what_decoding_a_file_gives():
    """Frames go through the TestReader's ops without a PNG round trip, to the same inputs."""
    from ppdet_emotion.engine.cli import load_cfg
    ops = load_cfg(DEFAULT)['TestReader']['sample_transforms']
    rgb = cv2.cvtColor(cv2.imread(DEMO_PHOTO), cv2.COLOR_BGR2RGB)
    with open(DEMO_PHOTO, 'rb') as f:
        decoded = Compose(ops)({'image': f.read(), 'im_id': np.array([0])})
    batch = Preprocess(ops)(rgb)
    for key in ('image', 'im_shape', 'scale_factor'):
        np.testing.assert_array_equal(batch[key][0], decoded[key])
    with pytest.raises(ConfigError, match='expected Decode as the first op'):
        Preprocess(ops[1:])


def stub_labeller(boxes, probs=None):
    """A FaceLabeller whose model returns ``boxes`` (and ``probs``) for every frame."""
    rows = np.array([[0, 0.9] + list(b) for b in boxes] + [[-1, 0, 0, 0, 0, 0]], np.float32)
    out = {'bbox': rows, 'bbox_num': np.array([len(boxes)]), 'faces_found': np.array([len(boxes)])}
    if probs is not None:
        out['emotion_probs'] = np.array(list(probs) + [[0] * 7], np.float32)
    return FaceLabeller(lambda batch: out, [{'Decode': {}}], FER2013_CLASSES if probs is not None
                        else None, classify_rows=lambda batch, rows: out)


class InterruptedSource(object):
    """``frames`` blank frames, then Ctrl-C."""
    stream, name, fps, size, total = True, 'cam.mp4', 10.0, (96, 64), None

    def __init__(self, frames):
        self.frames = frames

    def __iter__(self):
        for i in range(self.frames):
            yield Frame(np.zeros((64, 96, 3), np.uint8), self.name, i, i / self.fps)
        raise KeyboardInterrupt

    def close(self):
        pass


def test_ctrl_c_finalises_a_playable_video_and_a_complete_csv(tmp_path):
    probs = [[0.1, 0, 0, 0.6, 0.1, 0.1, 0.1]]
    stream = StreamLabeller(stub_labeller([[10, 10, 40, 50]], probs), FaceTracker('ocsort', 10.0),
                            Smoother.parse('window:3'))
    source = InterruptedSource(7)
    sinks = [VideoFile(str(tmp_path / 'cam.mp4'), source.fps, source.size),
             FaceTable(str(tmp_path / 'cam.csv'), FER2013_CLASSES, stream=True),
             JsonLines(str(tmp_path / 'cam.jsonl'))]
    summary = label_stream(source, stream, sinks)
    assert summary.interrupted and summary.done == 7
    assert summary.exit_status() == EXIT_INTERRUPTED and summary.exit_status(stops_by_hand=True) == 0
    video = cv2.VideoCapture(str(tmp_path / 'cam.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 7
    rows = read_csv(tmp_path / 'cam.csv')
    assert [r['frame'] for r in rows] == [str(i) for i in range(7)] and {r['track'] for r in rows} == {'1'}
    assert sorted(os.listdir(tmp_path)) == ['cam.csv', 'cam.jsonl', 'cam.mp4']


def test_a_failing_run_leaves_no_partial_files(tmp_path):
    def broken(batch):
        raise RuntimeError('model failed')
    labeller = FaceLabeller(broken, [{'Decode': {}}], None)
    sinks = [VideoFile(str(tmp_path / 'cam.mp4'), 10.0, (96, 64)),
             FaceTable(str(tmp_path / 'cam.csv'), None, stream=True)]
    with pytest.raises(RuntimeError):
        label_stream(InterruptedSource(3), StreamLabeller(labeller), sinks)
    assert os.listdir(tmp_path) == []


def test_smoothers_average_each_track_apart():
    ema = Smoother.parse('ema:0.5')
    assert ema(1, [1.0, 0.0]).tolist() == [1.0, 0.0]
    assert ema(1, [0.0, 1.0]).tolist() == [0.5, 0.5]
    assert ema(2, [0.0, 1.0]).tolist() == [0.0, 1.0]  # another track starts afresh
    assert ema(None, [0.2, 0.8]).tolist() == [0.2, 0.8]  # untracked: raw
    window = Smoother.parse('window:2')
    for probs in ([1.0, 0.0], [0.0, 1.0], [0.0, 1.0]):
        last = window(1, probs)
    assert last.tolist() == [0.0, 1.0]
    assert Smoother.parse('none')(1, [0.3, 0.7]).tolist() == [0.3, 0.7]
    for bad in ('ema', 'ema:0', 'window:2.5', 'median:3'):
        with pytest.raises(ConfigError, match='--smooth'):
            Smoother.parse(bad)


def test_max_size_shrinks_frames_but_reports_the_frame_s_pixels():
    seen = []
    rows = np.array([[0, 0.9, 10, 20, 30, 40], [-1, 0, 0, 0, 0, 0]], np.float32)

    def forward(batch):
        seen.append(batch['image'].shape)
        return {'bbox': rows, 'bbox_num': np.array([1])}
    labeller = FaceLabeller(forward, [{'Decode': {}}, {'Permute': {}}], None, max_size=320)
    faces, _ = labeller(np.zeros((480, 640, 3), np.uint8))
    assert seen == [(1, 3, 240, 320)]
    assert faces[0]['bbox'] == [20.0, 40.0, 60.0, 80.0]


def test_tracks_carry_between_detections_at_their_velocity():
    tracker = FaceTracker('ocsort', 25.0)
    for index, x in ((0, 10.0), (3, 25.0)):
        faces = [{'score': 0.9, 'bbox': [x, 10.0, x + 50, 70.0]}]
        tracker.update(faces, index)
        assert faces[0]['track'] == 1
    np.testing.assert_allclose(tracker.coast(5)[1], [35.0, 10.0, 85.0, 70.0])
