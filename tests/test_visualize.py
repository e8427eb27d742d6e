"""Labels on the detection picture stay readable: inside the picture, not on top of each other."""
import numpy as np
import pytest

from ppdet_emotion.boxes import iou_matrix
from ppdet_emotion.visualize import place_label

SIZE = (120, 20)  # a label's width and height in pixels
PICTURE = (640, 480)


def test_labels_of_faces_side_by_side_do_not_cover_each_other():
    boxes = [(100, 200, 180, 280), (190, 190, 270, 270), (280, 205, 360, 285)]  # closer than a label
    taken = []
    for box in boxes:
        taken.append(place_label(SIZE, box, taken, PICTURE))
    iou = iou_matrix(np.asarray(taken, float), np.asarray(taken, float))
    assert not (iou[~np.eye(len(taken), dtype=bool)] > 0).any()
    assert taken[0] == (100, 180, 220, 200)  # the first label sits right above its box


@pytest.mark.parametrize('box', [(0, 0, 60, 60), (600, 10, 640, 70), (10, 440, 90, 480)])
def test_labels_at_the_borders_stay_inside_the_picture(box):
    x1, y1, x2, y2 = place_label(SIZE, box, [], PICTURE)
    assert 0 <= x1 and x2 <= PICTURE[0] and 0 <= y1 and y2 <= PICTURE[1]
