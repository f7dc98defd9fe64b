"""Box matching, the one implementation every box metric of pxwidgets uses (consensus, detection evaluation).

Boxes are ``[x1, y1, x2, y2]`` in pixels. Matching follows the COCO evaluation (pycocotools' ``COCOeval``): per
class, detections are taken in descending score order (stable for equal scores) and each one takes the unmatched
ground-truth box it overlaps most, if that IoU reaches the threshold (ties go to the later ground-truth box). At most
``max_dets`` detections per class and image are kept. Average precision is COCO's 101-point interpolated precision,
and mAP its mean over the classes that have ground truth (and over IoU 0.5:0.95 for ``map``).

Example:
    >>> match_boxes([[0, 0, 10, 10], [50, 50, 60, 60]], [[1, 1, 10, 10]], 0.5)
    (1, 1, 0)
    >>> row = match_row({'bboxes': [[0, 0, 10, 10]], 'labels': ['cat'], 'scores': [0.9]},
    ...                 {'bboxes': [[0, 0, 10, 9]], 'labels': ['cat']})
    >>> row['tp'], row['fp'], row['fn']
    (1, 0, 0)
    >>> round(mean_average_precision([row])['map50'], 3)
    1.0
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
"""COCO's IoU thresholds 0.5, 0.55, ..., 0.95 (the same floats as pycocotools)."""

RECALL_POINTS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1)
"""COCO's 101 recall points where precision is interpolated."""

MAX_DETS = 100
"""Detections kept per class and image, highest scores first (COCO's ``maxDets`` for AP)."""


class BoxError(ValueError):
    """A detection or ground-truth value that is not boxes (malformed JSON, boxes outside the image)."""


