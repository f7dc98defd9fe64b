"""Bad input to IncrementalEvaluation: a clear exception, and neither the table's version nor the settings change."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidParameterError, TableNotFoundError
from pxwidgets.patterns.incremental import (
    IncrementalEvaluation,
    InvalidColumnError,
    InvalidReferenceError,
    InvalidWindowError,
    NoReferenceRowsError,
    TimestampError,
)
from tests.support.incremental import SCHEMA, expected_windows, rows_of

T0 = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)


def _rows(n: int, *, start: int = 0, hours: int = 3, label: bool = True, single: bool = False) -> list[dict]:
    out = []
    for i in range(start, start + n):
        truth = 4 if single else i % 3
        out.append(
            {
                'id': i,
                'ts': T0 + datetime.timedelta(hours=hours * i / n),
                'digit': i,
                'prediction': truth if i % 5 else (truth + 1) % 3,
                'confidence': [0.9, float('nan'), None, 0.7][i % 4],
                'label': truth if label else None,
            }
        )
    return out


@pytest.fixture(scope='module')
def home(pxt_home: Path) -> Iterator[str]:
    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def _table(home: str, name: str, rows: list[dict]) -> pxt.Table:
    tbl = pxt.create_table(f'{home}/{name}', SCHEMA, primary_key='id')
    if rows:
        tbl.insert(rows)
    return tbl


def _version(tbl: pxt.Table) -> int:
    return int(tbl.get_metadata()['version'])


def test_no_ground_truth_yet_metrics_pending_drift_computed(home: str) -> None:
    tbl = _table(home, 'unlabeled', _rows(60, label=False))
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', numeric=['confidence'])
    ev.refresh()
    frame = ev.to_pandas()
    assert len(frame) == 3 and frame['pending'].tolist() == [20, 20, 20] and frame['labeled'].sum() == 0
    assert frame['accuracy'].isna().all() and frame['f1'].isna().all()
    assert all(d['prediction']['psi'] is not None and d['label']['psi'] is None for d in frame['drift'])
    assert ev.pending() == 60
    ev.metrics_figure()  # no labels: a chart with gaps, not an error


def test_nan_and_missing_confidences_are_left_out_and_counted(home: str) -> None:
    tbl = _table(home, 'nans', _rows(80))
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', numeric=['confidence'], window='1d')
    ev.refresh()
    (drift,) = ev.to_pandas()['drift']
    assert drift['confidence']['values'] == 40 and drift['confidence']['missing'] == 40
    assert drift['confidence']['nan'] == 20
    assert drift['confidence']['ks_pvalue'] == pytest.approx(1.0)  # the window is its own reference


def test_single_class_windows_match_scikit_learn(home: str) -> None:
    tbl = _table(home, 'single', _rows(30, single=True))
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h')
    ev.refresh()
    want = expected_windows(rows_of(tbl), 3600)
    for row in ev.to_pandas().to_dict('records'):
        for metric in ('accuracy', 'precision', 'recall', 'f1'):
            assert row[metric] == pytest.approx(want[row['bucket']][metric])


def test_an_empty_table_has_no_windows_and_a_reference_without_rows_is_refused(home: str) -> None:
    tbl = _table(home, 'empty', [])
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts')
    result = ev.refresh()
    assert result.changed == [] and ev.to_pandas().empty
    ev.metrics_figure()
    ev.drift_figure('js')
    tbl.insert(_rows(30))
    settings_version, version = _version(ev._store.settings_table), _version(tbl)
    with pytest.raises(NoReferenceRowsError, match='has no rows'):
        ev.set_reference('2020-01-01T00:00')
    with pytest.raises(NoReferenceRowsError):
        ev.set_reference(('2019-01-01', '2019-02-01'))
    assert ev.settings.reference.kind == 'first'
    assert (_version(ev._store.settings_table), _version(tbl)) == (settings_version, version)


def test_thresholds_out_of_range_or_of_the_wrong_type(home: str) -> None:
    tbl = _table(home, 'thresholds', _rows(30))
    with pytest.raises(InvalidParameterError) as exc:
        IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', thresholds={'psi': 'high'})
    assert exc.value.errors[0]['param'] == 'psi'
    assert 'eval_correct' not in tbl.columns() and f'{home}/thresholds_eval' not in pxt.list_dirs(home)
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts')
    before = (_version(tbl), _version(ev._store.settings_table), ev.thresholds)
    for bad in ({'ks_pvalue': 2.0}, {'min_accuracy': -0.1}, {'min_rows': 1.5}, {'js': None}, {'nonsense': 1}):
        with pytest.raises(InvalidParameterError):
            ev.set_thresholds(**bad)
    assert (_version(tbl), _version(ev._store.settings_table), ev.thresholds) == before


def test_missing_or_future_timestamps_are_refused_before_any_write(home: str) -> None:
    rows = _rows(10)
    rows[3]['ts'] = None
    tbl = _table(home, 'no_ts', rows)
    version = _version(tbl)
    with pytest.raises(TimestampError, match='1 row') as exc:
        IncrementalEvaluation(tbl, 'prediction', 'label', 'ts')
    assert exc.value.details == {'missing': 1}
    future = _rows(10)
    future[0]['ts'] = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)
    later = _table(home, 'future_ts', future)
    with pytest.raises(TimestampError, match='future'):
        IncrementalEvaluation(later, 'prediction', 'label', 'ts')
    assert _version(tbl) == version and 'eval_correct' not in later.columns()
    assert not {f'{home}/no_ts_eval', f'{home}/future_ts_eval'} & set(pxt.list_dirs(home))


def test_rows_without_or_with_future_timestamps_after_creation_are_counted_not_placed(home: str) -> None:
    tbl = _table(home, 'late_nulls', _rows(30))
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts')
    tbl.insert([{**_rows(1, start=100)[0], 'ts': None}])
    future = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=30)
    tbl.insert([{**_rows(1, start=101)[0], 'ts': future}])  # a wrong clock must not close the open window
    result = ev.refresh()
    assert result.unplaced == 1 and result.future == 1
    frame = ev.to_pandas()
    assert frame['rows'].sum() == 30 and len(frame) == 3


def test_columns_of_another_table_or_of_the_wrong_type(home: str) -> None:
    tbl = _table(home, 'cols', _rows(10))
    other = _table(home, 'other', _rows(10))
    version = _version(tbl)
    with pytest.raises(InvalidColumnError, match='belongs to another table'):
        IncrementalEvaluation(tbl, other.prediction, 'label', 'ts')
    pxt.create_dir(f'{home}/elsewhere')
    namesake = _table(home, 'elsewhere/cols', _rows(3))  # same table name, another directory
    with pytest.raises(InvalidColumnError, match='belongs to another table'):
        IncrementalEvaluation(tbl, 'prediction', namesake.label, 'ts')
    with pytest.raises(InvalidColumnError, match='no column'):
        IncrementalEvaluation(tbl, 'pred', 'label', 'ts')
    with pytest.raises(InvalidColumnError, match='int or string'):
        IncrementalEvaluation(tbl, 'confidence', 'label', 'ts')
    with pytest.raises(InvalidColumnError, match='not timestamp'):
        IncrementalEvaluation(tbl, 'prediction', 'label', 'digit')
    with pytest.raises(InvalidWindowError):
        IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='hourly')
    with pytest.raises(InvalidWindowError, match='order'):
        IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='5 rows')
    with pytest.raises(InvalidReferenceError):
        IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', reference='yesterday')
    with pytest.raises(TableNotFoundError):
        IncrementalEvaluation(f'{home}/nope', 'prediction', 'label', 'ts')
    assert _version(tbl) == version and 'eval_correct' not in tbl.columns()
    ev = IncrementalEvaluation(tbl, tbl.prediction, tbl.label, tbl.ts)  # references of the table itself are fine
    with pytest.raises(InvalidColumnError, match='Labels must be int'):
        ev.add_labels({1: 'three'})


def test_row_windows_over_an_order_column(home: str) -> None:
    tbl = _table(home, 'by_rows', _rows(45))
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', order='id', window='20 rows', name='by20')
    ev.refresh()
    frame = ev.to_pandas()
    assert frame['rows'].tolist() == [20, 20, 5] and frame['label'].tolist()[0] == 'rows 0-19'
    assert 'by20_t' not in tbl.columns()
    with pytest.raises(InvalidWindowError, match='timestamp'):
        ev.set_window('1h')


def test_string_classes_and_a_corrected_label(home: str) -> None:
    schema = {'id': pxt.Int, 'ts': pxt.Timestamp, 'pred': pxt.String, 'truth': pxt.String | None}
    tbl = pxt.create_table(f'{home}/strings', schema, primary_key='id')
    names = ['cat', 'dog', 'bird']
    tbl.insert(
        [
            {'id': i, 'ts': T0 + datetime.timedelta(minutes=2 * i), 'pred': names[i % 3], 'truth': names[(i // 2) % 3]}
            for i in range(60)
        ]
    )
    ev = IncrementalEvaluation(tbl, 'pred', 'truth', 'ts')
    ev.refresh()
    frame = rows_of_strings(tbl)
    for row in ev.to_pandas().to_dict('records'):
        want = frame[frame['bucket'] == row['bucket']]
        assert row['accuracy'] == pytest.approx((want['pred'] == want['truth']).mean())
    tbl.update({'truth': 'fish'}, where=tbl.id == 45)  # a corrected label: the counts stay, the cells change
    result = ev.refresh()
    assert result.changed == [int((T0 + datetime.timedelta(minutes=90)).timestamp()) // 3600]
    with pytest.raises(InvalidColumnError, match='Labels must be str'):
        ev.add_labels({1: 3})


def rows_of_strings(tbl: pxt.Table) -> Any:
    frame = tbl.select(tbl.ts, tbl.pred, tbl.truth).collect().to_pandas()
    frame['bucket'] = [int(t.timestamp()) // 3600 for t in frame['ts']]
    return frame
