"""Stage and column statistics of a pipeline, computed in the database, checked against pandas on the same rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.charts import figure_payload
from pxwidgets.patterns import ProgressiveRefinement
from tests.support.udfs import fails_on_odd

LABELS = ['cat', 'dog', 'cat', None, 'bird', 'cat', 'dog', 'cat', None, 'fish', 'cat', 'dog']
XS = [0.5, None, 2.25, 3.5, 4.0, None, 7.75, 8.0, 9.5, 1.25, 6.0, 11.0]


@pytest.fixture
def pipeline(pxt_dir: str) -> ProgressiveRefinement:
    t = pxt.create_table(
        f'{pxt_dir}/items', {'n': pxt.Int, 'x': pxt.Float | None, 'label': pxt.String | None, 'meta': pxt.Json | None}
    )
    t.insert([{'n': i, 'x': XS[i], 'label': LABELS[i], 'meta': {'i': i} if i % 3 else None} for i in range(12)])
    p = ProgressiveRefinement(t)
    p.add_stage('tens', column=fails_on_odd, input='n')
    p.add_stage('big', where=t.x > 3.0, after='items')
    t.add_computed_column(by_hand=t.n + 1)  # a stage pxwidgets did not add: its compute time is unknown
    return p


def rows(p: ProgressiveRefinement, stage: str) -> pd.DataFrame:
    """Every row, pulled into pandas: the independent computation the database statistics are checked against."""
    return p.table(stage).collect().to_pandas()


def test_stage_compute_time_and_error_rate(pipeline: ProgressiveRefinement) -> None:
    stats = pipeline.stage_stats().set_index('stage')
    df = rows(pipeline, 'items')
    tens = stats.loc['tens']
    failed = int((df['n'] % 2 == 1).sum())
    assert (tens['rows'], tens['errors']) == (12, failed) == (12, 6)
    assert tens['error_rate'] == pytest.approx(failed / len(df))
    assert tens['compute_seconds'] > 0 and stats.loc['big', 'compute_seconds'] > 0
    assert stats.loc['big', 'rows'] == int((df['x'] > 3.0).sum())
    # hand-made (not added by pxwidgets) and the source: unknown, never a made-up number
    assert math.isnan(stats.loc['by_hand', 'compute_seconds']) and math.isnan(stats.loc['items', 'compute_seconds'])
    assert stats.loc['by_hand', 'error_rate'] == 0.0
    node = next(n for n in pipeline.lineage()['nodes'] if n['id'] == 'tens')
    assert node['error_rate'] == pytest.approx(0.5) and node['compute_seconds'] == tens['compute_seconds']


def test_compute_time_survives_a_new_process(pipeline: ProgressiveRefinement) -> None:
    """The measured time is kept next to the catalog: a new kernel (here: the in-memory times forgotten) still
    shows it after ``open``; a file that cannot be read only makes it unknown."""
    from pxwidgets.patterns.progressive import stats as stage_stats
    from pxwidgets.tables.sidecar import record_path

    measured = pipeline.stage_stats().set_index('stage')['compute_seconds']
    stage_stats._timings.clear()
    reopened = ProgressiveRefinement.open(pipeline.path).stage_stats().set_index('stage')['compute_seconds']
    assert reopened['tens'] == measured['tens'] > 0 and reopened['big'] == measured['big'] > 0
    assert math.isnan(reopened['by_hand'])
    for path in record_path(stage_stats.TIMES, 'x').parent.glob('*.json'):
        path.write_text('{not json')
    stage_stats._timings.clear()
    again = ProgressiveRefinement.open(pipeline.path).stage_stats().set_index('stage')['compute_seconds']
    assert pd.isna(again['tens']) and pd.isna(again['big'])


def test_compute_time_is_not_reused_by_a_stage_made_again(pipeline: ProgressiveRefinement) -> None:
    pipeline.drop_stage('tens', cascade=True)
    pipeline.table('items').add_computed_column(tens=pipeline.table('items').n * 10)  # same name, by hand
    reopened = ProgressiveRefinement.open(pipeline.path)
    assert math.isnan(reopened.stage_stats().set_index('stage').loc['tens', 'compute_seconds'])


def test_column_stats_match_pandas(pipeline: ProgressiveRefinement) -> None:
    stats = pipeline.column_stats('items').set_index('column')
    df = rows(pipeline, 'items')
    assert set(stats.index) == set(pipeline.table('items').columns())
    for column in ('n', 'x', 'label', 'meta', 'tens', 'by_hand'):
        assert stats.loc[column, 'rows'] == len(df)
        assert stats.loc[column, 'nulls'] == int(df[column].isna().sum()), column
    for column in ('n', 'x', 'by_hand'):
        values = df[column].dropna()
        assert stats.loc[column, 'min'] == pytest.approx(values.min())
        assert stats.loc[column, 'max'] == pytest.approx(values.max())
        assert stats.loc[column, 'mean'] == pytest.approx(values.mean())
    assert stats.loc['tens', 'errors'] == 6 and stats.loc['by_hand', 'errors'] == 0
    assert stats.loc['tens', 'mean'] == pytest.approx(df['tens'].dropna().mean())
    assert stats.loc['n', 'errors'] is None or math.isnan(stats.loc['n', 'errors'])  # not computed: no error record
    assert stats.loc['label', 'chart'] == 'top' and stats.loc['x', 'chart'] == 'histogram'
    assert stats.loc['meta', 'chart'] == 'none' and 'nulls and errors only' in stats.loc['meta', 'note']
    one = pipeline.column_stats('tens')
    assert list(one['column']) == ['tens']


def test_histogram_and_top_values_match_pandas(pipeline: ProgressiveRefinement) -> None:
    df = rows(pipeline, 'items')
    hist = pipeline.column_distribution('items', 'x', bins=4)
    expected, edges = np.histogram(df['x'].dropna(), bins=4)
    assert hist['kind'] == 'histogram'
    assert hist['counts'] == expected.tolist()
    assert hist['edges'] == pytest.approx(edges.tolist())
    top = pipeline.column_distribution('items', 'label', top=2)
    counts = df['label'].value_counts()
    assert top['kind'] == 'top'
    assert top['labels'] == list(counts.index[:2]) and top['counts'] == counts.iloc[:2].tolist()
    assert top['other'] == int(counts.iloc[2:].sum())
    constant = pipeline.column_distribution('big', 'by_hand', bins=3)  # a view sees its base's columns
    view = rows(pipeline, 'big')
    assert sum(constant['counts']) == len(view)
    fig = pipeline.stats_figure('items', 'label', top=2)
    assert list(fig.data[0].y) == counts.iloc[:2].tolist() and list(fig.data[0].x) == list(counts.index[:2])
    assert figure_payload(fig)['data'][0]['type'] == 'bar'


def test_distribution_refuses_bad_input(pipeline: ProgressiveRefinement) -> None:
    with pytest.raises(InvalidRequestError, match='no column'):
        pipeline.column_distribution('items', 'nope')
    with pytest.raises(InvalidRequestError, match='bins'):
        pipeline.column_distribution('items', 'x', bins=0)
    assert pipeline.column_distribution('items', 'meta')['kind'] == 'none'


def test_preview_errors_only(pipeline: ProgressiveRefinement) -> None:
    failed = pipeline.preview('tens', n=100, errors_only=True)
    assert sorted(failed['n']) == [1, 3, 5, 7, 9, 11]
    assert failed['tens_errortype'].notna().all()
    view_rows = pipeline.preview('items', n=100, errors_only=True)
    assert sorted(view_rows['n']) == [1, 3, 5, 7, 9, 11]
    df = rows(pipeline, 'items')
    expected = df[(df['x'] > 3.0) & (df['n'] % 2 == 1)]['n']  # a view's rows fail where its base's columns did
    assert sorted(pipeline.preview('big', n=100, errors_only=True)['n']) == sorted(expected)
    assert len(pipeline.preview('items', n=100)) == 12


def test_errors_only_refused_without_computed_columns(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/plain', {'n': pxt.Int})
    t.insert([{'n': 1}])
    with pytest.raises(InvalidRequestError, match='no stored computed column'):
        ProgressiveRefinement(t).preview('plain', errors_only=True)
