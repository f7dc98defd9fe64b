"""The shared box matching and mAP against pycocotools' COCOeval, on hand-made and seeded random boxes."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pxwidgets.functions.boxes import match_boxes, match_row, mean_average_precision, parse_boxes


def coco(images: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """pycocotools on ``[(detections, truth)]`` per image: stats and the IoU-0.5 matches of every detection."""
    labels = sorted({str(lab) for det, gt in images for lab in [*det['labels'], *gt['labels']]})
    cat = {lab: i + 1 for i, lab in enumerate(labels)}
    gts, dts = [], []
    for img, (det, gt) in enumerate(images, start=1):
        for box, lab in zip(gt['bboxes'], gt['labels'], strict=True):
            w, h = box[2] - box[0], box[3] - box[1]
            gts.append({'id': len(gts) + 1, 'image_id': img, 'category_id': cat[str(lab)],
                        'bbox': [box[0], box[1], w, h], 'area': w * h, 'iscrowd': 0})  # fmt: skip
        for box, lab, score in zip(det['bboxes'], det['labels'], det['scores'], strict=True):
            dts.append({'image_id': img, 'category_id': cat[str(lab)], 'score': score,
                        'bbox': [box[0], box[1], box[2] - box[0], box[3] - box[1]]})  # fmt: skip
    ground = COCO()
    ground.dataset = {'images': [{'id': i + 1} for i in range(len(images))], 'annotations': gts,
                      'categories': [{'id': v, 'name': k} for k, v in cat.items()]}  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        ground.createIndex()
        results = ground.loadRes(dts) if dts else COCO()
        ev = COCOeval(ground, results, 'bbox')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    tp = fp = 0
    for e in ev.evalImgs:
        if e is None or e['aRng'] != [0, 1e10] or e['maxDet'] != 100:
            continue
        tp += int((e['dtMatches'][0] > 0).sum())
        fp += int((e['dtMatches'][0] == 0).sum())
    return {'map': float(ev.stats[0]), 'map50': float(ev.stats[1]), 'tp': tp, 'fp': fp, 'truth': len(gts)}


def random_images(seed: int, n: int, classes: int = 3, size: float = 200.0) -> list[tuple[dict, dict]]:
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        xy = rng.uniform(0, size * 0.7, (k, 2))
        wh = rng.uniform(5, size * 0.3, (k, 2))
        gt_boxes = np.hstack([xy, xy + wh])
        gt_labels = [int(c) for c in rng.integers(0, classes, k)]
        det_boxes, det_labels, det_scores = [], [], []
        for box, lab in zip(gt_boxes, gt_labels, strict=True):
            if rng.random() < 0.8:  # found, jittered, sometimes with the wrong class
                jitter = rng.normal(0, 0.08, 4) * np.array([box[2] - box[0], box[3] - box[1]] * 2)
                det_boxes.append(np.clip(box + jitter, 0, size).tolist())
                det_labels.append(lab if rng.random() < 0.9 else int(rng.integers(0, classes)))
                det_scores.append(float(rng.uniform(0.3, 1.0)))
        for _ in range(int(rng.integers(0, 3))):  # false positives
            xy1 = rng.uniform(0, size * 0.7, 2)
            det_boxes.append([*xy1.tolist(), *(xy1 + rng.uniform(5, size * 0.3, 2)).tolist()])
            det_labels.append(int(rng.integers(0, classes)))
            det_scores.append(float(rng.uniform(0.0, 0.8)))
        images.append(
            (
                {'bboxes': det_boxes, 'labels': det_labels, 'scores': det_scores},
                {'bboxes': gt_boxes.tolist(), 'labels': gt_labels},
            )
        )
    return images


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
