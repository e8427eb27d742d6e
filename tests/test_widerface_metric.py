"""WIDER FACE AP on known answers, with small synthetic WIDER-format data made here.

``make_wider_split`` writes images with drawn faces, a ``bbx_gt`` txt and the official ``.mat``
files (``scipy.io.savemat``, the official structure); ``tests/test_face_stage.py`` uses it too.
"""
import os

import cv2
import numpy as np
import paddle
import pytest
from scipy.io import savemat

from ppdet.data.source.widerface import WIDERFaceDataSet
from ppdet_emotion.boxes import iou_matrix
from ppdet_emotion.errors import DataError
from ppdet_emotion.metrics.widerface import (WiderFaceAP, average_precision, evaluate,
                                             load_ground_truth)
from ppdet_emotion.modeling.image_pyramid import MultiScaleDetector, vote_boxes

EVENTS = ('1--Alpha', '2--Beta')
# The faces a setting counts, by side length: easy the big ones, hard all (as in WIDER FACE,
# each setting holds the one before).
MIN_SIDE = {'easy': 40, 'medium': 20, 'hard': 0}
UNLISTED = '2_Beta_not_in_the_data_set'


def draw_face(image, x, y, side, rng):
    """A skin-coloured oval with two eyes and a mouth in the box (x, y, side, side)."""
    cx, cy, r = x + side / 2, y + side / 2, side / 2
    cv2.ellipse(image, (int(cx), int(cy)), (int(r * 0.8), int(r)), 0, 0, 360,
                tuple(int(c) for c in rng.integers(150, 230, 3)), -1)
    for dx in (-0.35, 0.35):
        cv2.circle(image, (int(cx + dx * r), int(cy - 0.25 * r)), max(1, int(r * 0.12)),
                   (30, 30, 30), -1)
    mouth_y = int(cy + 0.45 * r)
    cv2.line(image, (int(cx - 0.3 * r), mouth_y), (int(cx + 0.3 * r), mouth_y), (40, 20, 90),
             max(1, int(r * 0.1)))


def random_faces(rng, size, sides):
    """Non-overlapping square boxes (x, y, side) of the given sides inside a size x size image."""
    boxes = []
    for side in sides:
        for _ in range(100):
            x, y = rng.integers(0, size - side, 2)
            if all(x + side <= bx or bx + bs <= x or y + side <= by or by + bs <= y
                   for bx, by, bs in boxes):
                boxes.append((int(x), int(y), int(side)))
                break
    return boxes


def make_wider_split(root, split='val', images_per_event=3, size=128, seed=0):
    """A WIDER-format split under ``root``; returns ``{image name: [[x, y, w, h], ...]}``."""
    rng = np.random.default_rng(seed)
    faces = {}
    for event in EVENTS:
        folder = os.path.join(root, 'WIDER_{}'.format(split), 'images', event)
        os.makedirs(folder, exist_ok=True)
        for i in range(images_per_event):
            name = '{}/{}_{}.jpg'.format(event, event.split('--')[1], i)
            image = (rng.normal(90, 25, (size, size, 3)).clip(0, 255)).astype(np.uint8)
            sides = sorted(rng.choice([48, 44, 28, 24, 12], 3), reverse=True)
            boxes = random_faces(rng, size, sides)
            for x, y, side in boxes:
                draw_face(image, x, y, side, rng)
            cv2.imwrite(os.path.join(root, 'WIDER_{}'.format(split), 'images', name), image)
            faces[name] = [[x, y, side, side] for x, y, side in boxes]
    split_dir = os.path.join(root, 'wider_face_split')
    os.makedirs(split_dir, exist_ok=True)
    with open(os.path.join(split_dir, 'wider_face_{}_bbx_gt.txt'.format(split)), 'w') as f:
        for name, boxes in faces.items():
            f.write('{}\n{}\n'.format(name, len(boxes)))
            f.writelines('{} {} {} {} 0 0 0 0 0 0 \n'.format(*b) for b in boxes)
    if split == 'val':
        write_ground_truth_mats(os.path.join(root, 'WIDER_val', 'ground_truth'), faces)
    return faces


def cell(items):
    """A MATLAB cell column (n x 1 object array) of ``items``."""
    out = np.empty((len(items), 1), dtype=object)
    for i, item in enumerate(items):
        out[i, 0] = item
    return out


def write_ground_truth_mats(folder, faces):
    """The official files for ``faces`` plus one image the data set does not list."""
    os.makedirs(folder, exist_ok=True)
    faces = dict(faces, **{EVENTS[1] + '/' + UNLISTED + '.jpg': [[5, 5, 50, 50]]})
    events = {e: [n for n in faces if n.startswith(e + '/')] for e in EVENTS}
    stem = lambda n: os.path.splitext(os.path.basename(n))[0]
    names = lambda e: cell([np.array([stem(n)]) for n in events[e]])
    boxes = lambda e: cell([np.array(faces[n], dtype=np.int32).reshape(-1, 4) for n in events[e]])
    base = {'event_list': cell([np.array([e]) for e in EVENTS]),
            'file_list': cell([names(e) for e in EVENTS]),
            'face_bbx_list': cell([boxes(e) for e in EVENTS])}
    savemat(os.path.join(folder, 'wider_face_val.mat'), base)
    for setting, min_side in MIN_SIDE.items():
        keep = lambda n: np.array([[i + 1] for i, b in enumerate(faces[n])
                                   if min(b[2:]) >= min_side], dtype=np.uint8).reshape(-1, 1)
        gt_list = cell([cell([keep(n) for n in events[e]]) for e in EVENTS])
        savemat(os.path.join(folder, 'wider_{}_val.mat'.format(setting)),
                dict(base, gt_list=gt_list))


