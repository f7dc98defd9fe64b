"""Every window's summary in one aggregation query inside Pixeltable, and the fingerprint digest made of it.

The summary of a window is what its statistics depend on, reduced to a few numbers computed in the database: for
integer classes the row count, the counts of predictions, labels and labeled rows, and the sums of a *mark* of each
prediction, label and (prediction, label) pair; for string classes the confusion cells themselves; for detections
the count and marks of each row's match digest (a window's statistics are computed from its rows' matches); and per
numeric column the count, sum and marks of its values. A mark is ``exp(frac(x * scale))``: a non-linear, pseudo-random
function, so a sum of marks changes whenever one of the values it covers changes, even when every count and plain
sum stays (a swap of labels between two rows of one timestamp, two changes that cancel out). Only windows whose
digest changed have their rows read again. Nothing here reads a JSON column: Pixeltable would then aggregate every
row of the table in Python, and return one window as several groups in storage order (they are added up here
anyway, before rounding, so that a summary never depends on how rows are stored).

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
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt
from pixeltable import functions as pxtf
from pixeltable.functions import math as pxt_math

from pxwidgets.patterns.incremental.config import Window
from pxwidgets.patterns.incremental.store import Spec

count: Any = pxtf.count
"""Pixeltable's ``count`` aggregate (typed loosely: its stub takes no arguments)."""
pxt_sum: Any = pxtf.sum

FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
"""Timestamps later than now by more than this are 'in the future' (clock skew allowance)."""

CLASS_SCALES = (0.754_877_666_246_692_8, 0.569_840_290_998_053_3)
"""A prediction ``p`` is marked with ``frac(p * CLASS_SCALES[0])``, a label ``g`` with ``frac(g * CLASS_SCALES[1])``,
a pair with ``frac(p * CLASS_SCALES[0] + g * CLASS_SCALES[1])`` (then ``exp``): two irrational-looking scales, so
that (3, 5) and (5, 3) differ, and small enough that class numbers up to about 10**9 keep their fractions."""

VALUE_SCALES = (1_414_213.562_373_095, 0.000_618_033_988_749_895)
"""A numeric value ``v`` is marked with ``exp(frac(v * scale))`` for each scale: one for small values, one for large
(irrational-looking, so that values with few decimals do not land on the same fractions). Not a polynomial: sums of
fractions move only by whole numbers when the sum of the values stays, and sums of squares agree on {1, 5, 6} and
{2, 3, 7}."""


def mark(x: Any) -> Any:
    """``exp(frac(x))`` as a Pixeltable expression (computed in SQL)."""
    return pxt_math.exp(x - pxt_math.floor(x))


def _round(value: Any) -> str:
    # Postgres adds floats in no fixed order, so the last bits vary between queries: 9 significant digits
    return f'{float("nan") if value is None else float(value):.9g}'


@dataclass
class WindowCounts:
    """What the aggregation query says about one window: a summary always, the confusion cells once loaded."""

    bucket: int
    cells: dict[tuple[Hashable, Hashable], int] = field(default_factory=dict)
    """``(prediction, truth) -> rows``; ``None`` stands for a missing value (loaded by :func:`fill_cells`)."""
    sums: dict[str, list[float]] = field(default_factory=dict)
    """Per numeric column: ``[count of non-null, sum]`` (the sum is NaN if any value is NaN)."""
    total: int = 0
    """Rows in the window."""
    summary: list[Any] = field(default_factory=list)
    """What :meth:`digest` hashes: counts and rounded sums of marks (integer classes), or the cells (string
    classes); and per numeric column (per cell for string classes) its count and the rounded sums of its values and
    marks."""
    loaded: bool = False
    """Whether ``cells`` holds the window's confusion cells."""
    by_cell: bool = False
    """Whether the summary is per confusion cell (string classes), else one entry of counts and marks first."""

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

    def pooled_digest(self) -> str:
        """A hash of what the pooled drift tests of the windows after this one read of it: its predictions and
        numeric values, not its labels (late labels then change only their own window). String classes: their
        numeric sums are kept per cell, so a label moved there changes this digest too."""
        if self.by_cell:  # string classes: the cells come with the summary
            head: list[Any] = sorted(map(repr, self.predictions().items()))
            rest = self.summary
        else:  # integer classes: [np, ng, npg, mp, mg, mpg] then the numeric columns' entries
            head = [self.summary[0][0], self.summary[0][3]] if self.summary else []
            rest = self.summary[1:]
        data = json.dumps([self.total, head, sorted(rest, key=repr)], default=repr)
        return hashlib.sha256(data.encode()).hexdigest()[:24]

    def digest(self) -> str:
        """A hash of what the window's statistics depend on: its summary (whether or not its cells are loaded)."""
        data = json.dumps([self.total, sorted(self.summary, key=repr)], default=repr)
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


