"""Refresh: bring an evaluation's window table up to date with the evaluated table, and raise new alerts.

One aggregation query (:func:`~pxwidgets.patterns.incremental.aggregate.aggregate`) gives every window's fingerprint;
after the first refresh of a session, it aggregates only the windows whose rows were inserted, updated or deleted
since the last refresh (found from Pixeltable's row versions), and keeps the other windows' summaries. Only windows
whose fingerprint changed (or that are new) are recomputed, with their values fetched by key range, and
written in one upsert. Drift limits of the sample-size rule (:mod:`~pxwidgets.patterns.incremental.nulls`) are kept
in the settings row's state, per reference, so each is estimated once. When neither the table's version nor the
settings changed since the last complete refresh, nothing is read beyond the settings row.

The window column has a B-tree index (:func:`index_window_column`), so that reading a few windows by key range
reads just their rows, whatever the table's size; the reads run in one read transaction; and the stored windows and
alert ids a refresh read or wrote are kept for the next one while no other session writes those tables.

Example:
    >>> result = refresh(tbl, store, table_version(tbl))  # doctest: +SKIP
    >>> result.changed  # doctest: +SKIP
    [490897]
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.patterns.incremental import alerts as alert_rules
from pxwidgets.patterns.incremental import detections
from pxwidgets.patterns.incremental import windows as win
from pxwidgets.patterns.incremental.aggregate import Aggregate, aggregate, fill_cells
from pxwidgets.patterns.incremental.config import DEFAULT_THRESHOLDS, Window
from pxwidgets.patterns.incremental.nulls import POOLS, NullLimits
from pxwidgets.patterns.incremental.reference import ReferenceData, reference_data
from pxwidgets.patterns.incremental.store import Store
from pxwidgets.tables.internals import changed_buckets, has_btree_index, read_transaction

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``."""

