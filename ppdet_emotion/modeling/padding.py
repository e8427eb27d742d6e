"""The row of class -1 that ends detector and cascade outputs here: no detection, but it keeps
every tensor non-empty (an exported model's oneDNN kernels fail on empty ones). It is counted
with the last image of the batch."""
import paddle
import paddle.nn.functional as F

NO_DETECTION = [-1.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # class, score, x1, y1, x2, y2


def no_detection_row(dtype='float32'):
    return paddle.to_tensor([NO_DETECTION], dtype=dtype)


def count_in_last_image(counts):
    """Per-image ``counts`` with one more in the last image (the padding row)."""
    num_images = counts.shape[0]
    last = F.one_hot(paddle.full([1], num_images - 1, 'int64'), num_images).reshape([-1])
    return counts + last.astype(counts.dtype)
