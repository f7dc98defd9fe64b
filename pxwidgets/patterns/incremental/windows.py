"""Windows as aggregations inside Pixeltable, recomputed only where their rows changed.

One ``group_by`` over the stored window key, the prediction and the truth gives every window's confusion cells, and
per cell the count, sum and value marks of each numeric column. From the cells come every metric and the category
drift statistics; the numeric tests (KS, Wasserstein) fetch only the values of windows whose fingerprint changed since
the last refresh. A window's fingerprint is a hash of its cells and summaries, the window width and the reference, so
it changes with any prediction, label or value of the window (a swap between two rows of one timestamp included).

Example:
    >>> agg = aggregate(tbl, spec, window)  # doctest: +SKIP
    >>> sorted(agg.windows)[:3]  # doctest: +SKIP
    [490896, 490897, 490898]
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pixeltable as pxt
from pixeltable import functions as pxtf
from pixeltable.functions import math as pxt_math

from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.config import Reference, Window
from pxwidgets.patterns.incremental.errors import InvalidReferenceError, NoReferenceRowsError
from pxwidgets.patterns.incremental.store import Spec, get_table

count: Any = pxtf.count
"""Pixeltable's ``count`` aggregate (typed loosely: its stub takes no arguments)."""
pxt_sum: Any = pxtf.sum


@dataclass
class WindowCounts:
    """What the aggregation query says about one window: its confusion cells and numeric summaries."""

    bucket: int
    cells: dict[tuple[Hashable, Hashable], int] = field(default_factory=dict)
    """``(prediction, truth) -> rows``; ``None`` stands for a missing value."""
    sums: dict[str, list[float]] = field(default_factory=dict)
    """Per numeric column: ``[count of non-null, sum]`` (the sum is NaN if any value is NaN)."""
    total: int = 0
    """Rows in the window."""
    marks: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    """Per cell and numeric column: ``(prediction, truth, column, count, 'sum|mark|mark')``, the summaries of the
    values the fingerprint is made of (see :func:`aggregate`)."""

    @property
    def rows(self) -> int:
        return self.total

    @property
    def pending(self) -> int:
        return sum(n for (p, g), n in self.cells.items() if g is None and p is not None)

    @property
    def unpredicted(self) -> int:
        return sum(n for (p, _), n in self.cells.items() if p is None)

    def labeled_cells(self) -> dict[tuple[Hashable, Hashable], int]:
        return {(p, g): n for (p, g), n in self.cells.items() if p is not None and g is not None}

    def predictions(self) -> dict[Hashable, int]:
        """Rows per predicted class (rows without a prediction left out)."""
        return _marginal(self.cells, 0)

    def labels(self) -> dict[Hashable, int]:
        """Rows per true class (rows still waiting for their label left out)."""
        return _marginal(self.cells, 1)

    def digest(self) -> str:
        """A hash of everything the window's statistics depend on: its confusion cells, and per cell the count,
        sum and value marks of each numeric column."""
        cells = sorted([repr(p), repr(g), n] for (p, g), n in self.cells.items())
        data = json.dumps([self.total, cells, sorted(self.marks)])
        return hashlib.sha256(data.encode()).hexdigest()[:24]


def _marginal(cells: Mapping[tuple[Hashable, Hashable], int], axis: int) -> dict[Hashable, int]:
    out: dict[Hashable, int] = defaultdict(int)
    for pair, n in cells.items():
        if pair[axis] is not None:
            out[pair[axis]] += n
    return dict(out)


@dataclass
class Aggregate:
    """The aggregation of a whole table: counts per window, rows outside any window."""

    windows: dict[int, WindowCounts]
    unplaced: int
    """Rows without a window key (missing timestamp or order value)."""
    future: int = 0
    """Rows whose timestamp lies in the future (more than ``FUTURE_TOLERANCE`` ahead): left out of every window,
    so that one wrong clock cannot close the windows before it."""


def key_expr(tbl: pxt.Table, spec: Spec, window: Window) -> Any:
    """The stored integer column windows are cut from (epoch seconds, or the order column)."""
    column = spec.key if window.kind == 'time' else spec.order
    assert column is not None
    return tbl[column]


FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
"""Timestamps later than now by more than this are 'in the future' (clock skew allowance)."""

MARK_SCALES = (1_414_213.562_373_095, 0.000_618_033_988_749_895)
"""Each value ``v`` of a numeric column is marked by ``exp(f)``, ``f`` the fractional part of ``v * scale`` (one
scale for small values, one for large; irrational-looking, so that values with few decimals do not land on the same
fractions). The sum of the marks over a cell changes when any value changes, even when the count and the sum stay (a
swap of values between rows, two changes that cancel out). Not a polynomial: the sum of the fractions moves only by
whole numbers when the sum of the values stays, and sums of squares agree on sets such as {1, 5, 6} and {2, 3, 7}."""


def _numeric_columns(tbl: pxt.Table, spec: Spec) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for i, col in enumerate(spec.numeric):
        value = tbl[col]
        columns[f'c{i}'] = count(value)
        columns[f's{i}'] = pxt_sum(value)
        for j, scale in enumerate(MARK_SCALES):
            scaled = value * scale
            columns[f'm{i}_{j}'] = pxt_sum(pxt_math.exp(scaled - pxt_math.floor(scaled)))
    return columns


