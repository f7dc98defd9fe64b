"""A refresh sees every change a window's statistics depend on, even one that keeps the window's totals.

Each test changes rows so that the window's row count, its counts of predictions and labels and the sums of its
numeric column stay the same, and checks that ``refresh()`` (not forced) recomputes the window and stores what a
forced refresh computes.
"""

from __future__ import annotations

import datetime
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.patterns.incremental import IncrementalEvaluation
from tests.support.incremental import SCHEMA

T0 = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)
HOUR = 3600
_H = datetime.timedelta(hours=1)
METRICS = ('rows', 'pending', 'labeled', 'correct', 'accuracy', 'f1', 'confusion', 'predictions', 'labels', 'drift')


def _row(i: int, hour: float, prediction: int | None, label: int | None, confidence: float | None) -> dict[str, Any]:
    ts = T0 + datetime.timedelta(hours=hour)
    return {'id': i, 'ts': ts, 'digit': i, 'prediction': prediction, 'confidence': confidence, 'label': label}


def _windows(ev: IncrementalEvaluation) -> dict[int, dict[str, Any]]:
    return {int(r['bucket']): {k: r[k] for k in METRICS} for r in ev.to_pandas().to_dict('records')}


def _refresh_matches_forced(ev: IncrementalEvaluation, bucket: int) -> dict[str, Any]:
    """Refresh; the window must be recomputed and equal what a forced refresh stores. Returns the window."""
    result = ev.refresh()
    assert bucket in result.changed, f'window {bucket} not seen as changed: {result}'
    seen = _windows(ev)
    ev.refresh(force=True)
    assert _windows(ev) == seen
    return seen[bucket]


@pytest.mark.parametrize(
    ('rows', 'swap', 'accuracy'),
    [
        # issue 15, finding 1: rows 1 and 2 share a timestamp; swapping their labels keeps every count and sum
        ([(1, 0.5, 3, 3), (2, 0.5, 5, 5), (3, 0.7, 1, 2)], [{'id': 1, 'label': 5}, {'id': 2, 'label': 3}], 0 / 3),
        (
            [(1, 0.5, 3, 3), (2, 0.5, 5, 5), (3, 0.5, 7, 7)],
            [{'id': 1, 'prediction': 5}, {'id': 2, 'prediction': 3}],
            1 / 3,
        ),
    ],
    ids=['labels', 'predictions'],
)
def test_a_swap_between_rows_of_one_timestamp_changes_the_window(
    pxt_dir: str, rows: list[tuple[int, float, int, int]], swap: list[dict[str, Any]], accuracy: float
) -> None:
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert([_row(i, hour, p, g, 0.9) for i, hour, p, g in rows])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h')
    ev.refresh()
    bucket = int(T0.timestamp()) // HOUR
    before = _windows(ev)[bucket]['accuracy']
    tbl.batch_update(swap)
    window = _refresh_matches_forced(ev, bucket)
    assert window['accuracy'] == pytest.approx(accuracy)
    assert before != pytest.approx(accuracy)


def test_numeric_values_changed_with_the_same_count_and_sum_change_the_drift(pxt_dir: str) -> None:
    """The window's values go from {0.1, 0.5, 0.6} to {0.2, 0.3, 0.7}: same count, sum and sum of squares."""
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    reference = [_row(10 + i, 0.1 * i, 1, 1, 0.05 * i) for i in range(8)]  # the first hour: the reference
    current = [_row(1, 1.5, 1, 1, 0.1), _row(2, 1.5, 1, 1, 0.5), _row(3, 1.5, 1, 1, 0.6)]
    tbl.insert(reference + current)
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', numeric=['confidence'], window='1h')
    ev.refresh()
    bucket = int(T0.timestamp()) // HOUR + 1
    before = _windows(ev)[bucket]['drift']['confidence']['ks']
    assert before == pytest.approx(2 / 3)
    tbl.batch_update([{'id': 1, 'confidence': 0.2}, {'id': 2, 'confidence': 0.3}, {'id': 3, 'confidence': 0.7}])
    window = _refresh_matches_forced(ev, bucket)
    assert window['drift']['confidence']['ks'] == pytest.approx(1 / 2)


