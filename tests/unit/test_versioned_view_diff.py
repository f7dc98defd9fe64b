"""Row diff of a filtered view and of a snapshot, the diff summary (``dolt diff --stat``), and the parallel-coordinates
chart — each checked against pandas on both versions pulled whole."""

from __future__ import annotations

import pandas as pd
import pixeltable as pxt
import pytest

from pxwidgets.patterns.versioned import (
    DiffNotSupportedError,
    VersionedExperiment,
    diff_snapshot,
    diff_stat,
    row_diff,
)
from pxwidgets.patterns.versioned.charts import NONE, parallel_figure
from pxwidgets.patterns.versioned.runs import to_runs
from tests.support.versioned import build_numbers


def _pandas_diff(path: str, a: int, b: int, key: str = 'id') -> dict[str, object]:
    """The reference: both versions pulled into pandas, merged on the key."""
    old = pxt.get_table(f'{path}:{a}').collect().to_pandas()  # type: ignore[union-attr]
    new = pxt.get_table(f'{path}:{b}').collect().to_pandas()  # type: ignore[union-attr]
    merged = old.merge(new, on=key, how='outer', suffixes=('_a', '_b'), indicator=True)
    both = merged[merged['_merge'] == 'both']
    cols = [c for c in old.columns if c != key and c in new.columns]
    by_col = {c: int((both[f'{c}_a'] != both[f'{c}_b']).sum()) for c in cols}
    changed = int(pd.concat([both[f'{c}_a'] != both[f'{c}_b'] for c in cols], axis=1).any(axis=1).sum())
    return {
        'added': int((merged['_merge'] == 'right_only').sum()),
        'removed': int((merged['_merge'] == 'left_only').sum()),
        'changed': changed,
        'by_col': by_col,
        'rows': (len(old), len(new)),
    }


@pytest.fixture
def base_and_view(pxt_dir: str) -> tuple[str, str, int, int]:
    t = pxt.create_table(f'{pxt_dir}/b', {'id': pxt.Int, 'x': pxt.Float, 'tag': pxt.String})
    t.insert([{'id': i, 'x': i / 10, 'tag': f't{i % 3}'} for i in range(12)])
    v = pxt.create_view(f'{pxt_dir}/v', t.where(t.x > 0.45))
    v.add_computed_column(y=v.x * 2)
    a = int(v.get_metadata()['version'])
    t.update({'x': 0.0}, where=t.id == 7)  # leaves the view
    t.update({'x': 0.9}, where=t.id == 1)  # enters the view
    t.update({'x': 0.95}, where=t.id == 9)  # changes inside it (x and y)
    t.update({'tag': 'new'}, where=t.id == 10)  # changes a base column only
    t.update({'tag': 'elsewhere'}, where=t.id == 2)  # outside the view: not a change of it
    t.insert([{'id': 20, 'x': 0.99, 'tag': 'z'}, {'id': 21, 'x': 0.1, 'tag': 'z'}])
    t.delete(where=t.id == 6)
    return f'{pxt_dir}/b', f'{pxt_dir}/v', a, int(v.get_metadata()['version'])


def test_a_filtered_view_is_diffed_like_pandas(base_and_view: tuple[str, str, int, int]) -> None:
    _, view, a, b = base_and_view
    d = row_diff(view, a, b, limit=100)
    ref = _pandas_diff(view, a, b)
    assert (d.added, d.removed, d.changed) == (ref['added'], ref['removed'], ref['changed']) == (2, 2, 2)
    assert d.changed_by_column.pop('id') == 0  # the rows' key (pandas merges on it)
    assert d.changed_by_column == ref['by_col'] == {'x': 1, 'tag': 1, 'y': 1}
    by_id = {(r.after or r.before or {})['id']: r for r in d.rows}
    assert {i: r.change for i, r in by_id.items()} == {
        1: 'added',
        20: 'added',
        7: 'removed',
        6: 'removed',
        9: 'changed',
        10: 'changed',
    }
    assert by_id[9].changed == ['x', 'y'] and by_id[9].before['y'] == 1.8 and by_id[9].after['y'] == 1.9  # type: ignore[index]
    assert any('follow from' in n for n in d.notes)


def test_diff_stat_matches_pandas(base_and_view: tuple[str, str, int, int]) -> None:
    base, view, _, _ = base_and_view
    versions = sorted(r['version'] for r in pxt.get_table(base).get_versions())  # type: ignore[union-attr]
    a, b = versions[1], versions[-1]
    stat = diff_stat(base, a, b)
    ref = _pandas_diff(base, a, b)
    assert (stat.added, stat.removed, stat.changed) == (ref['added'], ref['removed'], ref['changed'])
    assert stat.cells_changed.pop('id') == 0
    assert stat.cells_changed == ref['by_col']
    assert (stat.rows_a, stat.rows_b) == ref['rows']
    assert stat.unchanged == ref['rows'][1] - stat.added - stat.changed
    assert stat.cells_modified == sum(ref['by_col'].values())  # type: ignore[attr-defined]
    assert stat.cells_added == stat.added * 3 and stat.cells_removed == stat.removed * 3
    frame = stat.to_pandas().set_index('column')
    assert frame.loc['x', 'cells_changed'] == ref['by_col']['x']  # type: ignore[index]
    text = str(stat)
    assert f'{stat.changed:,} Rows Modified' in text and 'Cells Modified' in text
    assert diff_stat(view, *_view_versions(view)).cells_changed['y'] == 1


