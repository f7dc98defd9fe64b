"""Row diff between table versions (inserts, deletes, updates, a media column), snapshots, confirmed revert."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError, PlanChangedError
from pxwidgets.patterns.versioned import (
    DiffNotSupportedError,
    HasDependentsError,
    IncomparableError,
    TableVersions,
    UnknownVersionError,
    compare_tables,
    row_diff,
)
from tests.support.tables import write_photos


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'vd_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(scope='module')
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return write_photos(tmp_path_factory.mktemp('photos'), 8)


@pytest.fixture(scope='module')
def history(root: str, photos: list[str]) -> dict[str, Any]:
    """A table with an image column and a known history of changes, version by version."""
    t = pxt.create_table(
        f'{root}/items', {'id': pxt.Int, 'img': pxt.Image, 'label': pxt.String | None, 'meta': pxt.Json | None}
    )
    v: dict[str, int] = {}

    def mark(name: str) -> None:
        v[name] = int(t.get_metadata()['version'])

    t.insert([{'id': i, 'img': photos[i], 'label': f'l{i}', 'meta': {'k': i}} for i in range(6)])
    mark('inserted')
    t.add_computed_column(width=t.img.width)
    mark('computed')
    t.update({'label': 'relabelled'}, where=t.id == 1)
    t.update({'img': photos[7]}, where=t.id == 2)  # a new file: the media reference changes
    t.update({'label': 'l3'}, where=t.id == 3)  # the same value again: not a change
    mark('updated')
    t.delete(where=t.id == 4)
    t.insert([{'id': 6, 'img': photos[6], 'label': 'l6'}])
    mark('last')
    return {'t': t, 'v': v, 'path': f'{root}/items'}


def test_counts_and_changed_columns(history: dict[str, Any]) -> None:
    v = history['v']
    d = row_diff(history['path'], v['inserted'], v['last'])
    assert (d.added, d.removed, d.changed) == (1, 1, 2)
    # width is not in the older version: shown, not compared
    assert d.changed_by_column == {'id': 0, 'img': 1, 'label': 1, 'meta': 0}
    assert {c.name: c.status for c in d.columns} == {
        'id': 'both',
        'img': 'both',
        'label': 'both',
        'meta': 'both',
        'width': 'added',
    }
    by_id = {(r.after or r.before or {})['id']: r for r in d.rows}
    assert by_id[1].change == 'changed' and by_id[1].changed == ['label']
    assert by_id[1].before['label'] == 'l1' and by_id[1].after['label'] == 'relabelled'  # type: ignore[index]
    assert by_id[2].changed == ['img']
    assert by_id[2].before['img'].endswith('photo_002.jpg')  # type: ignore[index]
    assert by_id[2].after['img'].endswith('photo_007.jpg')  # type: ignore[index]
    assert by_id[4].change == 'removed' and by_id[4].after is None
    assert by_id[6].change == 'added' and by_id[6].before is None and by_id[6].after['meta'] is None  # type: ignore[index]
    assert 3 not in by_id  # rewritten with the same value


def test_window_kind_and_direction(history: dict[str, Any]) -> None:
    v = history['v']
    d = row_diff(history['path'], v['last'], v['computed'], kind='changed', limit=1)
    assert (d.a, d.b) == (v['computed'], v['last'])  # versions are put in order
    assert d.total == 2 and len(d.rows) == 1 and d.rows[0].change == 'changed'
    assert (
        row_diff(history['path'], v['computed'], v['last'], kind='changed', offset=1, limit=5).rows[0].after['id'] == 2
    )  # type: ignore[index]
    only_removed = row_diff(history['path'], v['updated'], v['last'], kind='removed')
    assert [r.before['id'] for r in only_removed.rows] == [4]  # type: ignore[index]
    # width is compared between versions that both have it
    assert 'width' in row_diff(history['path'], v['computed'], v['last']).changed_by_column
    assert row_diff(history['path'], v['computed'], v['last']).changed_by_column['width'] == 1  # photo 7 is smaller
    df = row_diff(history['path'], v['computed'], v['last']).to_pandas()
    assert list(df['change']) == ['changed', 'changed', 'removed', 'added']
    assert {'label', 'label (before)', 'img (before)'} <= set(df.columns)


def test_the_diff_reads_no_media(history: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import PIL.Image

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError('a row diff must not decode images')

    monkeypatch.setattr(PIL.Image, 'open', refuse)
    v = history['v']
    assert row_diff(history['path'], v['inserted'], v['last']).changed == 2


def test_bad_versions_and_tables(history: dict[str, Any], root: str) -> None:
    v = history['v']
    with pytest.raises(UnknownVersionError, match='no version 999'):
        row_diff(history['path'], v['inserted'], 999)
    with pytest.raises(InvalidRequestError, match='different versions'):
        row_diff(history['path'], 1, 1)
    with pytest.raises(InvalidRequestError, match='kind'):
        row_diff(history['path'], 1, 2, kind='moved')  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match='limit'):
        row_diff(history['path'], 1, 2, limit=10_000)
    t = history['t']
    # a view is diffed now (tests/unit/test_versioned_view_diff.py); a snapshot has no versions of its own
    snap = pxt.create_snapshot(f'{root}/items_snap', t)
    try:
        with pytest.raises(DiffNotSupportedError, match='snapshot'):
            row_diff(snap, 0, 1)
    finally:
        pxt.drop_table(f'{root}/items_snap')


def test_compare_tables_of_different_schemas(root: str) -> None:
    a = pxt.create_table(f'{root}/sa', {'x': pxt.Int})
    b = pxt.create_table(f'{root}/sb', {'y': pxt.String})
    with pytest.raises(IncomparableError) as info:
        compare_tables(a, b)
    assert info.value.details['schema']['added'] == [{'name': 'y', 'type': 'String'}]
    with pytest.raises(IncomparableError, match='x'):
        compare_tables(a, b, key=['x'])


def test_history_snapshot_and_version_view(history: dict[str, Any], root: str) -> None:
    v = history['v']
    tv = TableVersions(history['path'])
    assert tv.version == v['last']
    h = tv.history()
    assert list(h['version'])[:2] == [v['last'], v['last'] - 1]
    old = tv.at(v['inserted'])
    assert sorted(old.select(old.label).collect()['label']) == [f'l{i}' for i in range(6)]
    snap = tv.snapshot(f'{root}/items_at_insert', version=v['inserted'])
    assert snap.count() == 6
    with pytest.raises(UnknownVersionError):
        tv.at(999)
    pxt.drop_table(f'{root}/items_at_insert')


def _rows(t: pxt.Table) -> list[dict[str, Any]]:
    rs = t.select(t.id, t.label, img=t.img.fileurl, meta=t.meta).order_by(t.id).collect()
    return [dict(r) for r in rs]


def test_revert_restores_the_exact_rows(root: str, photos: list[str]) -> None:
    t = pxt.create_table(f'{root}/rev', {'id': pxt.Int, 'img': pxt.Image, 'label': pxt.String, 'meta': pxt.Json})
    t.insert([{'id': i, 'img': photos[i], 'label': f'l{i}', 'meta': {'k': i}} for i in range(5)])
    good = int(t.get_metadata()['version'])
    before = _rows(t)
    t.update({'label': 'oops'})  # a bad update
    t.delete(where=t.id == 0)
    tv = TableVersions(t)
    diff = tv.diff(good)
    assert (diff.changed, diff.removed, diff.changed_by_column['label']) == (4, 1, 4)
    plan = tv.plan_revert(good)
    assert [s.action for s in plan.steps] == ['revert', 'revert']
    assert plan.steps[0].description == f'undo version {good + 2} (1 deletes)'
    assert plan.steps[1].description == f'undo version {good + 1} (5 updates)'
    # the user confirms; meanwhile nothing changed: the revert runs
    tv.revert(good, expect=plan)
    assert _rows(pxt.get_table(f'{root}/rev')) == before
    assert tv.version == good


def test_revert_refuses_with_views_and_stale_plans(root: str) -> None:
    t = pxt.create_table(f'{root}/rv', {'id': pxt.Int})
    t.insert([{'id': 1}])
    t.insert([{'id': 2}])
    tv = TableVersions(t)
    plan = tv.plan_revert(1)
    t.insert([{'id': 3}])  # another write after the plan was seen
    with pytest.raises(PlanChangedError):
        tv.revert(1, expect=plan)
    assert t.count() == 3
    pxt.create_view(f'{root}/rv_view', t)
    with pytest.raises(HasDependentsError) as info:
        tv.plan_revert(1)
    assert info.value.dependents == [f'{root}/rv_view']
    assert t.count() == 3 and tv.version == 3
    with pytest.raises(InvalidRequestError, match='nothing after'):
        TableVersions(f'{root}/items').plan_revert(TableVersions(f'{root}/items').version)


def test_values_kept_outside_the_value_column_are_compared(root: str) -> None:
    """Arrays over 512 bytes live in files (the value column is NULL) and errors live in the cell metadata: both
    are compared there."""
    import numpy as np

    from tests.support.udfs import fails_on_odd

    t = pxt.create_table(f'{root}/arrays', {'id': pxt.Int, 'n': pxt.Int, 'vec': pxt.Array[(100,), pxt.Float]})  # type: ignore[misc]
    t.insert([{'id': i, 'n': 1, 'vec': np.full(100, float(i), dtype=np.float32)} for i in range(3)])
    t.add_computed_column(tenfold=fails_on_odd(t.n), on_error='ignore')  # every row fails: 'odd value 1'
    good = int(t.get_metadata()['version'])
    t.update({'vec': np.full(100, 9.0, dtype=np.float32)}, where=t.id == 0)
    t.update({'n': 3}, where=t.id == 1)  # still an error, a different one: 'odd value 3'
    t.update({'n': 1}, where=t.id == 2)  # the same value and the same error again: no change
    d = row_diff(t, good, int(t.get_metadata()['version']))
    assert d.changed_by_column == {'id': 0, 'n': 1, 'vec': 1, 'tenfold': 1}
    assert sorted((r.after or {})['id'] for r in d.rows) == [0, 1]


def test_schema_changes_between_the_versions(root: str) -> None:
    """A dropped, an added and a renamed column: the diff shows each, compares what both versions have, and names a
    renamed column by its newer name on both sides."""
    t = pxt.create_table(f'{root}/schema', {'a': pxt.Int, 'b': pxt.String})
    t.insert([{'a': i, 'b': f'x{i}'} for i in range(3)])
    first = int(t.get_metadata()['version'])
    t.drop_column('b')
    t.update({'a': 10}, where=t.a == 0)
    t.add_column(c=pxt.String | None)
    t.rename_column('a', 'aa')
    d = row_diff(t, first, int(t.get_metadata()['version']))
    assert [(c.name, c.status, c.compared) for c in d.columns] == [
        ('aa', 'both', True),
        ('c', 'added', False),
        ('b', 'removed', False),
    ]
    assert d.changed == 1 and d.changed_by_column == {'aa': 1}
    row = d.rows[0]
    assert row.changed == ['aa'] and row.before == {'aa': 0, 'b': 'x0'} and row.after == {'aa': 10, 'c': None}
