"""Numpy detections of dygraph-only face detectors (image pyramids, test-time augmentation)
turned into ppdet's outputs."""
import numpy as np
import paddle

from ..padding import NO_DETECTION


def to_original(boxes, keypoints, im_shape, scale_factor):
    """Boxes (M x 4) and keypoints (M x K x 2) of one image from input to original pixels,
    boxes clipped to the image."""
    scale = scale_factor[::-1]  # (x, y)
    size = im_shape[::-1] / scale
    boxes = (boxes.reshape(-1, 2, 2) / scale).clip(0, size).reshape(-1, 4)
    return boxes, keypoints / scale


def pack(results, num_keypoints):
    """``[(boxes M x 4, scores M, keypoints M x K x 2)]`` per image -> ``bbox`` (class 0, score,
    box), ``bbox_num`` and ``keypoints``, ending with the padding row (``..padding``)."""
    rows = [np.concatenate([np.zeros((len(s), 1)), s[:, None], b], 1) for b, s, _ in results]
    rows.append(np.array([NO_DETECTION]))
    counts = np.array([len(s) for _, s, _ in results], 'int32')
    counts[-1] += 1
    points = [k.reshape(-1, num_keypoints, 2) for _, _, k in results]
    points.append(np.zeros((1, num_keypoints, 2)))
    return {'bbox': paddle.to_tensor(np.concatenate(rows).astype('float32')),
            'bbox_num': paddle.to_tensor(counts),
            'keypoints': paddle.to_tensor(np.concatenate(points).astype('float32'))}