def _view_versions(view: str) -> tuple[int, int]:
    versions = sorted(r['version'] for r in pxt.get_table(view).get_versions())  # type: ignore[union-attr]
    return versions[1], versions[-1]


def test_a_snapshot_is_diffed_against_its_base(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/b', {'id': pxt.Int, 'x': pxt.Float})
    t.insert([{'id': i, 'x': float(i)} for i in range(5)])
    snap = pxt.create_snapshot(f'{pxt_dir}/s', t)
    pinned = int(t.get_metadata()['version'])
    t.update({'x': 9.0}, where=t.id == 1)
    t.insert([{'id': 5, 'x': 5.0}])
    d = diff_snapshot(snap)
    ref = _pandas_diff(f'{pxt_dir}/b', pinned, int(t.get_metadata()['version']))
    assert (d.added, d.removed, d.changed) == (ref['added'], ref['removed'], ref['changed']) == (1, 0, 1)
    assert d.notes[0] == f'{pxt_dir}/s is {pxt_dir}/b at version {pinned}'
    with pytest.raises(DiffNotSupportedError, match='a snapshot'):
        row_diff(snap, 0, 1)
    with pytest.raises(DiffNotSupportedError, match='not a snapshot'):
        diff_snapshot(t)


def test_parallel_coordinates_with_categorical_parameters(pxt_dir: str) -> None:
    exp = VersionedExperiment(f'{pxt_dir}/pc', build_numbers)
    exp.run(threshold=0.3)
    exp.run(threshold=0.5, n=10)
    # add non-numeric parameters the way a user's runs carry them: a model name, a flag, one run without it
    recs = exp._registry.records()
    recs[0] = type(recs[0])(**{**recs[0].__dict__, 'params': {**recs[0].params, 'model': 'yolo', 'aug': True}})
    recs[1] = type(recs[1])(**{**recs[1].__dict__, 'params': {**recs[1].params, 'model': 'detr'}})
    runs = to_runs(exp.name, recs)
    fig = parallel_figure(runs, 'flagged')
    (trace,) = fig.data
    dims = {d['label']: d for d in trace.dimensions}
    assert list(dims) == ['threshold', 'model', 'aug', 'n', 'flagged']
    assert list(dims['threshold']['values']) == [0.3, 0.5]
    assert list(dims['model']['ticktext']) == ['detr', 'yolo'] and list(dims['model']['values']) == [1, 0]
    assert list(dims['aug']['ticktext']) == [NONE, 'true'] and list(dims['aug']['values']) == [1, 0]
    assert list(dims['n']['ticktext']) == [NONE, '10']  # missing in one run: categories
    assert list(dims['flagged']['values']) == [13.0, 4.0] == list(trace.line.color)
    assert list(trace.customdata) == [1, 2]
    assert exp.parallel_figure('share').data[0].dimensions[-1]['values'] == (13 / 20, 4 / 10)


def test_the_timeline_sends_the_figures_plotly_would() -> None:
    """The panel sends the charts as plain specs (no plotly validation on a thousand runs): each is exactly the
    payload of the plotly figure the library returns, for numbers, categories, missing parameters and marked runs."""
    import datetime

    from pxwidgets.panels.charts import figure_payload
    from pxwidgets.panels.experiment_timeline import _spec_payload
    from pxwidgets.patterns.versioned.charts import (
        metric_figure,
        metric_spec,
        parallel_lines_figure,
        parallel_lines_spec,
    )
    from pxwidgets.patterns.versioned.runs import Run

    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    runs = [
        Run(
            experiment='e',
            version=v,
            status='ok' if v != 4 else 'failed',
            params={'lr': v / 10, 'model': ['a', 'b', None][v % 3]} | ({'x': 1} if v % 2 else {}),
            metrics={'loss': 1 / v, 'acc': v * 0.1} if v != 4 else {},
            started_at=now,
            duration_s=1.0,
            result=None,
            tables=[],
            error=None,
            promoted=v == 2,
            latest=v == 12,
            dropped=v == 3,
        )
        for v in range(1, 13)
    ]
    for metric in ('loss', 'acc'):
        assert _spec_payload(metric_spec(runs, metric)) == figure_payload(metric_figure(runs, metric))
        assert _spec_payload(parallel_lines_spec(runs, metric)) == figure_payload(parallel_lines_figure(runs, metric))
    assert _spec_payload(metric_spec([], None)) == figure_payload(metric_figure([], None))
    symbols = metric_spec(runs, 'loss')['data'][0]['marker']['symbol']
    assert symbols[1] == 'diamond' and symbols[-1] == 'star'  # promoted v2, latest v12
