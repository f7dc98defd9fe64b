"""Window rows: the values and cells of the windows that changed, fetched by key range, and each window's row of the
window table (counts, metrics, distributions, drift against the reference) with its fingerprint.

Example:
    >>> for bucket, values, cells in window_values(tbl, spec, window, [490897]):  # doctest: +SKIP
    ...     wc = agg.windows[bucket]
    ...     row = window_row(wc, window, ref, values, fingerprint(wc, window, ref), now)
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.aggregate import WindowCounts, key_expr
from pxwidgets.patterns.incremental.config import Window
from pxwidgets.patterns.incremental.estimate import estimated_accuracy
from pxwidgets.patterns.incremental.nulls import POOLS, NullLimits, alpha_shares
from pxwidgets.patterns.incremental.reference import CALIBRATION, ReferenceData
from pxwidgets.patterns.incremental.store import Spec

FETCH_ROWS = 50_000
"""At most about this many rows' numeric values are fetched per query (memory stays bounded as tables grow)."""


def chunks(buckets: Iterable[int], rows: Mapping[int, int], limit: int = FETCH_ROWS) -> list[list[int]]:
    """Consecutive runs of windows holding at most ``limit`` rows each (a larger window is a chunk of its own).

    Example:
        >>> chunks([1, 2, 3, 7], {1: 10, 2: 10, 3: 10, 7: 5}, limit=20)
        [[1, 2], [3], [7]]
    """
    out: list[list[int]] = []
    size = 0
    for b in sorted(set(buckets)):
        n = rows.get(b, 0)
        if out and size + n <= limit and out[-1][-1] == b - 1:
            out[-1].append(b)
            size += n
        else:
            out.append([b])
            size = n
    return out


def window_values(
    tbl: pxt.Table, spec: Spec, window: Window, buckets: Iterable[int], rows: Mapping[int, int] | None = None
) -> Iterator[tuple[int, dict[str, np.ndarray], dict[tuple[Hashable, Hashable], int]]]:
    """The rows of some windows, window by window: their numeric values and their confusion cells, fetched by key
    range in chunks of :data:`FETCH_ROWS` rows (``rows`` gives each window's row count), so that memory stays
    bounded however large the table grows."""
    wanted = sorted(set(buckets))
    key = key_expr(tbl, spec, window)
    for chunk in chunks(wanted, rows or {}):
        lo, hi = chunk[0] * window.width, (chunk[-1] + 1) * window.width
        cols = {f'v{i}': tbl[c] for i, c in enumerate(spec.numeric)}
        result = (
            tbl.where((key >= lo) & (key < hi))
            .select(k=key, p=tbl[spec.prediction], g=tbl[spec.ground_truth], **cols)
            .collect()
        )
        keys = np.asarray(result['k'], dtype=np.int64) // window.width if len(result) else np.zeros(0, np.int64)
        cells: dict[int, Counter[tuple[Hashable, Hashable]]] = {b: Counter() for b in chunk}
        for b, p, g in zip(keys.tolist(), result['p'], result['g'], strict=True):
            cells[b][(p, g)] += 1
        numeric = {c: np.asarray(result[f'v{i}'], dtype=object) for i, c in enumerate(spec.numeric)}
        for b in chunk:
            mask = keys == b
            yield b, {c: stats.finite(values[mask]) for c, values in numeric.items()}, dict(cells[b])


def _pairs(counts: Mapping[Hashable, int]) -> list[list[Any]]:
    return [[k, int(n)] for k, n in sorted(counts.items(), key=lambda kv: stats._sort_key(kv[0]))]


