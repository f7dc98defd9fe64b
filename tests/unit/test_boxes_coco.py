"""The shared box matching and mAP against pycocotools' COCOeval, on hand-made and seeded random boxes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pxwidgets.functions.boxes import match_boxes, match_row, mean_average_precision, parse_boxes
from tests.support.boxes import coco, random_images


def ours(images: list[tuple[dict, dict]]) -> dict[str, Any]:
    return mean_average_precision([match_row(det, gt) for det, gt in images])


HAND_MADE = [
    (  # one hit, one duplicate of it (a false positive), a missed box
        {'bboxes': [[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60]], 'labels': ['a', 'a', 'b'],
         'scores': [0.9, 0.8, 0.3]},
        {'bboxes': [[0, 0, 10, 10], [100, 100, 120, 130]], 'labels': ['a', 'b']},
    ),
    (  # right place, wrong class; a loose box (IoU 0.6: a hit at 0.5 .. 0.6 only)
        {'bboxes': [[0, 0, 20, 20], [30, 30, 40, 40]], 'labels': ['a', 'b'], 'scores': [0.7, 0.95]},
        {'bboxes': [[0, 0, 20, 20], [30, 30, 40, 46.6666667]], 'labels': ['b', 'b']},
    ),
    ({'bboxes': [], 'labels': [], 'scores': []}, {'bboxes': [[5, 5, 9, 9]], 'labels': ['a']}),
    ({'bboxes': [[5, 5, 9, 9]], 'labels': ['c'], 'scores': [0.5]}, {'bboxes': [], 'labels': []}),
]  # fmt: skip


def test_hand_made_boxes_equal_pycocotools() -> None:
    mine, theirs = ours(HAND_MADE), coco(HAND_MADE)
    assert mine['map'] == pytest.approx(theirs['map'], abs=1e-12)
    assert mine['map50'] == pytest.approx(theirs['map50'], abs=1e-12)
    assert (mine['tp'], mine['fp'], mine['tp'] + mine['fn']) == (theirs['tp'], theirs['fp'], theirs['truth'])
    assert (mine['tp'], mine['fp'], mine['fn']) == (2, 4, 3)
    assert 0 < mine['map'] < mine['map50'] < 1  # the loose box counts at 0.5, not at 0.9


@pytest.mark.parametrize('seed', range(8))
def test_random_boxes_equal_pycocotools(seed: int) -> None:
    images = random_images(seed, 40)
    mine, theirs = ours(images), coco(images)
    assert mine['map'] == pytest.approx(theirs['map'], abs=1e-12)
    assert mine['map50'] == pytest.approx(theirs['map50'], abs=1e-12)
    assert (mine['tp'], mine['fp'], mine['tp'] + mine['fn']) == (theirs['tp'], theirs['fp'], theirs['truth'])


def test_more_than_a_hundred_detections_keep_the_best_hundred() -> None:
    rng = np.random.default_rng(3)
    gt = {'bboxes': [[float(i), 0.0, i + 10.0, 10.0] for i in range(0, 1200, 12)], 'labels': ['a'] * 100}
    boxes = [[float(i) + rng.uniform(-1, 1), 0.0, i + 10.0, 10.0] for i in range(0, 1800, 12)]
    det = {'bboxes': boxes, 'labels': ['a'] * len(boxes), 'scores': rng.uniform(0, 1, len(boxes)).tolist()}
    mine, theirs = ours([(det, gt)]), coco([(det, gt)])
    assert len(boxes) > 100 and mine['tp'] + mine['fp'] == 100
    assert mine['map'] == pytest.approx(theirs['map'], abs=1e-12)
    assert (mine['tp'], mine['fp']) == (theirs['tp'], theirs['fp'])


def test_match_boxes_is_the_same_matching() -> None:
    images = random_images(11, 30)
    for det, gt in images:
        row = match_row(det, gt)
        assert match_boxes(det['bboxes'], gt['bboxes'], 0.5, det['labels'], gt['labels'], det['scores']) == (
            row['tp'],
            row['fp'],
            row['fn'],
        )


@pytest.mark.parametrize(
    ('value', 'message'),
    [
        ('not json', 'not an object'),
        ({'bboxes': [[0, 0, 1, 1]], 'labels': []}, '1 boxes but 0 labels'),
        ({'bboxes': [[0, 0, 1]], 'labels': ['a'], 'scores': [1]}, 'not [x1, y1, x2, y2]'),
        ({'bboxes': [[5, 0, 1, 1]], 'labels': ['a'], 'scores': [1]}, 'x2 < x1'),
        ({'bboxes': [[0, 0, 1, 1]], 'labels': ['a']}, 'one score per box'),
        ({'bboxes': [[0, 0, 120, 10]], 'labels': ['a'], 'scores': [0.5]}, 'outside the 100x100 image'),
    ],
)
def test_bad_rows_are_errors(value: Any, message: str) -> None:
    row = match_row(value, {'bboxes': [], 'labels': []}, width=100, height=100)
    assert message in row['error'] and row['tp'] is None
    assert mean_average_precision([row])['map'] is None


def test_ground_truth_needs_no_scores() -> None:
    assert parse_boxes({'bboxes': [], 'labels': []}, 'truth', scores=False) == ([], [], [])
