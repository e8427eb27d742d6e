"""WIDER FACE evaluation: the official easy / medium / hard protocol, on the images of a data set.

Ground truth comes from the official files in ``ground_truth_dir``: ``wider_face_val.mat`` holds
the boxes, ``wider_<setting>_val.mat`` the faces each setting counts. Only the images of the data
set are scored (a subset of the val split scores its own images only). As in the official
evaluation: scores are min-max normalised over all detections; in each image the detections, in
score order, each match the ground-truth box of highest IoU (pixel-inclusive, as the official
``bbox_overlaps``) if it reaches ``iou_threshold``; a detection that matches a face the setting
does not count is ignored (neither hit nor false alarm); a face counts as found once; precision
and recall at 1,000 score thresholds; AP is the area under the precision envelope.
"""
import os

import numpy as np
from ppdet.metrics import Metric
from ppdet.utils.logger import setup_logger

from ..boxes import iou_matrix
from ..errors import DataError
from ..io import write_json
from ..registry import register

logger = setup_logger(__name__)

SETTINGS = ('easy', 'medium', 'hard')
NO_DETECTIONS = np.zeros((0, 5), dtype=np.float64)


def image_key(path):
    """``<event>/<image name without extension>``, the official files' way to name an image."""
    event = os.path.basename(os.path.dirname(path))
    return event + '/' + os.path.splitext(os.path.basename(path))[0]


def read_mat(path, fields):
    """The named fields of an official ``.mat`` file; DataError naming a missing or bad file."""
    from scipy.io import loadmat
    if not os.path.isfile(path):
        raise DataError('WIDER FACE ground-truth file {!r} does not exist (set WiderFaceAP.'
                        'ground_truth_dir, relative to EvalDataset.dataset_dir)'.format(path))
    try:
        mat = loadmat(path)
    except Exception as e:  # scipy raises several kinds for a file that is not a .mat
        raise DataError('WIDER FACE ground-truth file {!r} cannot be read: {}'.format(
            path, e)) from None
    missing = [f for f in fields if f not in mat]
    if missing:
        raise DataError('WIDER FACE ground-truth file {!r} lacks {}'.format(
            path, ', '.join(missing)))
    return mat


def read_images(path, field, keys):
    """``{key: array}`` of a per-image cell array (``face_bbx_list``, ``gt_list``) of an official
    file, for the images ``keys``; DataError if the file lacks one of them."""
    mat = read_mat(path, ('event_list', 'file_list', field))
    items = {}
    columns = (mat['event_list'][:, 0], mat['file_list'][:, 0], mat[field][:, 0])
    for event, files, values in zip(*columns):
        for name, value in zip(files[:, 0], values[:, 0]):
            items[str(event[0]) + '/' + str(name[0])] = value
    missing = [k for k in keys if k not in items]
    if missing:
        raise DataError('{} image(s) of the data set are not in {!r}, e.g. {}'.format(
            len(missing), path, ', '.join(missing[:3])))
    return items


def load_ground_truth(gt_dir, keys):
    """``{key: (boxes x1 y1 x2 y2, {setting: bool mask of the faces it counts})}`` for ``keys``."""
    path = lambda name: os.path.join(gt_dir, name + '.mat')
    boxes = read_images(path('wider_face_val'), 'face_bbx_list', keys)
    keeps = {s: read_images(path('wider_{}_val'.format(s)), 'gt_list', keys) for s in SETTINGS}
    ground_truth = {}
    for key in keys:
        xywh = np.asarray(boxes[key], dtype=np.float64).reshape(-1, 4)
        masks = {s: np.zeros(len(xywh), dtype=bool) for s in SETTINGS}
        for setting, mask in masks.items():
            mask[np.asarray(keeps[setting][key], dtype=np.int64).reshape(-1) - 1] = True
        ground_truth[key] = (np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1), masks)
    return ground_truth


def match_image(iou, keep, iou_threshold):
    """Detections (rows of ``iou``, score order) against faces (columns).

    Returns (faces found by the first k+1 detections, whether detection k counts as a proposal).
    """
    best = iou.argmax(1)
    hit = iou[np.arange(len(iou)), best] >= iou_threshold
    counted = ~(hit & ~keep[best])
    hits = np.flatnonzero(hit & keep[best])
    first = hits[np.unique(best[hits], return_index=True)[1]]  # each face's first detection
    found = np.cumsum(np.bincount(first, minlength=len(iou)))
    return found, counted


def average_precision(recall, precision):
    """Area under the precision envelope (all points, as the official ``voc_ap``)."""
    r = np.concatenate([[0.], recall, [1.]])
    p = np.concatenate([[0.], precision, [0.]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    i = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[i + 1] - r[i]) * p[i + 1]))