def iou_matrix(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> np.ndarray:
    """Intersection over union of every box of ``a`` with every box of ``b`` (``[x1, y1, x2, y2]``).

    Example:
        >>> float(iou_matrix([[0, 0, 2, 2]], [[1, 0, 3, 2]])[0, 0])
        0.3333333333333333
    """
    aa = np.asarray(a, dtype=float).reshape(-1, 4)
    bb = np.asarray(b, dtype=float).reshape(-1, 4)
    x1 = np.maximum(aa[:, None, 0], bb[None, :, 0])
    y1 = np.maximum(aa[:, None, 1], bb[None, :, 1])
    x2 = np.minimum(aa[:, None, 2], bb[None, :, 2])
    y2 = np.minimum(aa[:, None, 3], bb[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (aa[:, 2] - aa[:, 0]) * (aa[:, 3] - aa[:, 1])
    area_b = (bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / union, 0.0)


def greedy_match(iou: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """COCO's matching of detections (rows of ``iou``, already in score order) to ground-truth boxes (columns).

    Returns:
        ``matched[t, d]``: whether detection ``d`` matched a ground-truth box at ``thresholds[t]``.

    Example:
        >>> greedy_match(np.array([[0.6], [0.9]]), [0.5]).tolist()
        [[True, False]]
    """
    n_det, n_gt = iou.shape
    matched = np.zeros((len(thresholds), n_det), dtype=bool)
    if not n_det or not n_gt:
        return matched
    for t, threshold in enumerate(thresholds):
        taken = np.zeros(n_gt, dtype=bool)
        for d in range(n_det):
            best, m = min(float(threshold), 1 - 1e-10), -1
            for g in range(n_gt):
                if taken[g] or iou[d, g] < best:
                    continue
                best, m = float(iou[d, g]), g
            if m >= 0:
                taken[m] = True
                matched[t, d] = True
    return matched


def _order(scores: Sequence[float] | None, n: int) -> np.ndarray:
    if scores is None:
        return np.arange(n)
    return np.argsort(-np.asarray(scores, dtype=float), kind='mergesort')


def _by_class(labels: Sequence[Any] | None, n: int) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        groups['' if labels is None else str(labels[i])].append(i)
    return groups


def match_boxes(
    predicted: Sequence[Sequence[float]],
    reference: Sequence[Sequence[float]],
    iou_threshold: float,
    pred_labels: Sequence[Any] | None = None,
    ref_labels: Sequence[Any] | None = None,
    scores: Sequence[float] | None = None,
) -> tuple[int, int, int]:
    """One-to-one matching at one IoU threshold (COCO's order: highest score first; labels must agree when given):
    ``(tp, fp, fn)``. Without scores, detections are taken in the order given.

    Example:
        >>> match_boxes([[0, 0, 10, 10], [1, 1, 10, 10]], [[1, 1, 10, 10]], 0.5, scores=[0.2, 0.9])
        (1, 1, 0)
    """
    if not len(predicted) or not len(reference):
        return 0, len(predicted), len(reference)
    use_labels = pred_labels is not None and ref_labels is not None
    pred_groups = _by_class(pred_labels if use_labels else None, len(predicted))
    ref_groups = _by_class(ref_labels if use_labels else None, len(reference))
    tp = 0
    for label, det_idx in pred_groups.items():
        gt_idx = ref_groups.get(label, [])
        if not gt_idx:
            continue
        det_scores = None if scores is None else [scores[i] for i in det_idx]
        ordered = [det_idx[i] for i in _order(det_scores, len(det_idx))]
        iou = iou_matrix([predicted[i] for i in ordered], [reference[j] for j in gt_idx])
        tp += int(greedy_match(iou, [iou_threshold])[0].sum())
    return tp, len(predicted) - tp, len(reference) - tp


# ---- detection results as data ---------------------------------------------------------------------------------


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise BoxError(f'{what} is {value!r}, not a finite number')
    return float(value)


def parse_boxes(
    value: Any, what: str, *, scores: bool, width: float | None = None, height: float | None = None
) -> tuple[list[list[float]], list[Hashable], list[float]]:
    """Boxes, labels and scores out of a detection result (``{'bboxes', 'labels', 'scores'}``; ground truth may
    leave out ``scores``), checked.

    Raises:
        BoxError: Not a mapping, missing or misaligned lists, a box that is not four finite numbers with
            ``x1 <= x2`` and ``y1 <= y2``, or (when the image size is given) a box outside the image.

    Example:
        >>> parse_boxes({'bboxes': [[1, 2, 3, 4]], 'labels': [7]}, 'truth', scores=False)
        ([[1.0, 2.0, 3.0, 4.0]], [7], [1.0])
    """
    if not isinstance(value, Mapping):
        raise BoxError(f'the {what} is {type(value).__name__}, not an object with bboxes and labels')
    bboxes, labels = value.get('bboxes'), value.get('labels')
    if not isinstance(bboxes, list) or not isinstance(labels, list):
        raise BoxError(f'the {what} needs lists "bboxes" and "labels"')
    if len(bboxes) != len(labels):
        raise BoxError(f'the {what} has {len(bboxes)} boxes but {len(labels)} labels')
    raw_scores = value.get('scores')
    if scores or raw_scores is not None:
        if not isinstance(raw_scores, list) or len(raw_scores) != len(bboxes):
            raise BoxError(f'the {what} needs one score per box')
        out_scores = [_number(s, f'a score of the {what}') for s in raw_scores]
    else:
        out_scores = [1.0] * len(bboxes)
    boxes: list[list[float]] = []
    for i, box in enumerate(bboxes):
        if not isinstance(box, list) or len(box) != 4:
            raise BoxError(f'box {i} of the {what} is {box!r}, not [x1, y1, x2, y2]')
        x1, y1, x2, y2 = (_number(v, f'box {i} of the {what}') for v in box)
        if x2 < x1 or y2 < y1:
            raise BoxError(f'box {i} of the {what} has x2 < x1 or y2 < y1: {box!r}')
        if width is not None and height is not None and (x1 < 0 or y1 < 0 or x2 > width or y2 > height):
            raise BoxError(f'box {i} of the {what} {box!r} lies outside the {width:g}x{height:g} image')
        boxes.append([x1, y1, x2, y2])
    for label in labels:
        if not isinstance(label, (str, int)) or isinstance(label, bool):
            raise BoxError(f'a label of the {what} is {label!r}, not a string or an integer')
    return boxes, list(labels), out_scores


def match_row(
    predicted: Any,
    truth: Any,
    *,
    width: float | None = None,
    height: float | None = None,
    thresholds: Sequence[float] = tuple(IOU_THRESHOLDS),
    max_dets: int = MAX_DETS,
) -> dict[str, Any]:
    """One image's detections matched to its ground truth, as JSON: what a window's metrics are summed from.

    Returns:
        ``labeled`` (whether there is ground truth), ``tp``, ``fp``, ``fn`` at IoU 0.5 (``None`` while ``truth`` is
        ``None``: pending), ``boxes`` (detections),
        ``truth_boxes``, ``dets`` (``[label, score, bits]`` per kept detection: bit ``t`` set when it matched at
        ``thresholds[t]``; ``bits`` is ``None`` while pending), ``gt`` (``[label, count]``), ``error`` (``None``, or
        why the row cannot be scored: it then counts as an error, nothing else). At most ``max_dets`` detections per
        class are scored (the highest scores); ``boxes`` counts them all.

    Example:
        >>> match_row({'bboxes': [], 'labels': [], 'scores': []}, None)['tp'] is None
        True
    """
    try:
        boxes, labels, scores = parse_boxes(predicted, 'prediction', scores=True, width=width, height=height)
        gt_boxes, gt_labels = None, None
        if truth is not None:
            gt_boxes, gt_labels, _ = parse_boxes(truth, 'ground truth', scores=False, width=width, height=height)
    except BoxError as exc:
        return {'error': str(exc), 'labeled': truth is not None, 'tp': None, 'fp': None, 'fn': None, 'boxes': None,
                'truth_boxes': None, 'dets': [], 'gt': []}  # fmt: skip
    dets: list[list[Any]] = []
    tp = fp = fn = 0
    det_groups = _by_class(labels, len(boxes))
    gt_groups = _by_class(gt_labels, len(gt_boxes)) if gt_boxes is not None and gt_labels is not None else {}
    label_of = {str(lab): lab for lab in [*labels, *(gt_labels or [])]}
    for key in sorted(set(det_groups) | set(gt_groups)):
        det_idx = det_groups.get(key, [])
        ordered = [det_idx[i] for i in _order([scores[i] for i in det_idx], len(det_idx))][:max_dets]
        gt_idx = gt_groups.get(key, [])
        matched = None
        if gt_boxes is not None:
            iou = iou_matrix([boxes[i] for i in ordered], [gt_boxes[j] for j in gt_idx])
            matched = greedy_match(iou, thresholds)
            hits = int(matched[0].sum())
            tp, fp, fn = tp + hits, fp + len(ordered) - hits, fn + len(gt_idx) - hits
        for d, i in enumerate(ordered):
            bits = None if matched is None else int(sum(1 << t for t in range(len(thresholds)) if matched[t, d]))
            dets.append([labels[i], scores[i], bits])
    pending = gt_boxes is None
    return {
        'error': None,
        'labeled': not pending,
        'tp': None if pending else tp,
        'fp': None if pending else fp,
        'fn': None if pending else fn,
        'boxes': len(boxes),
        'truth_boxes': None if gt_boxes is None else len(gt_boxes),
        'dets': dets,
        'gt': [] if pending else [[label_of[k], len(v)] for k, v in sorted(gt_groups.items())],
    }


def row_digest(row: Any) -> float | None:
    """A number in [0, 1) that changes whenever a matched row changes (what a window's fingerprint sums)."""
    if row is None:
        return None
    data = hashlib.sha256(json.dumps(row, sort_keys=True, default=repr).encode()).digest()
    return int.from_bytes(data[:6], 'big') / float(1 << 48)


def average_precision(scores: Sequence[float], hits: Sequence[bool], n_truth: int) -> float | None:
    """COCO's 101-point interpolated average precision of one class: ``scores`` and ``hits`` of its detections in
    image order (each image's in score order), ``n_truth`` ground-truth boxes. ``None`` without ground truth."""
    if n_truth == 0:
        return None
    order = np.argsort(-np.asarray(scores, dtype=float), kind='mergesort')
    tps = np.asarray(hits, dtype=bool)[order] if len(order) else np.zeros(0, dtype=bool)
    tp = np.cumsum(tps).astype(float)
    fp = np.cumsum(~tps).astype(float)
    nd = len(tp)
    if not nd:
        return 0.0
    rc = tp / n_truth
    pr = (tp / (fp + tp + np.spacing(1))).tolist()
    for i in range(nd - 1, 0, -1):
        if pr[i] > pr[i - 1]:
            pr[i - 1] = pr[i]
    inds = np.searchsorted(rc, RECALL_POINTS, side='left')
    q = [pr[i] if i < nd else 0.0 for i in inds]
    return float(np.mean(q))


def mean_average_precision(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Precision, recall and F1 at IoU 0.5 (summed over boxes), and COCO's mAP at IoU 0.5 and 0.5:0.95, over the
    scored rows (outputs of :func:`match_row`, in image order; pending and error rows are skipped).

    Returns:
        ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1``, ``map50``, ``map``, and ``per_class``: per class
        ``{'class', 'support', 'predicted', 'tp', 'precision', 'recall', 'f1', 'ap50', 'ap'}``.
    """
    scores: dict[str, list[float]] = defaultdict(list)
    bits: dict[str, list[int]] = defaultdict(list)
    truth: dict[str, int] = defaultdict(int)
    names: dict[str, Any] = {}
    n_thr = len(IOU_THRESHOLDS)
    for row in rows:
        if row is None or row.get('error') or row.get('tp') is None:
            continue
        for label, score, b in row.get('dets') or []:
            names.setdefault(str(label), label)
            scores[str(label)].append(float(score))
            bits[str(label)].append(int(b or 0))
        for label, n in row.get('gt') or []:
            names.setdefault(str(label), label)
            truth[str(label)] += int(n)
    per_class = []
    tp_all = fp_all = fn_all = 0
    aps: list[float] = []
    ap50s: list[float] = []
    for key in sorted(names, key=lambda k: (1, k) if isinstance(names[k], str) else (0, names[k])):
        b = np.asarray(bits.get(key, []), dtype=np.int64)
        n_gt = truth.get(key, 0)
        per_thr = [average_precision(scores.get(key, []), (b >> t) & 1 == 1, n_gt) for t in range(n_thr)]
        tp = int(((b & 1) == 1).sum())
        fp, fn = len(b) - tp, n_gt - tp
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        ap50 = per_thr[0]
        ap = None if ap50 is None else float(np.mean([v for v in per_thr if v is not None]))
        if ap is not None and ap50 is not None:
            aps.append(ap)
            ap50s.append(ap50)
        per_class.append({'class': names[key], 'support': n_gt, 'predicted': len(b), 'tp': tp,
                          **_prf(tp, fp, fn), 'ap50': ap50, 'ap': ap})  # fmt: skip
    return {
        'tp': tp_all,
        'fp': fp_all,
        'fn': fn_all,
        **_prf(tp_all, fp_all, fn_all, empty=None),
        'map50': float(np.mean(ap50s)) if ap50s else None,
        'map': float(np.mean(aps)) if aps else None,
        'per_class': per_class,
    }


def _prf(tp: int, fp: int, fn: int, empty: float | None = 0.0) -> dict[str, float | None]:
    p = tp / (tp + fp) if tp + fp else empty
    r = tp / (tp + fn) if tp + fn else empty
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else empty
    return {'precision': p, 'recall': r, 'f1': f}


# ---- box-level consensus of several detectors ----------------------------------------------------------------------


def detection_parts(det: Any) -> tuple[list[list[float]], list[Any], list[float]]:
    """A detection result's boxes, labels and scores (empty for a failed output; labels None, scores 1 when absent).

    Example:
        >>> detection_parts({'bboxes': [[0, 0, 2, 2]]})
        ([[0.0, 0.0, 2.0, 2.0]], [None], [1.0])
    """
    if not isinstance(det, Mapping):
        return [], [], []
    boxes = [list(map(float, b)) for b in det.get('bboxes') or []]
    labels = list(det.get('labels') or [None] * len(boxes))
    scores = [float(s) for s in det.get('scores') or [1.0] * len(boxes)]
    return boxes, labels, scores


def fuse(
    detections: Sequence[Any],
    models: Sequence[str],
    width: float,
    height: float,
    *,
    min_votes: int = 2,
    iou_threshold: float = 0.55,
    skip_threshold: float = 0.0,
    weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Box-level consensus: weighted box fusion (``ensemble_boxes.weighted_boxes_fusion``), keeping the fused boxes
    that at least ``min_votes`` of the models found.

    Each model's boxes are matched (IoU, same label) to the fused boxes, so the row says which model agrees: a model
    agrees when it found exactly the kept boxes (no box missing, none extra).

    Args:
        detections: One detection result per model (``bboxes`` in pixels, ``labels``, ``scores``; None if it failed).
        models: The models' names.
        width: The image's width (boxes are normalised to [0, 1] for fusion and scaled back).
        height: The image's height.
        min_votes: How many models must find a box for it to be kept.
        iou_threshold: The IoU above which boxes of different models are the same object.
        skip_threshold: Boxes scoring below it are ignored.
        weights: One weight per model (default: equal).

    Returns:
        ``bboxes``, ``labels``, ``scores`` (the kept fused boxes, in pixels), ``votes`` (models per kept box),
        ``all_bboxes`` / ``all_votes`` (every fused box, kept or not), ``per_model`` (``tp``, ``fp``, ``fn`` against
        the kept boxes), ``agreement`` (share of answering models that agree), ``dissent``, ``missing``.

    Example:
        >>> a = {'bboxes': [[10, 10, 50, 50]], 'labels': ['face'], 'scores': [0.9]}
        >>> b = {'bboxes': [[12, 10, 50, 52]], 'labels': ['face'], 'scores': [0.8]}
        >>> r = fuse([a, b, {'bboxes': [], 'labels': [], 'scores': []}], ['x', 'y', 'z'], 100, 100)
        >>> r['votes'], r['dissent']
        ([2], ['z'])
    """
    from ensemble_boxes import weighted_boxes_fusion

    w, h = float(width), float(height)
    valid = [(m, d) for m, d in zip(models, detections, strict=True) if isinstance(d, Mapping)]
    missing = [m for m, d in zip(models, detections, strict=True) if not isinstance(d, Mapping)]
    label_ids: dict[str, int] = {}
    boxes_list, scores_list, labels_list, owners = [], [], [], []
    for _, det in valid:
        boxes, labels, scores = detection_parts(det)
        norm = [[b[0] / w, b[1] / h, b[2] / w, b[3] / h] for b in boxes]
        norm = [[min(max(v, 0.0), 1.0) for v in b] for b in norm]
        boxes_list.append(norm)
        scores_list.append(scores)
        labels_list.append([label_ids.setdefault(str(lab), len(label_ids)) for lab in labels])
        owners.append(len(boxes))
    names = {v: k for k, v in label_ids.items()}
    fused_boxes: list[list[float]] = []
    fused_scores: list[float] = []
    fused_labels: list[str] = []
    fused_votes: list[int] = []
    if any(owners):
        model_weights = None
        if weights is not None:
            model_weights = [float(wt) for m, wt in zip(models, weights, strict=True) if m in dict(valid)]
        nonempty = [i for i, n in enumerate(owners) if n]
        fb, fs, fl = weighted_boxes_fusion(
            [boxes_list[i] for i in nonempty],
            [scores_list[i] for i in nonempty],
            [labels_list[i] for i in nonempty],
            weights=None if model_weights is None else [model_weights[i] for i in nonempty],
            iou_thr=iou_threshold,
            skip_box_thr=skip_threshold,
            conf_type='avg',
        )
        for box, score, lab in zip(fb, fs, fl, strict=True):
            pixel = [float(box[0] * w), float(box[1] * h), float(box[2] * w), float(box[3] * h)]
            fused_boxes.append(pixel)
            fused_scores.append(float(score))
            fused_labels.append(names[int(lab)])
        # how many models found each fused box: a model supports a box when one of its boxes matches it
        for j, box in enumerate(fused_boxes):
            votes = 0
            for _, det in valid:
                boxes, labels, _ = detection_parts(det)
                if boxes and match_boxes([box], boxes, iou_threshold, [fused_labels[j]], labels)[0]:
                    votes += 1
            fused_votes.append(votes)
    kept = [j for j, v in enumerate(fused_votes) if v >= min_votes]
    kept_boxes = [fused_boxes[j] for j in kept]
    kept_labels = [fused_labels[j] for j in kept]
    per_model: dict[str, dict[str, int]] = {}
    dissent: list[str] = []
    for model, det in valid:
        boxes, labels, _ = detection_parts(det)
        tp, fp, fn = match_boxes(boxes, kept_boxes, iou_threshold, labels, kept_labels)
        per_model[model] = {'tp': tp, 'fp': fp, 'fn': fn}
        if fp or fn:
            dissent.append(model)
    return {
        'bboxes': kept_boxes,
        'labels': kept_labels,
        'scores': [fused_scores[j] for j in kept],
        'votes': [fused_votes[j] for j in kept],
        'all_bboxes': fused_boxes,
        'all_votes': fused_votes,
        'per_model': per_model,
        'agreement': (len(valid) - len(dissent)) / len(valid) if valid else None,
        'dissent': dissent,
        'missing': missing,
        'n_models': len(models),
        'n_valid': len(valid),
    }
