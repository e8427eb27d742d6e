"""SSD prior boxes from plain tensor ops: the boxes of Paddle's ``prior_box`` op (same order,
same values), in a form paddle2onnx converts (it has no converter for ``prior_box``)."""
import math

import paddle


def expand_aspect_ratios(ratios, flip):
    """1, then each ratio not yet listed (and its inverse with ``flip``), as the op expands them."""
    expanded = [1.0]
    for ratio in ratios:
        if all(abs(ratio - r) >= 1e-6 for r in expanded):
            expanded.append(ratio)
            if flip:
                expanded.append(1.0 / ratio)
    return expanded


def prior_sizes(min_sizes, max_sizes, ratios, flip, min_max_aspect_ratios_order):
    """(width, height) of the priors at one place, in the op's order."""
    ratios = expand_aspect_ratios(ratios, flip)
    sizes = []
    for i, size in enumerate(min_sizes):
        shaped = [(size * math.sqrt(r), size / math.sqrt(r)) for r in ratios]
        largest = [(math.sqrt(size * max_sizes[i]),) * 2] if max_sizes else []
        if min_max_aspect_ratios_order:
            sizes += [(size, size)] + largest + [s for s, r in zip(shaped, ratios)
                                                 if abs(r - 1.0) >= 1e-6]
        else:
            sizes += shaped + largest
    return sizes


def prior_boxes(feature, image, sizes, step, offset=0.5, clip=False):
    """Priors (H*W*P x 4: x1, y1, x2, y2 over the image size) of a feature map (N x C x H x W)
    for an image (N x 3 x IH x IW): ``sizes`` (P (width, height) pairs, ``prior_sizes``) centred
    on each cell, ``step`` pixels apart (0: the image size over the feature size)."""
    feature_shape, image_shape = paddle.shape(feature), paddle.shape(image)
    height, width = feature_shape[2], feature_shape[3]
    image_h, image_w = image_shape[2].astype('float32'), image_shape[3].astype('float32')
    step_x = step if step else image_w / width.astype('float32')
    step_y = step if step else image_h / height.astype('float32')
    cx = ((paddle.arange(width).astype('float32') + offset) * step_x).reshape([1, -1, 1])
    cy = ((paddle.arange(height).astype('float32') + offset) * step_y).reshape([-1, 1, 1])
    half = paddle.to_tensor(sizes, dtype='float32') / 2
    half_w, half_h = half[:, 0].reshape([1, 1, -1]), half[:, 1].reshape([1, 1, -1])
    x1, x2 = (cx - half_w) / image_w, (cx + half_w) / image_w  # 1 x W x P
    y1, y2 = (cy - half_h) / image_h, (cy + half_h) / image_h  # H x 1 x P
    grid = paddle.zeros_like(x1) + paddle.zeros_like(y1)  # H x W x P
    boxes = paddle.stack([x1 + grid, y1 + grid, x2 + grid, y2 + grid], axis=-1)
    if clip:
        boxes = boxes.clip(0.0, 1.0)
    return boxes.reshape([-1, 4])
