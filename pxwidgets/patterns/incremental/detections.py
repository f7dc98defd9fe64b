"""Detection windows: the rows' matches (the ``<name>_correct`` column) read by key range, and each window's row of
the window table: precision / recall / F1 at IoU 0.5 and COCO mAP, errors, and drift of box counts, scores and box
classes against the reference.

The matching itself is :mod:`pxwidgets.functions.boxes` (shared with the consensus' box metrics); this module only
sums rows into windows.

Example:
    >>> for bucket, values, cells, matches in window_matches(tbl, spec, window, [490897]):  # doctest: +SKIP
    ...     row = window_row(agg.windows[bucket], window, ref, values, matches, fingerprint, now)
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.functions.boxes import mean_average_precision
from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.aggregate import WindowCounts, key_expr
from pxwidgets.patterns.incremental.config import Window
from pxwidgets.patterns.incremental.reference import ReferenceData
from pxwidgets.patterns.incremental.store import Spec
from pxwidgets.patterns.incremental.windows import _pairs, chunks, numeric_drift

BOX_COLUMNS = ('boxes', 'scores')
"""The drift columns of detections: boxes per row, and the detections' scores."""

PRESENT = 'yes'
"""Stands for a present prediction or ground truth in a detection window's cells (its rows are counted, not
compared class by class)."""


def _valid(match: Any) -> bool:
    return isinstance(match, Mapping) and not match.get('error')


def box_values(matches: Sequence[Any]) -> dict[str, np.ndarray]:
    """Boxes per row and detection scores of the rows that could be read (errors and missing predictions left out)."""
    valid = [m for m in matches if _valid(m)]
    return {
        'boxes': np.asarray([m['boxes'] for m in valid], dtype=np.float64),
        'scores': np.asarray([d[1] for m in valid for d in m.get('dets') or []], dtype=np.float64),
    }


def box_classes(matches: Sequence[Any]) -> tuple[dict[Hashable, int], dict[Hashable, int]]:
    """Detections per class (every readable row) and ground-truth boxes per class (rows with ground truth)."""
    predicted: Counter[Hashable] = Counter()
    truth: Counter[Hashable] = Counter()
    for m in matches:
        if not _valid(m):
            continue
        for d in m.get('dets') or []:
            predicted[d[0]] += 1
        for label, n in m.get('gt') or []:
            truth[label] += int(n)
    return dict(predicted), dict(truth)


def window_matches(
    tbl: pxt.Table, spec: Spec, window: Window, buckets: Iterable[int], rows: Mapping[int, int] | None = None
) -> Iterator[tuple[int, dict[str, np.ndarray], dict[tuple[Hashable, Hashable], int], list[Any]]]:
    """The rows of some windows, window by window and in key order: their numeric values, their cells (prediction
    and ground truth present or not) and their matches, read by key range in bounded chunks."""
    key = key_expr(tbl, spec, window)
    for chunk in chunks(sorted(set(buckets)), rows or {}):
        lo, hi = chunk[0] * window.width, (chunk[-1] + 1) * window.width
        cols = {f'v{i}': tbl[c] for i, c in enumerate(spec.numeric)}
        result = tbl.where((key >= lo) & (key < hi)).order_by(key).select(k=key, m=tbl[spec.correct], **cols).collect()
        keys = np.asarray(result['k'], dtype=np.int64) // window.width if len(result) else np.zeros(0, np.int64)
        cells: dict[int, Counter[tuple[Hashable, Hashable]]] = {b: Counter() for b in chunk}
        matches: dict[int, list[Any]] = {b: [] for b in chunk}
        for b, m in zip(keys.tolist(), result['m'], strict=True):
            # the match is None without a prediction, and says whether the row has ground truth
            labeled = isinstance(m, Mapping) and bool(m.get('labeled'))
            cells[b][(None if m is None else PRESENT, PRESENT if labeled else None)] += 1
            matches[b].append(m)
        numeric = {c: np.asarray(result[f'v{i}'], dtype=object) for i, c in enumerate(spec.numeric)}
        for b in chunk:
            mask = keys == b
            values = {c: stats.finite(v[mask]) for c, v in numeric.items()}
            yield b, values, dict(cells[b]), matches[b]


def load_reference(ref: ReferenceData, spec: Spec) -> None:
    """The reference's box classes, box counts, scores and numeric values, from its rows' matches (one query)."""
    assert ref.source is not None
    source = ref.source
    query = source if ref.where is None else source.where(ref.where)
    cols = {f'v{i}': source[c] for i, c in enumerate(spec.numeric)}
    result = query.select(m=source[spec.correct], **cols).collect()
    matches = list(result['m'])
    ref.predictions, ref.labels = box_classes(matches)
    ref.numeric = {**box_values(matches), **{c: stats.finite(result[f'v{i}']) for i, c in enumerate(spec.numeric)}}


def window_row(
    wc: WindowCounts,
    window: Window,
    ref: ReferenceData,
    values: Mapping[str, np.ndarray],
    matches: Sequence[Any],
    fingerprint: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """A detection window's row of the window table (the columns of a class window, plus ``map50``, ``map`` and
    ``errors``; ``accuracy`` stays empty, ``correct`` holds the true positives)."""
    metrics = mean_average_precision(matches)
    predicted, truth = box_classes(matches)
    scored = sum(1 for m in matches if _valid(m) and m.get('tp') is not None)
    errors = sum(1 for m in matches if isinstance(m, Mapping) and m.get('error'))
    drift: dict[str, dict[str, Any]] = {
        'prediction': {
            'psi': stats.psi(ref.predictions, predicted),
            'js': stats.js_distance(ref.predictions, predicted),
        },
        'label': {'psi': stats.psi(ref.labels, truth), 'js': stats.js_distance(ref.labels, truth)},
    }
    readable = sum(1 for m in matches if _valid(m))
    for col, cur in box_values(matches).items():
        drift[col] = numeric_drift(ref.numeric.get(col, np.zeros(0)), cur, readable, len(cur))
    for col, cur in values.items():
        count_non_null, _ = wc.sums.get(col, [0.0, 0.0])
        drift[col] = numeric_drift(ref.numeric.get(col, np.zeros(0)), cur, wc.rows, int(count_non_null))
    per_class = [{k: v if k == 'class' else stats.clean(v) for k, v in c.items()} for c in metrics['per_class']]
    return {
        'bucket': wc.bucket,
        'width': window.width,
        'label': window.label(wc.bucket),
        'start': window.start(wc.bucket),
        'rows': wc.rows,
        'pending': wc.pending,
        'unpredicted': wc.unpredicted,
        'labeled': scored,
        'correct': metrics['tp'],
        'accuracy': None,
        'precision': metrics['precision'],
        'recall': metrics['recall'],
        'f1': metrics['f1'],
        'map50': metrics['map50'],
        'map': metrics['map'],
        'errors': errors,
        'per_class': per_class,
        'confusion': [],
        'predictions': _pairs(predicted),
        'labels': _pairs(truth),
        'drift': {k: {s: stats.clean(v) for s, v in d.items()} for k, d in drift.items()},
        'fingerprint': fingerprint,
        'computed_at': now,
    }