def _numeric_columns(tbl: pxt.Table, spec: Spec) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for i, col in enumerate(spec.numeric):
        value = tbl[col]
        columns[f'c{i}'] = count(value)
        columns[f's{i}'] = pxt_sum(value)
        for j, scale in enumerate(VALUE_SCALES):
            columns[f'm{i}_{j}'] = pxt_sum(mark(value * scale))
    return columns


def _add_numeric(wc: WindowCounts, spec: Spec, row: Mapping[str, Any], cell: tuple[Any, ...]) -> None:
    for i, col in enumerate(spec.numeric):
        c, s = int(row[f'c{i}'] or 0), row[f's{i}']
        acc = wc.sums.setdefault(col, [0.0, 0.0])
        acc[0] += float(c)
        acc[1] += float('nan') if s is None and c else float(s or 0.0)
        if c:
            sums = [_round(row[k]) for k in (f's{i}', *(f'm{i}_{j}' for j in range(len(VALUE_SCALES))))]
            wc.summary.append([*map(repr, cell), col, c, *sums])


def _merged(rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per group: Pixeltable computes aggregates it cannot run in SQL (the marks) in Python over runs of rows
    in storage order, so one group can come back as several rows. Their counts and sums are added here, before any
    rounding, so that a window's summary depends on its rows and not on how they are stored."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        group = tuple(row[k] for k in keys)
        acc = out.get(group)
        if acc is None:
            out[group] = dict(row)
            continue
        for name, value in row.items():
            if name not in keys and value is not None:
                acc[name] = value if acc[name] is None else acc[name] + value
    return list(out.values())


def bucket_ranges(buckets: Iterable[int]) -> list[tuple[int, int]]:
    """Runs of consecutive windows as ``(first, last + 1)`` pairs.

    Example:
        >>> bucket_ranges([7, 3, 4, 5, 9])
        [(3, 6), (7, 8), (9, 10)]
    """
    out: list[tuple[int, int]] = []
    for b in sorted(set(buckets)):
        if out and out[-1][1] == b:
            out[-1] = (out[-1][0], b + 1)
        else:
            out.append((b, b + 1))
    return out


def aggregate(tbl: pxt.Table, spec: Spec, window: Window, only: Iterable[int] | None = None) -> Aggregate:
    """Every window's summary in one query: ``group_by(key // width)`` for integer classes (one row per window),
    ``group_by(key // width, prediction, truth)`` for string classes (their cells come with it). Rows without a key
    fall in the group ``None``.

    With ``only``, just those windows are aggregated (their key ranges, which the key's index finds) and rows
    without a key are not counted (``unplaced`` is 0).

    For integer classes the confusion cells are read later, only for windows that changed (:func:`fill_cells`, or
    with their values).
    """
    key = key_expr(tbl, spec, window)
    bucket = key // window.width
    source: Any = tbl
    if only is not None:
        ranges = bucket_ranges(only)
        if not ranges:
            return Aggregate({}, 0, 0)
        conds = [(key >= lo * window.width) & (key < hi * window.width) for lo, hi in ranges]
        cond = conds[0]
        for c in conds[1:]:
            cond = cond | c
        source = tbl.where(cond)
    pred, truth = tbl[spec.prediction], tbl[spec.ground_truth]
    every = count(key == None)  # noqa: E711  (a boolean, never null: counts every row of the group)
    windows: dict[int, WindowCounts] = {}
    unplaced = 0
    if spec.detections:
        # the per-row digest of each match stands for the row: a window's statistics are computed from its rows'
        # matches alone, and a row without a prediction has no match (no digest). Nothing here reads the JSON
        # columns: a count over one of them makes Pixeltable aggregate the whole table in Python.
        assert spec.digest is not None
        h = tbl[spec.digest]
        marks = {'mh': pxt_sum(mark(h)), 'mh2': pxt_sum(mark(h * VALUE_SCALES[0]))}
        counts = {'nh': count(h)}
        columns = {'b': bucket, 'n': every, **counts, **marks, **_numeric_columns(tbl, spec)}
        query = source.group_by(bucket).select(**columns)
    elif spec.label_type == 'int':
        p, g = pred * CLASS_SCALES[0], truth * CLASS_SCALES[1]
        marks = {'mp': pxt_sum(mark(p)), 'mg': pxt_sum(mark(g)), 'mpg': pxt_sum(mark(p + g))}
        counts = {'np': count(pred), 'ng': count(truth), 'npg': count(p + g)}
        columns = {'b': bucket, 'n': every, **counts, **marks, **_numeric_columns(tbl, spec)}
        query = source.group_by(bucket).select(**columns)
    else:
        columns = {'b': bucket, 'p': pred, 'g': truth, 'n': every, **_numeric_columns(tbl, spec)}
        query = source.group_by(bucket, pred, truth).select(**columns)
    for row in _merged(
        query.collect(), ('b', 'p', 'g') if spec.label_type == 'string' and not spec.detections else ('b',)
    ):
        if row['b'] is None:  # no timestamp (or order value): in no window
            unplaced += int(row['n'])
            continue
        b = int(row['b'])
        by_cell = spec.label_type == 'string' and not spec.detections
        wc = windows.setdefault(b, WindowCounts(b, loaded=by_cell, by_cell=by_cell))
        wc.total += int(row['n'])
        if wc.loaded:
            wc.cells[(row['p'], row['g'])] = int(row['n'])
            wc.summary.append([repr(row['p']), repr(row['g']), int(row['n'])])
            _add_numeric(wc, spec, row, (row['p'], row['g']))
        else:
            wc.summary.append([*(int(row[k]) for k in counts), *(_round(row[k]) for k in marks)])
            _add_numeric(wc, spec, row, ())
    future = 0
    if window.kind == 'time':
        limit = int((datetime.datetime.now(tz=datetime.UTC) + FUTURE_TOLERANCE).timestamp())
        for b in [b for b in windows if b * window.width > limit]:
            future += windows.pop(b).rows
    return Aggregate(windows, unplaced, future)


def fill_cells(tbl: pxt.Table, spec: Spec, window: Window, agg: Aggregate, buckets: Iterable[int]) -> None:
    """Load the confusion cells of some windows (one ``group_by`` over just those windows); detections have none
    (their windows' rows are read with their matches)."""
    if spec.detections:
        return
    wanted = sorted(b for b in set(buckets) if b in agg.windows and not agg.windows[b].loaded)
    if not wanted:
        return
    key = key_expr(tbl, spec, window)
    bucket = key // window.width
    pred, truth = tbl[spec.prediction], tbl[spec.ground_truth]
    query = tbl.where(bucket.isin(wanted)).group_by(bucket, pred, truth)
    for b in wanted:
        agg.windows[b].cells.clear()
    for row in query.select(b=bucket, p=pred, g=truth, n=count(key == None)).collect():  # noqa: E711
        agg.windows[int(row['b'])].cells[(row['p'], row['g'])] = int(row['n'])
    for b in wanted:
        agg.windows[b].loaded = True