ALERT_COLUMNS = (
    'bucket',
    'width',
    'label',
    'start',
    'rows',
    'labeled',
    'correct',
    'accuracy',
    'f1',
    'drift',
    'fingerprint',
)
"""The window-table columns a refresh reads: fingerprints, and what the alert rules look at."""


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did.

    Attributes:
        changed: Windows (buckets) recomputed because their rows, the window size or the reference changed.
        removed: Windows dropped from the window table (no rows any more, or another window size).
        unchanged: Windows whose stored statistics still held.
        alerts: Alerts raised by this refresh (each alert is raised once).
        unplaced: Rows outside every window (missing timestamp or order value).
        future: Rows left out because their timestamp is in the future.
        version: The evaluated table's version the refresh read.
        seconds: Wall time.
    """

    changed: list[int]
    removed: list[int]
    unchanged: int
    alerts: list[dict[str, Any]]
    unplaced: int
    version: int
    seconds: float
    future: int = 0


def refresh(
    tbl: pxt.Table, store: Store, version: int, progress: ProgressCallback | None = None, *, force: bool = False
) -> RefreshResult:
    """Bring the window table up to date with the evaluated table, and raise new alerts.

    When neither the table's version nor the settings changed since the last complete refresh, nothing is
    read beyond the settings row. Otherwise one aggregation query finds every window's fingerprint; windows whose
    cells, values, width or reference changed are recomputed (their numeric values fetched by key range) and
    written in one upsert; the rest are kept as stored.

    Args:
        tbl: The evaluated table.
        store: The evaluation's own tables.
        version: The evaluated table's version now.
        progress: ``progress(done, total, message)`` between steps (it may raise to cancel: nothing is written
            before the windows are all computed).
        force: Recompute every window even if nothing seems to have changed.
    """
    start = datetime.datetime.now()
    report = progress or (lambda done, total, message: None)
    spec = store.spec
    settings, state = store.read()
    settings_key = hashlib.sha256(json.dumps(settings.to_json(), sort_keys=True).encode()).hexdigest()[:16]
    if not force and state.get('version') == version and state.get('settings') == settings_key:
        return RefreshResult(
            [],
            [],
            int(state.get('windows', 0)),
            [],
            int(state.get('unplaced', 0)),
            version,
            _elapsed(start),
            int(state.get('future', 0)),
        )
    w = settings.window
    report(0, 4, 'aggregating windows')
    in_xact = settings.reference.kind != 'snapshot'
    with _reading(tbl, store, in_xact):
        agg = _aggregate(tbl, store, w, state, version, force)
        stored = store.stored_windows(ALERT_COLUMNS, cached=in_xact)
        changed: list[int] = []
        removed = sorted(set(stored) - set(agg.windows))
        nulls: dict[str, Any] = dict(state.get('nulls') or {})
        rows: list[dict[str, Any]] = []
        candidates: list[dict[str, Any]] = []
        known: set[str] = set()
        limits = None
        if agg.windows:
            ref = reference_data(tbl, spec, w, settings.reference, agg, with_values=False)
            alpha = float(settings.thresholds.get('false_alarm_rate') or DEFAULT_THRESHOLDS['false_alarm_rate'])
            before = _before(agg, ref, spec.detections)
            pools = {b: ','.join(agg.windows[p].pooled_digest() for p in before[b]) for b in agg.windows}
            prints = {b: win.fingerprint(wc, w, ref, f'fa{alpha:g}|{pools[b]}') for b, wc in agg.windows.items()}
            limits = NullLimits(nulls, ref.digest, alpha)
            changed = sorted(
                b for b, fp in prints.items() if force or b not in stored or stored[b]['fingerprint'] != fp
            )
            if changed:
                report(1, 4, f'recomputing {len(changed)} window(s)')
                _load_reference(tbl, store, ref, agg, w)
                now = datetime.datetime.now(tz=datetime.UTC)
                sizes = {b: agg.windows[b].rows for b in agg.windows}
                rows_of = _window_rows(tbl, store, w, ref, agg, changed, sizes, prints, now, limits, before)
                for i, row in enumerate(rows_of):
                    rows.append(row)
                    if i % 20 == 19:
                        report(1, 4, f'recomputed {i + 1} of {len(changed)} windows')
                report(2, 4, 'writing windows')
            current = {b: r for b, r in stored.items() if b in agg.windows}
            current.update({int(r['bucket']): r for r in rows})
            candidates = alert_rules.alert_candidates(
                list(current.values()), settings.thresholds, reference_bucket=ref.bucket
            )
            known = store.alert_ids(cached=in_xact) if candidates else set()
    raised: list[dict[str, Any]] = []
    if not agg.windows:
        store.replace_windows([], removed)
    else:
        if changed or removed:
            store.replace_windows(rows, removed)
        report(3, 4, 'checking alerts')
        raised = alert_rules.new_alerts(candidates, known, datetime.datetime.now(tz=datetime.UTC))
        store.add_alerts(raised)
        assert limits is not None
        nulls = limits.prune()
    store.save_state(
        {
            'version': version,
            'settings': settings_key,
            'windows': len(agg.windows),
            'unplaced': agg.unplaced,
            'future': agg.future,
            'nulls': nulls,
        }
    )
    store.aggregate_cache = (version, w, agg)
    report(4, 4, 'done')
    return RefreshResult(
        changed,
        removed,
        len(agg.windows) - len(changed),
        raised,
        agg.unplaced,
        version,
        _elapsed(start),
        agg.future,
    )


def index_window_column(tbl: pxt.Table, store: Store) -> bool:
    """Give the column windows are cut from (the window key, or the order column) a B-tree index, once: every
    refresh after a change reads the rows of a few windows by key range, and without an index Postgres reads the
    whole table for each such query. Evaluations made since this index exist have it from their creation; an older
    one gets it at its first refresh in a session (one pass over the table, like that refresh's full aggregation).
    Returns whether the column is indexed (``False`` if Pixeltable refused: the refresh works, only slower).

    Example:
        >>> index_window_column(tbl, store)  # doctest: +SKIP
        True
    """
    if store.window_index_checked:
        return True
    spec = store.spec
    done = True
    for column in {c for c in (spec.key, spec.order) if c is not None}:
        if has_btree_index(tbl, column):
            continue
        try:
            tbl.add_btree_index(column, if_exists='ignore')
        except pxt.Error:
            done = False
    store.window_index_checked = True
    return done


def _reading(tbl: pxt.Table, store: Store, in_xact: bool) -> contextlib.AbstractContextManager[Any]:
    """One read transaction around a refresh's reads (the evaluated table and the evaluation's own tables): without
    it every query validates the catalog again. Not with a snapshot as the reference (``in_xact=False``), whose
    table is opened on the way (Pixeltable loads no new table metadata inside a transaction)."""
    if not in_xact:
        return contextlib.nullcontext()
    return read_transaction([tbl, store.settings_table, store.windows_table, store.alerts_table])


def _aggregate(tbl: pxt.Table, store: Store, w: Window, state: dict[str, Any], version: int, force: bool) -> Aggregate:
    """Every window's summary: the last refresh's, with the windows whose rows changed since its table version
    aggregated again (one query over their key ranges); a full aggregation when there is no such refresh in this
    session, the window changed, rows lay in the future then, or the store cannot say which rows changed."""
    spec = store.spec
    cached = store.aggregate_cache
    if force or cached is None or cached[0] != state.get('version') or cached[1] != w or cached[2].future:
        return aggregate(tbl, spec, w)
    column = spec.key if w.kind == 'time' else spec.order
    touched = None if column is None else changed_buckets(tbl, column, w.width, cached[0])
    if column is None or touched is None:
        return aggregate(tbl, spec, w)
    old: Aggregate = cached[2]
    part = aggregate(tbl, spec, w, only=[b for b in touched if b is not None])
    windows = {b: wc for b, wc in old.windows.items() if b not in touched}
    windows.update(part.windows)
    unplaced = old.unplaced
    if None in touched:  # rows without a key changed: count them again (the key's index finds them)
        key = tbl[column]
        unplaced = int(tbl.where(key == None).count())  # noqa: E711
    return Aggregate(dict(sorted(windows.items())), unplaced, part.future)


def _before(agg: Aggregate, ref: ReferenceData, spec_detections: bool = False) -> dict[int, list[int]]:
    """For each window, the windows its pooled drift tests add to it: the ``max(POOLS) - 1`` windows with rows before
    it (latest first), the reference's own windows left out (none for detections, whose drift is not pooled)."""
    skip = {*ref.buckets, *ref.overlaps}
    if spec_detections:
        return {b: [] for b in agg.windows}
    eligible = [b for b in sorted(agg.windows) if b not in skip]
    depth = max(POOLS) - 1
    out: dict[int, list[int]] = {b: [] for b in agg.windows}
    for i, b in enumerate(eligible):
        out[b] = eligible[max(0, i - depth) : i][::-1]
    return out


