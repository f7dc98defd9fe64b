"""The reference windows are compared with: its category counts (predictions, labels) and numeric values, and a
digest that changes whenever they may have changed.

A reference is the first window, one window, a date range (whole windows or not) or a snapshot. Made of windows, its
counts come from their cells; otherwise from two ``group_by`` queries. Its values are fetched once per refresh that
recomputes anything, or taken from the store's cache while the digest holds.

Example:
    >>> ref = reference_data(tbl, spec, window, settings.reference, agg)  # doctest: +SKIP
    >>> ref.description, sorted(ref.predictions.items())[:2]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.aggregate import Aggregate, count, key_expr
from pxwidgets.patterns.incremental.config import Reference, Window
from pxwidgets.patterns.incremental.errors import InvalidReferenceError, NoReferenceRowsError
from pxwidgets.patterns.incremental.store import Spec, get_table


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
    overlaps: tuple[int, ...] = ()
    """The windows that hold rows of the reference (a range off window boundaries included): never pooled with
    other windows in the drift tests."""

    def load_counts(self, agg: Aggregate) -> None:
        """The category counts of a reference made of windows, from their (loaded) cells."""
        if not self.buckets:
            return
        predictions: dict[Hashable, int] = defaultdict(int)
        labels: dict[Hashable, int] = defaultdict(int)
        for b in self.buckets:
            wc = agg.windows[b]
            assert wc.loaded, f'cells of window {b} are not loaded'
            for k, n in wc.predictions().items():
                predictions[k] += n
            for k, n in wc.labels().items():
                labels[k] += n
        self.predictions, self.labels = dict(predictions), dict(labels)

    def load_values(self, spec: Spec) -> None:
        """Fetch the reference's numeric values (one query), once; with a confidence column, also the labeled
        rows' (confidence, correct) pairs the accuracy estimate is calibrated on (under the key ``CALIBRATION``)."""
        if self.source is not None and spec.numeric and not self.numeric:
            self.numeric = _values(self.source, spec, self.where)
        if self.source is not None and spec.confidence is not None and CALIBRATION not in self.numeric:
            self.numeric[CALIBRATION] = _calibration(self.source, spec, self.where)


CALIBRATION = '__calibration__'
"""Key of the reference's ``(2, n)`` array of labeled rows' confidences and correctness (1.0 or 0.0)."""


def _calibration(tbl: pxt.Table, spec: Spec, where: Any) -> np.ndarray:
    assert spec.confidence is not None
    labeled = tbl[spec.correct] != None  # noqa: E711
    query = tbl.where(labeled if where is None else where & labeled)
    rows = query.select(c=tbl[spec.confidence], ok=tbl[spec.correct]).collect()
    pairs = [(float(c), 1.0 if ok else 0.0) for c, ok in zip(rows['c'], rows['ok'], strict=True) if c is not None]
    return np.asarray(pairs, dtype=np.float64).reshape(-1, 2).T


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
        overlaps = tuple(b for b in sorted(agg.windows) if lo < (b + 1) * window.width and b * window.width < hi)
        overlapped = [agg.windows[b].digest() for b in overlaps]
        if lo % window.width == 0 and hi % window.width == 0:  # whole windows: counts from the aggregation
            inside = tuple(b for b in sorted(agg.windows) if lo // window.width <= b < hi // window.width)
            if not inside:
                raise NoReferenceRowsError(ref.describe())
            digest = 'r:' + hashlib.sha256('|'.join(agg.windows[b].digest() for b in inside).encode()).hexdigest()[:24]
            data = ReferenceData(ref.describe(), {}, {}, {}, digest, None, source, where, True, inside, overlaps)
            if with_values:
                data.load_values(spec)
            return data
    else:
        assert ref.path is not None
        try:
            source = get_table(ref.path)
        except pxt.Error:
            raise InvalidReferenceError(f'No snapshot at {ref.path!r}.') from None
        needed = (spec.prediction, spec.ground_truth, *spec.numeric, *([spec.correct] if spec.detections else []))
        missing = [c for c in needed if c not in source.columns()]
        if missing:
            raise InvalidReferenceError(f'The reference {ref.path} has no column(s) {", ".join(missing)}.')
        where, overlapped, overlaps = None, [], ()
    if spec.detections:  # box classes come from the rows' matches, read when the reference is loaded
        rows = int((source if where is None else source.where(where)).count())
        if not rows:
            raise NoReferenceRowsError(ref.describe())
        predictions, labels = {}, {}
        overlapped = [*overlapped, str(rows)]
    else:
        predictions = _counts(source, where, source[spec.prediction])
        labels = _counts(source, where, source[spec.ground_truth])
    if not predictions and not labels and not spec.detections:
        raise NoReferenceRowsError(ref.describe())
    digest = hashlib.sha256(
        json.dumps(
            [ref.to_json(), sorted(map(repr, predictions.items())), sorted(map(repr, labels.items())), overlapped]
        ).encode()
    ).hexdigest()[:24]
    # detections: the digests of the overlapped windows (or a snapshot, which never changes) cover the matches too
    data = ReferenceData(
        ref.describe(), predictions, labels, {}, digest, None, source, where, spec.detections, (), overlaps
    )
    if with_values:
        data.load_values(spec)
    return data


def _values(tbl: pxt.Table, spec: Spec, where: Any) -> dict[str, np.ndarray]:
    if not spec.numeric:
        return {}
    query = tbl if where is None else tbl.where(where)
    rows = query.select(*[tbl[c] for c in spec.numeric]).collect()
    return {c: stats.finite(rows[c]) for c in spec.numeric}