def numeric_drift(
    reference: np.ndarray,
    current: np.ndarray,
    rows: int,
    non_null: int,
    limits: NullLimits | None = None,
    column: str = '',
    before: Sequence[np.ndarray] = (),
) -> dict[str, Any]:
    """Drift of one numeric column in a window: KS statistic and p-value, normed Wasserstein distance and (with
    ``limits``) the largest it gets without drift for this many values, and its data quality: how many values
    (``missing``: rows without one; ``nan``: non-null values that are not finite; ``out_of_range``: values below the
    reference's smallest or above its largest).

    With ``before`` (the values of the windows before it, latest first), ``wasserstein_pooled2`` /
    ``wasserstein_pooled4`` (with ``_limit`` and ``values_pooled2`` / ``values_pooled4``) hold the same distance for
    the window pooled with the 1 and 3 windows before it (:data:`~pxwidgets.patterns.incremental.nulls.POOLS`), each
    with its own limit; the false-alarm rate is split between these tests (``alpha_shares``).
    """
    test = stats.ks(reference, current)
    outside = (
        int(np.count_nonzero((current < reference.min()) | (current > reference.max())))
        if len(reference) and len(current)
        else None
    )
    shares = alpha_shares(limits.alpha) if limits is not None else {}
    limit = limits.numeric(column, reference, len(current), shares[1]) if limits is not None and len(current) else None
    pooled: dict[str, Any] = {}
    for k in POOLS:
        if limits is None or len(before) < k - 1 or not len(current):
            continue
        values = np.concatenate([current, *before[: k - 1]])
        pooled[f'values_pooled{k}'] = len(values)
        pooled[f'wasserstein_pooled{k}'] = stats.wasserstein_normed(reference, values)
        pooled[f'wasserstein_pooled{k}_limit'] = limits.numeric(column, reference, len(values), shares[k])
    return {
        'wasserstein_limit': limit,
        'ks': None if test is None else test['statistic'],
        'ks_pvalue': None if test is None else test['pvalue'],
        'wasserstein': stats.wasserstein_normed(reference, current),
        'values': len(current),
        'reference_values': len(reference),
        'missing': rows - len(current),
        'nan': non_null - len(current),
        'out_of_range': outside,
        **pooled,
    }


def category_drift(
    reference: Mapping[Hashable, int],
    current: Mapping[Hashable, int],
    limits: NullLimits | None,
    column: str,
    before: Sequence[Mapping[Hashable, int]] = (),
) -> dict[str, Any]:
    """Drift of category counts: PSI and Jensen-Shannon distance and (with ``limits``) the largest each gets
    without drift for a window of this many values; with ``before`` (the counts of the windows before it, latest
    first), ``js_pooled2`` / ``js_pooled4`` (with ``_limit`` and ``values_pooled2`` / ``values_pooled4``) hold the
    Jensen-Shannon distance of the window pooled with the 1 and 3 before it, each with its limit (as
    :func:`numeric_drift`)."""
    n = int(sum(current.values()))
    shares = alpha_shares(limits.alpha) if limits is not None else {}
    found = limits.categories(column, reference, n, shares[1]) if limits is not None and n else None
    pooled: dict[str, Any] = {}
    for k in POOLS:
        if limits is None or len(before) < k - 1 or not n:
            continue
        counts: Counter[Hashable] = Counter(current)
        for other in before[: k - 1]:
            counts.update(other)
        total = int(sum(counts.values()))
        limit = limits.categories(column, reference, total, shares[k])
        pooled[f'values_pooled{k}'] = total
        pooled[f'js_pooled{k}'] = stats.js_distance(reference, counts)
        pooled[f'js_pooled{k}_limit'] = None if limit is None else limit['js']
    return {
        'psi': stats.psi(reference, current),
        'js': stats.js_distance(reference, current),
        'psi_limit': None if found is None else found['psi'],
        'js_limit': None if found is None else found['js'],
        'values': n,
        **pooled,
    }


def window_header(wc: WindowCounts, window: Window) -> dict[str, Any]:
    """The columns every window row starts with: which window, its rows, pending and unpredicted."""
    return {
        'bucket': wc.bucket,
        'width': window.width,
        'label': window.label(wc.bucket),
        'start': window.start(wc.bucket),
        'rows': wc.rows,
        'pending': wc.pending,
        'unpredicted': wc.unpredicted,
    }