def test_a_label_moved_between_pending_and_another_row_changes_the_window(pxt_dir: str) -> None:
    """Row 1 loses its label, row 2 gets it: the counts of labels and predictions stay, the cells do not."""
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert([_row(1, 0.5, 4, 4, 0.9), _row(2, 0.5, 6, None, 0.8)])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h')
    ev.refresh()
    bucket = int(T0.timestamp()) // HOUR
    assert _windows(ev)[bucket]['accuracy'] == 1.0
    tbl.batch_update([{'id': 1, 'label': None}, {'id': 2, 'label': 4}])
    window = _refresh_matches_forced(ev, bucket)
    assert window['accuracy'] == 0.0 and window['pending'] == 1


def test_values_changed_inside_a_reference_range_change_every_window(pxt_dir: str) -> None:
    """A reference range that does not fall on window boundaries: a change of its values that keeps the counts
    and the sum changes the reference, so every window's drift is recomputed."""
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    first = [_row(1, 0.2, 1, 1, 0.1), _row(2, 0.3, 1, 1, 0.5), _row(3, 0.4, 1, 1, 0.6), _row(4, 0.9, 1, 1, 0.9)]
    later = [_row(10 + i, 1.5 + i, 1, 1, 0.05 * i) for i in range(3)]
    tbl.insert(first + later)
    start, end = T0 + datetime.timedelta(minutes=6), T0 + datetime.timedelta(minutes=30)  # rows 1 to 3
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', numeric=['confidence'], reference=(start, end))
    ev.refresh()
    before = {b: w['drift']['confidence']['ks'] for b, w in _windows(ev).items()}
    tbl.batch_update([{'id': 1, 'confidence': 0.2}, {'id': 2, 'confidence': 0.3}, {'id': 3, 'confidence': 0.7}])
    result = ev.refresh()
    assert sorted(result.changed) == sorted(before)
    after = _windows(ev)
    ev.refresh(force=True)
    assert _windows(ev) == after
    assert {b: w['drift']['confidence']['ks'] for b, w in after.items()} != before