def _round(value: Any) -> str:
    # Postgres adds floats in no fixed order, so the last bits vary between queries: 9 significant digits
    return f'{float("nan") if value is None else float(value):.9g}'


def _add_numeric(wc: WindowCounts, spec: Spec, row: Mapping[str, Any]) -> None:
    for i, col in enumerate(spec.numeric):
        c, s = int(row[f'c{i}'] or 0), row[f's{i}']
        acc = wc.sums.setdefault(col, [0.0, 0.0])
        acc[0] += float(c)
        acc[1] += float('nan') if s is None and c else float(s or 0.0)
        if c:
            marks = '|'.join(_round(row[k]) for k in (f's{i}', *(f'm{i}_{j}' for j in range(len(MARK_SCALES)))))
            wc.marks.append((repr(row['p']), repr(row['g']), col, c, marks))


def aggregate(tbl: pxt.Table, spec: Spec, window: Window) -> Aggregate:
    """Every window's confusion cells and numeric summaries in one ``group_by(key // width, prediction, truth)``
    query (rows without a key: the window ``None``).

    Per cell it counts the rows, and per numeric column the non-null values, their sum and the sums of their
    marks (:data:`MARK_SCALES`), all computed in the database; a window's fingerprint is made of these, so it
    changes whenever a prediction, a label or a value of the window does. Only windows whose fingerprint changed
    have their values fetched (:func:`window_values`).
    """
    key = key_expr(tbl, spec, window)
    bucket = key // window.width
    pred, truth = tbl[spec.prediction], tbl[spec.ground_truth]
    every = count(key == None)  # noqa: E711  (a boolean, never null: counts every row of the group)
    windows: dict[int, WindowCounts] = {}
    unplaced = 0
    columns = {'b': bucket, 'p': pred, 'g': truth, 'n': every, **_numeric_columns(tbl, spec)}
    for row in tbl.group_by(bucket, pred, truth).select(**columns).collect():
        if row['b'] is None:  # no timestamp (or order value): in no window
            unplaced += int(row['n'])
            continue
        b = int(row['b'])
        wc = windows.setdefault(b, WindowCounts(b))
        wc.cells[(row['p'], row['g'])] = int(row['n'])
        wc.total += int(row['n'])
        _add_numeric(wc, spec, row)
    future = 0
    if window.kind == 'time':
        limit = int((datetime.datetime.now(tz=datetime.UTC) + FUTURE_TOLERANCE).timestamp())
        for b in [b for b in windows if b * window.width > limit]:
            future += windows.pop(b).rows
    return Aggregate(windows, unplaced, future)


@dataclass
class ReferenceData:
    """The reference distributions: category counts (predictions, labels) and numeric values."""

    description: str
    predictions: dict[Hashable, int]
    labels: dict[Hashable, int]
    numeric: dict[str, np.ndarray]
    digest: str
    bucket: int | None = None
    """The reference window, when the reference is one of the windows."""
    source: pxt.Table | None = None
    where: Any = None
    exact: bool = False
    """Whether ``digest`` also covers the numeric values (so cached values can be reused while it holds)."""
    buckets: tuple[int, ...] = ()
    """The windows the reference is made of (window references and whole-window ranges): its counts are theirs."""

    def load_counts(self, agg: Aggregate) -> None:
        """The category counts of a reference made of windows, from their cells."""
        if not self.buckets:
            return
        predictions: dict[Hashable, int] = defaultdict(int)
        labels: dict[Hashable, int] = defaultdict(int)
        for b in self.buckets:
            wc = agg.windows[b]
            for k, n in wc.predictions().items():
                predictions[k] += n
            for k, n in wc.labels().items():
                labels[k] += n
        self.predictions, self.labels = dict(predictions), dict(labels)

    def load_values(self, spec: Spec) -> None:
        """Fetch the reference's numeric values (one query), once."""
        if self.source is not None and spec.numeric and not self.numeric:
            self.numeric = _values(self.source, spec, self.where)


def _counts(source: pxt.Table, where: Any, column: Any) -> dict[Hashable, int]:
    cond = column != None  # noqa: E711
    rows = source.where(cond if where is None else where & cond).group_by(column).select(v=column, n=count(column))
    return {r['v']: int(r['n']) for r in rows.collect()}


