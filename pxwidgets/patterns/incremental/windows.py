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
from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.aggregate import WindowCounts, key_expr
from pxwidgets.patterns.incremental.config import Window
from pxwidgets.patterns.incremental.reference import ReferenceData
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


def numeric_drift(reference: np.ndarray, current: np.ndarray, rows: int, non_null: int) -> dict[str, Any]:
    """Drift of one numeric column in a window: KS statistic and p-value, normed Wasserstein distance, and how many
    values (``missing``: rows without one; ``nan``: non-null values that are not finite)."""
    test = stats.ks(reference, current)
    return {
        'ks': None if test is None else test['statistic'],
        'ks_pvalue': None if test is None else test['pvalue'],
        'wasserstein': stats.wasserstein_normed(reference, current),
        'values': len(current),
        'reference_values': len(reference),
        'missing': rows - len(current),
        'nan': non_null - len(current),
    }


def window_row(
    wc: WindowCounts,
    window: Window,
    ref: ReferenceData,
    values: Mapping[str, np.ndarray],
    fingerprint: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """A row of the window table: counts, metrics, distributions and drift against the reference."""
    metrics = stats.metrics_from_counts(wc.labeled_cells())
    predictions, labels = wc.predictions(), wc.labels()
    drift: dict[str, dict[str, Any]] = {
        'prediction': {
            'psi': stats.psi(ref.predictions, predictions),
            'js': stats.js_distance(ref.predictions, predictions),
        },
        'label': {'psi': stats.psi(ref.labels, labels), 'js': stats.js_distance(ref.labels, labels)},
    }
    for col, cur in values.items():
        count_non_null, _ = wc.sums.get(col, [0.0, 0.0])
        drift[col] = numeric_drift(ref.numeric.get(col, np.zeros(0)), cur, wc.rows, int(count_non_null))
    drift = {k: {s: stats.clean(v) for s, v in d.items()} for k, d in drift.items()}
    return {
        'bucket': wc.bucket,
        'width': window.width,
        'label': window.label(wc.bucket),
        'start': window.start(wc.bucket),
        'rows': wc.rows,
        'pending': wc.pending,
        'unpredicted': wc.unpredicted,
        'labeled': metrics['labeled'],
        'correct': metrics['correct'],
        'accuracy': metrics['accuracy'],
        'precision': metrics['precision'],
        'recall': metrics['recall'],
        'f1': metrics['f1'],
        'per_class': metrics['per_class'],
        'confusion': [[p, g, n] for (p, g), n in sorted(wc.labeled_cells().items(), key=lambda kv: repr(kv[0]))],
        'predictions': _pairs(predictions),
        'labels': _pairs(labels),
        'drift': drift,
        'fingerprint': fingerprint,
        'computed_at': now,
    }


def fingerprint(wc: WindowCounts, window: Window, ref: ReferenceData) -> str:
    """What a window's statistics depend on: its counts and sums, the width, the reference."""
    return hashlib.sha256(f'{window.width}|{wc.digest()}|{ref.digest}'.encode()).hexdigest()[:24]