def wider_dataset(root, split='val'):
    return WIDERFaceDataSet(dataset_dir=root, image_dir='WIDER_{}/images'.format(split),
                            anno_path='wider_face_split/wider_face_{}_bbx_gt.txt'.format(split))


@pytest.fixture(scope='module')
def wider(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('wider'))
    faces = make_wider_split(root)
    dataset = wider_dataset(root)
    dataset.parse_dataset()
    return root, faces, dataset


def gt_detections(faces, score=1.0):
    """The ground truth as detections: ``{key: (N, 5) x1 y1 x2 y2 score}``."""
    rows = lambda boxes: [[x, y, x + w, y + h, score] for x, y, w, h in boxes]
    return {os.path.splitext(name)[0]: np.array(rows(boxes), dtype=np.float64).reshape(-1, 5)
            for name, boxes in faces.items()}


def ground_truth(root, faces):
    return load_ground_truth(os.path.join(root, 'WIDER_val', 'ground_truth'),
                             [os.path.splitext(n)[0] for n in faces])


def aps(results):
    return np.array([results['ap_' + s] for s in ('easy', 'medium', 'hard')])


def test_ground_truth_files_read_back(wider):
    root, faces, _ = wider
    gt = ground_truth(root, faces)
    assert len(gt) == len(faces)  # the unlisted image of the .mat files is not scored
    key = os.path.splitext(next(iter(faces)))[0]
    boxes, keeps = gt[key]
    x, y, w, h = faces[key + '.jpg'][0]
    assert boxes[0].tolist() == [x, y, x + w, y + h]
    assert keeps['hard'].all() and keeps['easy'].sum() <= keeps['medium'].sum() <= len(boxes)


def test_ground_truth_as_detections_scores_one(wider):
    root, faces, _ = wider
    results = evaluate(gt_detections(faces), ground_truth(root, faces))
    assert aps(results).tolist() == [1.0, 1.0, 1.0]
    hard = sum(len(b) for b in faces.values())
    assert results['faces_hard'] == hard and results['images'] == len(faces)
    assert 0 < results['faces_easy'] < results['faces_medium'] < hard


def test_faces_a_setting_ignores_are_no_false_alarms(wider):
    """Top-scored detections on faces easy ignores leave easy AP at 1; hard counts them."""
    root, faces, _ = wider
    dets = gt_detections(faces)
    for boxes in dets.values():
        small = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) < MIN_SIDE['easy']
        boxes[:, 4] = np.where(small, 1.0, 0.5)
    gt = ground_truth(root, faces)
    assert evaluate(dets, gt)['ap_easy'] == 1.0
    without_small = {k: d[d[:, 4] < 1.0] for k, d in dets.items()}
    assert evaluate(without_small, gt)['ap_easy'] == 1.0
    assert evaluate(without_small, gt)['ap_hard'] < 1.0


def test_dropped_faces_cap_ap_at_the_recall(wider):
    root, faces, _ = wider
    dets = gt_detections(faces)
    key = next(iter(dets))
    dets[key] = dets[key][1:]  # one face of the hard setting missed, precision stays 1
    results = evaluate(dets, ground_truth(root, faces))
    hard = results['faces_hard']
    assert results['ap_hard'] == pytest.approx((hard - 1) / hard)


def test_hand_computed_precision_recall():
    """One image, two faces; detections FP 0.9, TP 0.8, TP 0.7: envelope precision 2/3."""
    gt = {'e/a': (np.array([[0., 0., 20., 20.], [50., 50., 70., 70.]]),
                  {s: np.array([True, True]) for s in ('easy', 'medium', 'hard')})}
    dets = {'e/a': np.array([[100, 100, 120, 120, 0.9], [0, 0, 20, 20, 0.8],
                             [50, 50, 70, 70, 0.7]])}
    assert aps(evaluate(dets, gt)) == pytest.approx([2 / 3] * 3)
    dets['e/a'][0, 4] = 0.6  # the false alarm now ranks last
    assert aps(evaluate(dets, gt)).tolist() == [1.0] * 3