@pytest.mark.parametrize('kind', ['classes', 'detections'])
def test_a_window_fingerprint_depends_on_its_rows_not_on_their_storage_order(
    pxt_dir: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows stored window by window and interleaved across windows give every window the same fingerprint,
    and inserting a later window recomputes only that one. (Pixeltable sums marks in Python over runs of rows in
    storage order, so one window can come back as several groups; a fingerprint made of those groups changed with
    the storage order and made refreshes recompute windows nothing had touched.)"""
    from tests.support.boxes import random_images

    images = random_images(7, 120, size=100)

    def row(i: int) -> dict[str, Any]:
        base = _row(i, (i % 3) + (i // 3) / 200, i % 4, (i * 7) % 4, ((i * 37) % 100) / 100)
        return base | {'dets': images[i][0], 'truth': images[i][1], 'w': 100, 'h': 100}

    schema = {**SCHEMA, 'dets': pxt.Json, 'truth': pxt.Json, 'w': pxt.Int, 'h': pxt.Int}
    ids = list(range(120))
    by_window = sorted(ids, key=lambda i: (i % 3, i))
    prints = []
    for name, order in (('a', by_window), ('b', ids)):  # 'b' interleaves the three windows in storage
        tbl = pxt.create_table(f'{pxt_dir}/{kind}_{name}', schema, primary_key='id')
        for start in range(0, 120, 40):
            tbl.insert([row(i) for i in order[start : start + 40]])
        if kind == 'detections':
            ev = IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', image_size=('w', 'h'))
        else:
            ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'])
        ev.refresh()
        prints.append({int(r['bucket']): r['fingerprint'] for r in ev.to_pandas().to_dict('records')})
        tbl.insert([row(i) | {'id': 1000 + i, 'ts': T0 + datetime.timedelta(hours=5)} for i in range(10)])
        assert ev.refresh().changed == [int(T0.timestamp()) // HOUR + 5]
    assert prints[0] == prints[1] and len(prints[0]) == 3
    # the aggregation ran in the database: one row per window came back (not runs of rows summed in Python)
    from pxwidgets.patterns.incremental import aggregate as aggregation

    returned: list[list[Any]] = []
    merge = aggregation._merged

    def spy(rows: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        returned.append(list(rows))
        return merge(returned[-1], keys)

    monkeypatch.setattr(aggregation, '_merged', spy)
    windows = aggregation.aggregate(tbl, ev.spec, ev._store.read()[0].window).windows
    assert len(windows) == 4 and len(returned[0]) == 4, returned[0]


@pytest.mark.parametrize('windows', [3, 12])
def test_a_refresh_after_a_change_aggregates_only_the_windows_it_touched(
    pxt_dir: str, windows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first refresh, an insert into a new window, a late label and a deletion each make the next
    refresh aggregate just the windows whose rows changed (found from Pixeltable's row versions) — the same number
    of windows whether the table has 3 or 12 — and store what a forced refresh stores (issue 16: the refresh after
    1k new rows grew with the table because every window was aggregated again)."""
    from pxwidgets.patterns.incremental import refresh as refreshing

    tbl = pxt.create_table(f'{pxt_dir}/preds_{windows}', SCHEMA, primary_key='id')
    tbl.insert([_row(i, i // 5 + i % 5 / 10, i % 3, i % 3 if i % 4 else None, i / 70) for i in range(5 * windows)])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'])
    ev.refresh()
    aggregated: list[int] = []
    full = refreshing.aggregate

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = full(*args, **kwargs)
        aggregated.append(len(found.windows))
        return found

    monkeypatch.setattr(refreshing, 'aggregate', spy)
    first = int(T0.timestamp()) // HOUR
    changes = [
        (lambda: tbl.insert([_row(1000, windows + 0.5, 1, 1, 0.5)]), first + windows, 1),  # a new window
        (lambda: tbl.batch_update([{'id': 3, 'label': 2}]), first, 1),  # a late label in the first window
        (lambda: tbl.delete(where=tbl.id == 1000), first + windows, 0),  # the new window's only row: gone
    ]
    for change, bucket, left in changes:
        aggregated.clear()
        change()
        result = ev.refresh()
        assert aggregated == [left], aggregated  # windows aggregated again (the old code: every window)
        assert bucket in (result.changed if left else result.removed)
        seen = _windows(ev)
        ev.refresh(force=True)
        assert _windows(ev) == seen


def test_the_window_key_is_indexed_and_an_older_evaluation_gets_its_index_at_its_first_refresh(pxt_dir: str) -> None:
    """Every refresh after a change reads a few windows by key range: the key has a B-tree index from the
    evaluation's creation (without one Postgres reads the whole table per query: issue 16's 784 ms at 1M rows);
    an evaluation made before that gets it once, at its first refresh, and stores the same windows."""
    from pxwidgets.tables.internals import has_btree_index

    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert([_row(i, i // 4 + i % 4 / 10, i % 3, i % 3 if i % 5 else None, i / 40) for i in range(16)])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'])
    assert ev.spec.key is not None and has_btree_index(tbl, ev.spec.key)
    ev.refresh()
    before = _windows(ev)
    tbl.drop_index(column=ev.spec.key)  # as an evaluation made before the index existed
    assert not has_btree_index(tbl, ev.spec.key)
    old = IncrementalEvaluation.open(tbl)
    old.refresh(force=True)
    assert has_btree_index(tbl, ev.spec.key) and _windows(old) == before
    assert not has_btree_index(tbl, 'id')  # only the window column is indexed


def test_a_table_that_indexes_every_column_itself_is_evaluated_with_its_own_index(pxt_dir: str) -> None:
    """A table made with ``has_default_idxs=True`` gives the new key column an index of its own (and refuses
    another one): the evaluation uses it."""
    from pxwidgets.tables.internals import has_btree_index

    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id', has_default_idxs=True)
    tbl.insert([_row(i, i // 4, i % 3, i % 3, i / 20) for i in range(12)])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h')
    assert ev.spec.key is not None and has_btree_index(tbl, ev.spec.key)
    assert len(ev.refresh().changed) == 3


def test_changed_buckets_finds_inserts_anywhere_and_every_other_change(
    pxt_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The windows whose rows changed since a version: after inserts only (read from the newest row ids), also in
    old windows; after an update that moves a row to another window (both windows), a late label, a delete; and
    when the version history miscounts the inserted rows, the general query still finds them."""
    from pxwidgets.tables.internals import changed_buckets, store

    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert([_row(i, i // 4, i % 3, None, 0.5) for i in range(20)])  # windows first .. first + 4
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h')
    key, first = ev.spec.key, int(T0.timestamp()) // HOUR
    assert key is not None

    counted: list[int | None] = []
    history = store._inserted_since

    def spy(*args: Any) -> int | None:
        counted.append(history(*args))
        return counted[-1]

    monkeypatch.setattr(store, '_inserted_since', spy)

    def since(change: Any) -> set[int | None] | None:
        version = ev.version
        change()
        return changed_buckets(tbl, key, HOUR, version)

    assert since(lambda: tbl.insert([_row(100, 7.5, 1, 1, 0.5), _row(101, 0.5, 1, 1, 0.5)])) == {first, first + 7}
    assert since(lambda: tbl.insert([_row(102, 2.2, 1, 1, 0.5)])) == {first + 2}
    assert since(lambda: tbl.batch_update([{'id': 5, 'ts': T0 + datetime.timedelta(hours=3.5)}])) == {
        first + 1,
        first + 3,
    }
    assert since(lambda: tbl.batch_update([{'id': 9, 'label': 1}])) == {first + 2}
    assert since(lambda: tbl.delete(where=tbl.id == 17)) == {first + 4}
    assert since(lambda: tbl.insert([_row(103, 0, 1, 1, 0.5) | {'ts': None}])) == {None}  # no window
    assert counted == [2, 1, None, None, None, 1]  # inserts only: read from the newest row ids
    monkeypatch.setattr(store, '_inserted_since', lambda conn, tv, v: 0)  # the history says fewer rows
    assert since(lambda: tbl.insert([_row(104, 1.5, 1, 1, 0.5), _row(105, 4.5, 1, 1, 0.5)])) == {first + 1, first + 4}


def test_a_refresh_after_rows_move_between_windows_or_arrive_in_old_ones_equals_a_full_recompute(
    pxt_dir: str,
) -> None:
    """Rows inserted into old windows, a timestamp corrected so that a row moves to another window, and both in
    one refresh: the refresh recomputes those windows and stores what a forced refresh stores."""
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert([_row(i, i // 5 + i % 5 / 10, i % 3, i % 3 if i % 4 else None, i / 50) for i in range(25)])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'])
    ev.refresh()
    first = int(T0.timestamp()) // HOUR
    changes = [
        (lambda: tbl.insert([_row(200, 1.25, 2, 2, 0.3), _row(201, 3.75, 0, 1, 0.9)]), [first + 1, first + 3]),
        (lambda: tbl.batch_update([{'id': 2, 'ts': T0 + datetime.timedelta(hours=4.2)}]), [first, first + 4]),
        (
            lambda: (tbl.insert([_row(202, 2.5, 1, None, 0.7)]), tbl.delete(where=tbl.id == 24)),
            [first + 2, first + 4],
        ),
    ]
    for change, touched in changes:
        change()
        result = ev.refresh()
        assert set(touched) <= set(result.changed), result  # (and the windows whose pooled drift tests pool them)
        seen = _windows(ev)
        ev.refresh(force=True)
        assert _windows(ev) == seen


def test_two_sessions_refreshing_in_turn_store_what_a_full_recompute_stores_and_raise_each_alert_once(
    pxt_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh keeps the stored windows and alert ids it read or wrote, and reads again only the windows it wrote
    since; another session's writes (a new table version it did not make) make it read everything again: two
    evaluations of one table (two kernels) refreshing in turn as drifted batches arrive never miss a change, and
    never raise an alert twice."""
    from pxwidgets.demo.drifting_digits import drifting_batches
    from pxwidgets.patterns.incremental import store as stores

    batches = drifting_batches(n_batches=7, batch_size=120, drift_from=3, seed=5)
    tbl = pxt.create_table(f'{pxt_dir}/preds', SCHEMA, primary_key='id')
    tbl.insert(batches[0].rows + batches[1].rows)
    a = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'])
    b = IncrementalEvaluation.open(tbl)
    assert a._store is not b._store
    reads: list[tuple[str, ...] | None] = []
    every = stores.Store.window_rows

    def spy(self: stores.Store, columns: Any = None) -> Any:
        reads.append(None if columns is None else tuple(columns))
        return every(self, columns)

    a.refresh()
    b.refresh()  # nothing changed: b writes nothing
    monkeypatch.setattr(stores.Store, 'window_rows', spy)
    for i, batch in enumerate(batches[2:]):
        tbl.insert(batch.rows)
        if i == 2:  # late labels for an old window, seen by the session whose turn it is
            tbl.batch_update([{'id': r['id'], 'label': r['digit']} for r in batches[0].rows if r['label'] is None])
        ev = (a, b)[i % 2]
        reads.clear()
        result = ev.refresh()
        assert len(reads) == (i > 0)  # the other session wrote the window table since: every window read again
        seen = _windows(ev)
        assert int(batch.start.timestamp()) // HOUR in result.changed
        reads.clear()
        tbl.insert([_row(5000 + i, 30 + i, 1, 1, 0.5)])
        again = ev.refresh()  # the same session again: only what it wrote is read back
        assert reads == [] and again.changed == [int(T0.timestamp()) // HOUR + 30 + i]
        ev.refresh(force=True)
        assert {k: v for k, v in _windows(ev).items() if k in seen} == seen
    alerts = a.alerts()
    assert len(alerts) > 0 and not alerts['alert_id'].duplicated().any()


def test_the_no_drift_limits_do_not_depend_on_the_order_the_reference_rows_come_in(
    pxt_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample-size rule's limits resample the reference's values; taken in the order the rows came (the query
    plan's: storage order, or the window key's index order) they changed with it. The same rows coming in another
    order give the same windows, limits included."""
    from pxwidgets.patterns.incremental import reference

    rows = [_row(i, (i % 4) + (i // 4) / 100, i % 3, (i * 5) % 3, ((i * 37) % 97) / 97) for i in range(160)]
    values = reference._values
    stored = []
    for name in ('a', 'b'):
        tbl = pxt.create_table(f'{pxt_dir}/{name}', SCHEMA, primary_key='id')
        tbl.insert(rows)
        ev = IncrementalEvaluation(
            tbl, 'prediction', 'label', 'ts', window='1h', numeric=['confidence'], reference=(T0, T0 + 2 * _H)
        )
        if name == 'b':  # the reference's rows come in the reverse order
            monkeypatch.setattr(reference, '_values', lambda *a: {c: v[::-1] for c, v in values(*a).items()})
        ev.refresh()
        stored.append(_windows(ev))
    limits = [w['drift']['confidence']['wasserstein_limit'] for w in stored[0].values()]
    assert all(limit is not None and limit > 0 for limit in limits)
    assert stored[0] == stored[1]