def _epoch(iso: str | None) -> int:
    assert iso is not None
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def reference_data(
    tbl: pxt.Table, spec: Spec, window: Window, ref: Reference, agg: Aggregate, *, with_values: bool = True
) -> ReferenceData:
    """Read the reference's distributions (numeric values only if ``with_values``).

    Raises:
        NoReferenceRowsError: If it selects no rows.
        InvalidReferenceError: If it cannot apply (a time reference on row windows, a snapshot of another table).
    """
    key = key_expr(tbl, spec, window)
    if ref.kind in ('first', 'window'):
        if ref.kind == 'first':
            if not agg.windows:
                raise NoReferenceRowsError('the first window')
            bucket = min(agg.windows)
        elif ref.bucket is not None:
            bucket = ref.bucket
        else:
            if window.kind != 'time':
                raise InvalidReferenceError('A reference given by its start time needs time windows.')
            bucket = _epoch(ref.start) // window.width
        wc = agg.windows.get(bucket)
        if wc is None or wc.rows == 0:
            raise NoReferenceRowsError(f'{ref.describe()}, window {window.label(bucket)}')
        lo, hi = bucket * window.width, (bucket + 1) * window.width
        digest = f'w{window.width}:{bucket}:{wc.digest()}'
        data = ReferenceData(ref.describe(), {}, {}, {}, digest, bucket, tbl, (key >= lo) & (key < hi), True, (bucket,))
        if with_values:
            data.load_values(spec)
        return data
    if ref.kind == 'range':
        if window.kind != 'time' or spec.key is None:
            raise InvalidReferenceError('A reference date range needs a timestamp column.')
        lo, hi = _epoch(ref.start), _epoch(ref.end)
        source, where = tbl, (key >= lo) & (key < hi)
        # the digests of the windows the range overlaps cover its values too
        overlapped = [
            wc.digest()
            for b, wc in sorted(agg.windows.items())
            if lo < (b + 1) * window.width and b * window.width < hi
        ]
        if lo % window.width == 0 and hi % window.width == 0:  # whole windows: counts from the aggregation
            inside = tuple(b for b in sorted(agg.windows) if lo // window.width <= b < hi // window.width)
            if not inside:
                raise NoReferenceRowsError(ref.describe())
            digest = 'r:' + hashlib.sha256('|'.join(agg.windows[b].digest() for b in inside).encode()).hexdigest()[:24]
            data = ReferenceData(ref.describe(), {}, {}, {}, digest, None, source, where, True, inside)
            if with_values:
                data.load_values(spec)
            return data
    else:
        assert ref.path is not None
        try:
            source = get_table(ref.path)
        except pxt.Error:
            raise InvalidReferenceError(f'No snapshot at {ref.path!r}.') from None
        missing = [c for c in (spec.prediction, spec.ground_truth, *spec.numeric) if c not in source.columns()]
        if missing:
            raise InvalidReferenceError(f'The reference {ref.path} has no column(s) {", ".join(missing)}.')
        where, overlapped = None, []
    predictions = _counts(source, where, source[spec.prediction])
    labels = _counts(source, where, source[spec.ground_truth])
    if not predictions and not labels:
        raise NoReferenceRowsError(ref.describe())
    digest = hashlib.sha256(
        json.dumps(
            [ref.to_json(), sorted(map(repr, predictions.items())), sorted(map(repr, labels.items())), overlapped]
        ).encode()
    ).hexdigest()[:24]
    data = ReferenceData(ref.describe(), predictions, labels, {}, digest, None, source, where)
    if with_values:
        data.load_values(spec)
    return data


def _values(tbl: pxt.Table, spec: Spec, where: Any) -> dict[str, np.ndarray]:
    if not spec.numeric:
        return {}
    query = tbl if where is None else tbl.where(where)
    rows = query.select(*[tbl[c] for c in spec.numeric]).collect()
    return {c: stats.finite(rows[c]) for c in spec.numeric}


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
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """The numeric values of some windows, window by window, fetched by key range in chunks of :data:`FETCH_ROWS`
    rows (``rows`` gives each window's row count), so that memory stays bounded however large the table grows."""
    wanted = sorted(set(buckets))
    key = key_expr(tbl, spec, window)
    for chunk in chunks(wanted, rows or {}):
        if not spec.numeric:
            yield from ((b, {}) for b in chunk)
            continue
        lo, hi = chunk[0] * window.width, (chunk[-1] + 1) * window.width
        cols = {f'v{i}': tbl[c] for i, c in enumerate(spec.numeric)}
        result = tbl.where((key >= lo) & (key < hi)).select(k=key, **cols).collect()
        keys = np.asarray(result['k'], dtype=np.int64) // window.width if len(result) else np.zeros(0, np.int64)
        numeric = {c: np.asarray(result[f'v{i}'], dtype=object) for i, c in enumerate(spec.numeric)}
        for b in chunk:
            mask = keys == b
            yield b, {c: stats.finite(values[mask]) for c, values in numeric.items()}


def _pairs(counts: Mapping[Hashable, int]) -> list[list[Any]]:
    return [[k, int(n)] for k, n in sorted(counts.items(), key=lambda kv: stats._sort_key(kv[0]))]


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
        refv = ref.numeric.get(col, np.zeros(0))
        test = stats.ks(refv, cur)
        count_non_null, _ = wc.sums.get(col, [0.0, 0.0])
        drift[col] = {
            'ks': None if test is None else test['statistic'],
            'ks_pvalue': None if test is None else test['pvalue'],
            'wasserstein': stats.wasserstein_normed(refv, cur),
            'values': len(cur),
            'reference_values': len(refv),
            'missing': wc.rows - len(cur),
            'nan': int(count_non_null) - len(cur),
        }
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
