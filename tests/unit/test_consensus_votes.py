"""Votes and box consensus as plain functions, against hand-computed cases and against ensemble-boxes directly."""

from __future__ import annotations

import numpy as np
import pytest
from ensemble_boxes import weighted_boxes_fusion

from pxwidgets.functions.consensus import (
    confidence_of,
    fuse,
    iou_matrix,
    label_of,
    majority,
    match_boxes,
    normalize_text,
    weighted,
)

MODELS = ['a', 'b', 'c', 'd']


def test_majority_picks_the_most_frequent_label() -> None:
    r = majority(['3', '3', '5', '3'], MODELS)
    assert r['label'] == '3' and r['tie'] is False and r['tied'] == []
    assert r['agreement'] == 0.75
    assert r['dissent'] == ['c']
    assert r['scores'] == {'3': 3.0, '5': 1.0}


def test_a_tie_is_reported_never_broken() -> None:
    r = majority(['3', '5', '5', '3'], MODELS)
    assert r['label'] is None and r['tie'] is True
    assert r['tied'] == ['3', '5']
    assert r['agreement'] == 0.5
    assert r['dissent'] == MODELS  # on a tie nobody agrees with a consensus label


def test_missing_labels_do_not_vote_and_are_named() -> None:
    r = majority(['3', None, '5', '5'], MODELS)
    assert r['label'] == '5' and r['missing'] == ['b'] and r['n_valid'] == 3
    assert r['agreement'] == pytest.approx(2 / 3)
    nothing = majority([None, None], ['a', 'b'])
    assert nothing['label'] is None and nothing['tie'] is False and nothing['agreement'] is None


def test_weighted_vote_can_overrule_the_majority() -> None:
    labels = ['1', '2', '2']
    assert majority(labels, ['a', 'b', 'c'])['label'] == '2'
    r = weighted(labels, ['a', 'b', 'c'], [0.9, 0.3, 0.4])
    assert r['label'] == '1'
    assert r['scores'] == pytest.approx({'1': 0.9, '2': 0.7})
    assert r['dissent'] == ['b', 'c']


def test_weighted_tie_and_missing_weights() -> None:
    r = weighted(['1', '2'], ['a', 'b'], [0.5, 0.5])
    assert r['tie'] and r['tied'] == ['1', '2'] and r['label'] is None
    r = weighted(['1', '2'], ['a', 'b'], [None, 0.1])
    assert r['label'] == '2'


def test_labels_and_confidences_from_outputs() -> None:
    assert label_of(7) == '7' and label_of(7.0) == '7' and label_of(True) == 'true'
    assert label_of({'class': 'cat'}) == 'cat' and label_of({'nothing': 1}) is None
    assert label_of('  The Cat! ', normalize=True) == 'the cat'
    assert confidence_of({'label': 1, 'score': 0.25}) == 0.25
    assert confidence_of({'label': 1, 'probs': [0.1, 0.7, 0.2]}) == 0.7
    assert confidence_of({'label': 1, 'confidence': float('nan')}) is None
    assert normalize_text('Hello,   WORLD') == 'hello world'


def test_iou_and_greedy_matching_by_hand() -> None:
    assert iou_matrix([[0, 0, 10, 10]], [[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]]).tolist() == [
        [1.0, pytest.approx(1 / 3), 0.0]
    ]
    # two predictions compete for one reference: the better one matches, the other is a false positive
    assert match_boxes([[0, 0, 10, 10], [1, 1, 10, 10]], [[1, 1, 10, 10]], 0.5) == (1, 1, 0)
    assert match_boxes([], [[0, 0, 1, 1]], 0.5) == (0, 0, 1)
    # labels must agree
    assert match_boxes([[0, 0, 10, 10]], [[0, 0, 10, 10]], 0.5, ['cat'], ['dog']) == (0, 1, 1)


def test_fusion_equals_ensemble_boxes_when_every_box_is_kept() -> None:
    w, h = 200.0, 100.0
    dets = [
        {'bboxes': [[10, 10, 50, 50], [100, 20, 150, 80]], 'labels': ['face', 'face'], 'scores': [0.9, 0.6]},
        {'bboxes': [[12, 8, 52, 50]], 'labels': ['face'], 'scores': [0.8]},
        {'bboxes': [[102, 22, 148, 78], [160, 0, 190, 30]], 'labels': ['face', 'face'], 'scores': [0.7, 0.3]},
    ]
    ours = fuse(dets, ['a', 'b', 'c'], w, h, min_votes=1, iou_threshold=0.55)
    norm = [[[b[0] / w, b[1] / h, b[2] / w, b[3] / h] for b in d['bboxes']] for d in dets]
    boxes, scores, _ = weighted_boxes_fusion(
        norm, [d['scores'] for d in dets], [[0] * len(d['bboxes']) for d in dets], iou_thr=0.55, skip_box_thr=0.0
    )
    expected = sorted((np.asarray(boxes) * [w, h, w, h]).round(3).tolist())
    assert sorted(np.asarray(ours['bboxes']).round(3).tolist()) == expected
    assert sorted(np.round(ours['scores'], 5)) == sorted(np.round(scores, 5))


def test_box_consensus_keeps_boxes_found_by_k_models_and_names_dissent() -> None:
    dets = [
        {'bboxes': [[10, 10, 50, 50], [100, 20, 150, 80]], 'labels': ['face', 'face'], 'scores': [0.9, 0.6]},
        {'bboxes': [[12, 8, 52, 50]], 'labels': ['face'], 'scores': [0.8]},
        {'bboxes': [[11, 10, 50, 49], [160, 0, 190, 30]], 'labels': ['face', 'face'], 'scores': [0.7, 0.3]},
        None,  # a detector that failed on this image
    ]
    r = fuse(dets, ['a', 'b', 'c', 'd'], 200, 100, min_votes=2)
    assert r['votes'] == [3]  # only the box three models found is kept
    assert sorted(r['all_votes']) == [1, 1, 3]
    assert r['per_model'] == {
        'a': {'tp': 1, 'fp': 1, 'fn': 0},
        'b': {'tp': 1, 'fp': 0, 'fn': 0},
        'c': {'tp': 1, 'fp': 1, 'fn': 0},
    }
    assert r['dissent'] == ['a', 'c'] and r['missing'] == ['d']
    assert r['agreement'] == pytest.approx(1 / 3)
    x1, y1, x2, y2 = r['bboxes'][0]
    assert 10 <= x1 <= 12 and 8 <= y1 <= 10 and 49 <= y2 <= 50 and 50 <= x2 <= 52
    empty = fuse([{'bboxes': [], 'labels': [], 'scores': []}] * 2, ['a', 'b'], 10, 10)
    assert empty['bboxes'] == [] and empty['agreement'] == 1.0