def test_degraded_detections_score_lower_in_order(wider):
    root, faces, _ = wider
    gt = ground_truth(root, faces)
    rng = np.random.default_rng(1)
    perfect = gt_detections(faces)

    shifts = {k: rng.uniform(-1, 1, (len(d), 2)) for k, d in perfect.items()}

    def jittered(fraction):  # each box moved by the same random direction, up to fraction x side
        out = {}
        for key, d in perfect.items():
            move = np.tile(shifts[key] * fraction * (d[:, 2:3] - d[:, :1]), 2)
            out[key] = np.concatenate([d[:, :4] + move, d[:, 4:]], 1)
        return out

    def dropped(every):
        return {k: d[np.arange(len(d)) % every != 0] for k, d in perfect.items()}

    def with_false_alarms(order):
        out = {}
        for key, d in perfect.items():
            fakes = np.array([[100., 0., 126., 26., 0.], [0., 100., 20., 120., 0.]])
            both = np.concatenate([d, fakes])
            both[:, 4] = {'below': np.r_[np.linspace(1, 0.6, len(d)), [0.2, 0.1]],
                          'shuffled': rng.permutation(len(both)) / len(both) + 0.01,
                          'above': np.r_[np.linspace(0.6, 0.2, len(d)), [1.0, 0.9]]}[order]
            out[key] = both
        return out

    ap = lambda dets: evaluate(dets, gt)['ap_hard']
    assert ap(perfect) == 1.0
    assert ap(jittered(0.05)) == 1.0  # IoU stays above 0.5
    assert ap(jittered(0.6)) < ap(jittered(0.3)) < 1.0
    assert ap(dropped(2)) < ap(dropped(3)) < 1.0
    assert ap(with_false_alarms('below')) == 1.0
    assert ap(with_false_alarms('above')) < ap(with_false_alarms('shuffled')) < 1.0


def test_iou_is_pixel_inclusive_and_ap_is_the_envelope_area():
    a, b = np.array([[0., 0., 9., 9.]]), np.array([[0., 0., 9., 4.]])
    assert iou_matrix(a, b, plus_one=True)[0, 0] == 0.5
    assert iou_matrix(a, b)[0, 0] == 36 / 81
    assert average_precision(np.array([0.5, 1.0]), np.array([1.0, 0.5])) == 0.75


def test_vote_boxes_merges_overlaps_by_score_weight():
    dets = np.array([[0, 0, 10, 10, 0.9], [2, 0, 12, 10, 0.3], [50, 50, 60, 60, 0.5]], np.float32)
    merged = vote_boxes(dets)
    assert len(merged) == 2
    assert merged[0].tolist() == pytest.approx([0.5, 0, 10.5, 10, 0.9])
    assert merged[1].tolist() == pytest.approx([50, 50, 60, 60, 0.5])


def test_metric_takes_ppdet_outputs_and_writes_json(wider, tmp_path):
    root, faces, dataset = wider
    metric = WiderFaceAP(dataset=dataset, output_eval=str(tmp_path))
    for record in dataset.roidbs:
        key = os.path.relpath(record['im_file'], os.path.join(root, 'WIDER_val', 'images'))
        rows = [[0, 0.9, x, y, x + w, y + h] for x, y, w, h in faces[key]] + [[-1, 0, 0, 0, 0, 0]]
        metric.update({'im_id': record['im_id'].reshape(1, 1)},
                      {'bbox': np.array(rows), 'bbox_num': np.array([len(rows)])})
    metric.accumulate()
    results = metric.get_results()
    assert aps(results).tolist() == [1.0] * 3 and results['scales'] == [1.0]
    assert os.path.isfile(tmp_path / 'eval_results.json')
    assert all(type(results[k]) is float for k in ('ap_easy', 'ap_medium', 'ap_hard'))


def test_ground_truth_problems_are_named(wider, tmp_path):
    root, _, dataset = wider
    with pytest.raises(DataError, match='wider_face_val.mat.* does not exist'):
        WiderFaceAP(ground_truth_dir=str(tmp_path), dataset=dataset)
    with pytest.raises(DataError, match='not in .*wider_face_val.mat.*, e.g. 1--Alpha/Alpha_9'):
        load_ground_truth(os.path.join(root, 'WIDER_val', 'ground_truth'), ['1--Alpha/Alpha_9'])


class FixedFace(paddle.nn.Layer):
    """A stand-in detector that finds one face at input pixels (40, 20, 80, 60), reported in
    original pixels through ``scale_factor`` as ppdet's detectors do."""

    def forward(self, inputs):
        sy, sx = inputs['scale_factor'].numpy()[0]
        box = np.array([40, 20, 80, 60]) * inputs['image'].shape[3] / 128 / [sx, sy, sx, sy]
        return {'bbox': paddle.to_tensor([[0, 0.9] + box.tolist()], dtype='float32'),
                'bbox_num': paddle.to_tensor([1], dtype='int32')}


def test_multi_scale_views_keep_the_reader_s_scale_factor():
    """The reader resized the photo by 0.5: every view's boxes come back in original pixels."""
    inputs = {'image': paddle.zeros([1, 3, 96, 128]), 'im_shape': paddle.to_tensor([[96.0, 128.0]]),
              'scale_factor': paddle.to_tensor([[0.5, 0.5]])}
    out = MultiScaleDetector(FixedFace(), [0.5, 1.0, 2.0])(inputs)
    np.testing.assert_allclose(out['bbox'].numpy()[:, 2:], [[80, 40, 160, 120]], atol=1e-3)