def evaluate(detections, ground_truth, iou_threshold=0.5, num_thresholds=1000):
    """AP per setting of ``{key: (N, 5) x1 y1 x2 y2 score}`` against ``load_ground_truth``'s."""
    scores = np.concatenate([d[:, 4] for d in detections.values()] + [np.zeros(0)])
    lo, span = (scores.min(), np.ptp(scores)) if len(scores) else (0., 0.)
    thresholds = 1 - np.arange(1, num_thresholds + 1) / num_thresholds
    proposals = {s: np.zeros(num_thresholds) for s in SETTINGS}
    found = {s: np.zeros(num_thresholds) for s in SETTINGS}
    for key, (gt, keeps) in ground_truth.items():
        dets = detections.get(key, NO_DETECTIONS)
        if not len(gt) or not len(dets):
            continue
        dets = dets[np.argsort(-dets[:, 4], kind='stable')]
        score = (dets[:, 4] - lo) / span if span > 0 else np.ones(len(dets))
        num = np.searchsorted(-score, -thresholds, side='right')  # detections above each threshold
        at, last = num > 0, num[num > 0] - 1
        iou = iou_matrix(dets[:, :4], gt, plus_one=True)
        for setting in SETTINGS:
            image_found, counted = match_image(iou, keeps[setting], iou_threshold)
            proposals[setting][at] += np.cumsum(counted)[last]
            found[setting][at] += image_found[last]
    results = {}
    for setting in SETTINGS:
        faces = int(sum(keeps[setting].sum() for _, keeps in ground_truth.values()))
        precision = np.divide(found[setting], proposals[setting], out=np.zeros(num_thresholds),
                              where=proposals[setting] > 0)
        results['ap_' + setting] = average_precision(found[setting] / max(faces, 1), precision)
        results['faces_' + setting] = faces
    results['images'] = len(ground_truth)
    return results


@register
class WiderFaceAP(Metric):
    """Easy / medium / hard AP of a face detector on a WIDER-format data set (see the module).

    ``ap_medium`` ranks checkpoints: the expression stage needs faces large enough to read, which
    medium counts; hard adds mostly tiny or heavily occluded faces, easy too few to rank by.

    Args:
        ground_truth_dir (str): folder of the official ``.mat`` files, relative to the data set's
            ``dataset_dir`` (or absolute).
        iou_threshold (float): IoU for a detection to find a face.
        num_thresholds (int): score thresholds of the PR curve.
        dataset: the evaluated ``WIDERFaceDataSet`` (given by the trainer).
        output_eval (str): folder for ``eval_results.json``; None: not written.
        scales (list): scales the detector ran at, recorded in the results (given by the trainer).
    """

    primary_key = 'ap_medium'

    def __init__(self, ground_truth_dir: str = 'WIDER_val/ground_truth', iou_threshold: float = 0.5,
                 num_thresholds: int = 1000, dataset=None, output_eval=None, scales=(1.0,)):
        if dataset.roidbs is None:
            dataset.parse_dataset()
        self.keys = {int(r['im_id'][0]): image_key(r['im_file']) for r in dataset.roidbs}
        gt_dir = os.path.join(dataset.dataset_dir, ground_truth_dir)
        self.ground_truth = load_ground_truth(gt_dir, sorted(set(self.keys.values())))
        self.iou_threshold = iou_threshold
        self.num_thresholds = num_thresholds
        self.output_eval = output_eval
        self.scales = [float(s) for s in scales]
        self.reset()

    @classmethod
    def from_config(cls, cfg, dataset=None, output_eval=None, scales=(1.0,)):
        return {'dataset': dataset, 'output_eval': output_eval, 'scales': scales}

    def reset(self):
        self.detections = {}
        self.results = {}

    def update(self, inputs, outputs):
        bbox = np.asarray(outputs['bbox']).reshape(-1, 6)
        counts = np.asarray(outputs['bbox_num']).reshape(-1)
        ids = np.asarray(inputs['im_id']).reshape(-1)
        for im_id, rows in zip(ids, np.split(bbox, np.cumsum(counts)[:-1])):
            rows = rows[rows[:, 0] >= 0]  # ppdet's placeholder row for "no box" has class -1
            self.detections[self.keys[int(im_id)]] = rows[:, [2, 3, 4, 5, 1]].astype(np.float64)

    def accumulate(self):
        self.results = evaluate(self.detections, self.ground_truth, self.iou_threshold,
                                self.num_thresholds)
        self.results['scales'] = self.scales
        if self.output_eval:
            write_json(os.path.join(self.output_eval, 'eval_results.json'), self.results)

    def log(self):
        r = self.results
        logger.info('WIDER FACE AP (scales {}): easy {:.4f}, medium {:.4f}, hard {:.4f} '
                    '({} images; {} / {} / {} faces)'.format(
                        r['scales'], r['ap_easy'], r['ap_medium'], r['ap_hard'], r['images'],
                        r['faces_easy'], r['faces_medium'], r['faces_hard']))

    def get_results(self):
        return self.results
