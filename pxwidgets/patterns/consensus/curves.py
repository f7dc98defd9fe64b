"""Detections: a precision–recall curve per model over score thresholds, and each model's best (F1-optimal) threshold.

Predictions are matched to the ground-truth boxes as COCO's evaluation does (``pycocotools.cocoeval``): per image,
predictions in descending score order each take the unmatched ground-truth box of the same label with the highest IoU
at or above the threshold. Over all images, predictions sorted by score give, at each score threshold, the true and
false positives kept — precision and recall — and the threshold with the best F1.

Example:
    >>> curves = pr_curves(t, state, 0.5)  # doctest: +SKIP
    >>> best_thresholds(curves)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pixeltable as pxt

from pxwidgets.functions.boxes import detection_parts, iou_matrix
from pxwidgets.patterns.consensus.catalog import ConsensusState
from pxwidgets.patterns.consensus.errors import NoGroundTruthError, NotEnoughModelsError

CURVE_COLUMNS = ['threshold', 'precision', 'recall', 'f1', 'tp', 'fp']


def match_detections(
    boxes: Sequence[Sequence[float]],
    labels: Sequence[Any],
    scores: Sequence[float],
    truth_boxes: Sequence[Sequence[float]],
    truth_labels: Sequence[Any],
    iou_threshold: float,
) -> list[bool]:
    """Whether each prediction is a true positive, matched COCO's way (see the module). Returns one flag per
    prediction, in the predictions' order.

    Example:
        >>> match_detections([[0, 0, 10, 10], [0, 0, 9, 10]], ['a', 'a'], [0.5, 0.9], [[0, 0, 10, 10]], ['a'], 0.5)
        [False, True]
    """
    flags = [False] * len(boxes)
    if not len(boxes) or not len(truth_boxes):
        return flags
    iou = iou_matrix(boxes, truth_boxes)
    used: set[int] = set()
    for d in np.argsort(-np.asarray(scores, dtype=float), kind='mergesort'):
        best, match = min(iou_threshold, 1 - 1e-10), -1
        for g in range(len(truth_boxes)):
            if g in used or str(truth_labels[g]) != str(labels[d]) or iou[d, g] < best:
                continue
            best, match = float(iou[d, g]), g
        if match >= 0:
            used.add(match)
            flags[int(d)] = True
    return flags


def curve(scored: Sequence[tuple[float, bool]], n_truth: int) -> pd.DataFrame:
    """Precision and recall at every distinct score threshold (keeping predictions scoring at least it)."""
    if not scored:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    scores = np.array([s for s, _ in scored], dtype=float)
    hits = np.array([h for _, h in scored], dtype=bool)
    order = np.argsort(-scores, kind='mergesort')
    scores, hits = scores[order], hits[order]
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    last = np.r_[scores[1:] != scores[:-1], True]  # the last prediction of each distinct score
    precision = tp / (tp + fp)
    recall = tp / n_truth if n_truth else np.zeros_like(precision)
    with np.errstate(divide='ignore', invalid='ignore'):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return pd.DataFrame(
        {
            'threshold': scores[last],
            'precision': precision[last],
            'recall': recall[last],
            'f1': f1[last],
            'tp': tp[last],
            'fp': fp[last],
        }
    )


def pr_curves(t: pxt.Table, state: ConsensusState, iou_threshold: float) -> dict[str, pd.DataFrame]:
    """Each detector's precision–recall curve against the ground-truth boxes (reads the models' and the truth's
    detections, one small JSON per row and model).

    Raises:
        NotEnoughModelsError: The consensus compares labels, not detections.
        NoGroundTruthError: No ground-truth boxes.
    """
    if state.kind != 'detections':
        raise NotEnoughModelsError('Precision–recall curves over score thresholds are for detections.')
    if state.truth is None:
        raise NoGroundTruthError('Precision–recall curves need ground-truth boxes; this consensus has none.')
    select = {f'm{i}': t[m.column] for i, m in enumerate(state.models)} | {'truth': t[state.truth]}
    scored: dict[str, list[tuple[float, bool]]] = {m.name: [] for m in state.models}
    n_truth = 0
    for row in t.select(**select).collect():
        truth_boxes, truth_labels, _ = detection_parts(row['truth'])
        if not isinstance(row['truth'], Mapping):
            continue
        n_truth += len(truth_boxes)
        for i, m in enumerate(state.models):
            boxes, labels, scores = detection_parts(row[f'm{i}'])
            flags = match_detections(boxes, labels, scores, truth_boxes, truth_labels, iou_threshold)
            scored[m.name] += list(zip(scores, flags, strict=True))
    return {name: curve(points, n_truth) for name, points in scored.items()}


def best_thresholds(curves: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each model's F1-optimal score threshold (the highest threshold among equal F1s) with its precision and recall."""
    rows: list[dict[str, Any]] = []
    for name, c in curves.items():
        if not len(c):
            rows.append({'model': name, 'threshold': None, 'precision': None, 'recall': None, 'f1': None})
            continue
        best = c.iloc[int(np.argmax(c['f1'].to_numpy()))]
        rows.append({'model': name, **{k: float(best[k]) for k in ('threshold', 'precision', 'recall', 'f1')}})
    return pd.DataFrame(rows, columns=['model', 'threshold', 'precision', 'recall', 'f1'])