def _window_rows(
    tbl: pxt.Table,
    store: Store,
    w: Window,
    ref: ReferenceData,
    agg: Aggregate,
    changed: list[int],
    sizes: dict[int, int],
    prints: dict[int, str],
    now: datetime.datetime,
    limits: NullLimits,
    before: dict[int, list[int]],
) -> Iterator[dict[str, Any]]:
    """The window-table rows of the changed windows, read window by window, with the windows before each that its
    pooled drift tests need: from the store's cache of the latest windows while their digest holds, else read too
    (at most ``max(POOLS) - 1`` more windows per changed one)."""
    spec = store.spec
    if spec.detections:
        for b, values, cells, matches in detections.window_matches(tbl, spec, w, changed, sizes):
            wc = agg.windows[b]
            wc.cells, wc.loaded = cells, True
            yield detections.window_row(wc, w, ref, values, matches, prints[b], now, limits)
        return
    cache = {b: v for b, v in store.pool_cache.items() if b in agg.windows and v[0] == agg.windows[b].pooled_digest()}
    wanted = set(changed) | {p for b in changed for p in before[b] if p not in cache}
    latest = set(sorted(b for b in agg.windows if b not in {*ref.buckets, *ref.overlaps})[-max(POOLS) :])
    pending = sorted(changed)
    got: dict[int, tuple[str, dict[str, np.ndarray], dict[Any, int]]] = dict(cache)
    for b, values, cells in win.window_values(tbl, spec, w, sorted(wanted), sizes):
        wc = agg.windows[b]
        got[b] = (wc.pooled_digest(), values, cells)
        if b in latest:
            store.pool_cache[b] = got[b]
        if b not in changed:
            continue
        wc.cells, wc.loaded = cells, True
        earlier = [(got[p][1], got[p][2]) for p in before[b]]
        yield win.window_row(wc, w, ref, values, prints[b], now, limits, spec.confidence, earlier)
        pending.remove(b)
        keep = min((min(before[c], default=c) for c in pending), default=None)  # what later windows still need
        for k in [k for k in got if keep is None or k < keep]:
            del got[k]
    store.pool_cache = {b: v for b, v in store.pool_cache.items() if b in latest}


def _load_reference(tbl: pxt.Table, store: Store, ref: ReferenceData, agg: Aggregate, w: Window) -> None:
    """Load the reference's counts and values: from the store's cache while its digest (which covers its cells and
    values) still holds, else from the aggregation (the cells of its windows) and the table (its values)."""
    spec = store.spec
    cache = store.reference_cache
    cached = ref.exact and cache is not None and cache[0] == ref.digest
    if cached:
        assert cache is not None
        ref.predictions, ref.labels, ref.numeric = cache[1]['predictions'], cache[1]['labels'], cache[1]['values']
        return
    if spec.detections:
        detections.load_reference(ref, spec)
    else:
        fill_cells(tbl, spec, w, agg, ref.buckets)
        ref.load_counts(agg)
        ref.load_values(spec)
    # sorted: the rows come in the query plan's order (storage order, or the window key's index order); the limits
    # sort by themselves, but the statistics' float sums (the reference's standard deviation) would differ in the
    # last digit with the order
    ref.numeric = {k: np.sort(v) if np.ndim(v) == 1 else v for k, v in ref.numeric.items()}
    if ref.exact:
        store.reference_cache = (
            ref.digest,
            {'predictions': ref.predictions, 'labels': ref.labels, 'values': ref.numeric},
        )


def _elapsed(start: datetime.datetime) -> float:
    return (datetime.datetime.now() - start).total_seconds()