def values_drift(
    wc: WindowCounts,
    ref: ReferenceData,
    values: Mapping[str, np.ndarray],
    limits: NullLimits | None,
    before: Sequence[Mapping[str, np.ndarray]] = (),
) -> dict[str, dict[str, Any]]:
    """Drift of each numeric column of a window against the reference (``before``: the values of the windows before
    it, latest first, for the pooled tests)."""
    out = {}
    for col, cur in values.items():
        count_non_null, _ = wc.sums.get(col, [0.0, 0.0])
        earlier = [v.get(col, np.zeros(0)) for v in before]
        out[col] = numeric_drift(
            ref.numeric.get(col, np.zeros(0)), cur, wc.rows, int(count_non_null), limits, col, earlier
        )
    return out


def window_row(
    wc: WindowCounts,
    window: Window,
    ref: ReferenceData,
    values: Mapping[str, np.ndarray],
    fingerprint: str,
    now: datetime.datetime,
    limits: NullLimits | None = None,
    confidence: str | None = None,
    before: Sequence[tuple[Mapping[str, np.ndarray], Mapping[tuple[Hashable, Hashable], int]]] = (),
) -> dict[str, Any]:
    """A row of the window table: counts, metrics, distributions and drift against the reference, and (with a
    ``confidence`` column) the accuracy its confidences lead to expect. ``before``: the values and cells of the
    windows before it (latest first), for the pooled drift tests of the predictions and numeric columns (labels,
    which arrive late, are tested window by window)."""
    metrics = stats.metrics_from_counts(wc.labeled_cells())
    predictions, labels = wc.predictions(), wc.labels()
    drift: dict[str, dict[str, Any]] = {
        'prediction': category_drift(
            ref.predictions, predictions, limits, 'prediction', [marginal(c, 0) for _, c in before]
        ),
        'label': category_drift(ref.labels, labels, limits, 'label'),  # labels arrive late: not pooled
    }
    drift.update(values_drift(wc, ref, values, limits, [v for v, _ in before]))
    drift = {k: {s: stats.clean(v) for s, v in d.items()} for k, d in drift.items()}
    return {
        **window_header(wc, window),
        'labeled': metrics['labeled'],
        'correct': metrics['correct'],
        'accuracy': metrics['accuracy'],
        'precision': metrics['precision'],
        'recall': metrics['recall'],
        'f1': metrics['f1'],
        'estimated_accuracy': None
        if confidence is None
        else estimated_accuracy(ref.numeric.get(CALIBRATION), values.get(confidence, np.zeros(0))),
        'per_class': metrics['per_class'],
        'confusion': [[p, g, n] for (p, g), n in sorted(wc.labeled_cells().items(), key=lambda kv: repr(kv[0]))],
        'predictions': _pairs(predictions),
        'labels': _pairs(labels),
        'drift': drift,
        'fingerprint': fingerprint,
        'computed_at': now,
    }


def marginal(cells: Mapping[tuple[Hashable, Hashable], int], axis: int) -> dict[Hashable, int]:
    """Rows per prediction (``axis`` 0) or per label (1) of confusion cells, missing values left out."""
    out: Counter[Hashable] = Counter()
    for pair, n in cells.items():
        if pair[axis] is not None:
            out[pair[axis]] += n
    return dict(out)


def fingerprint(wc: WindowCounts, window: Window, ref: ReferenceData, salt: str = '') -> str:
    """What a window's statistics depend on: its counts and sums, the width, the reference (and ``salt``: the
    settings its stored figures depend on, such as the false-alarm rate of the drift limits)."""
    return hashlib.sha256(f'{window.width}|{wc.digest()}|{ref.digest}|{salt}'.encode()).hexdigest()[:24]
