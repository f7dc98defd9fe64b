"""IncrementalEvaluation on real Pixeltable: metrics against scikit-learn, late labels, alerts, reopen, snapshots."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.demo.drifting_digits import Batch, drifting_batches
from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.incremental import IncrementalEvaluation, stats
from tests.support.incremental import expected_windows, predictions_table, rows_of
from tests.unit.test_progressive_helpers import run_fresh

HOUR = 3600
N_BATCHES = 7
DRIFT_FROM = 4


@pytest.fixture(scope='module')
def batches() -> list[Batch]:
    return drifting_batches(n_batches=N_BATCHES, batch_size=300, drift_from=DRIFT_FROM, seed=3)


@pytest.fixture(scope='module')
def home_dir(pxt_home: Path) -> Iterator[str]:
    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(scope='module')
def evaluation(home_dir: str, batches: list[Batch]) -> IncrementalEvaluation:
    """Six batches in, the reference is the first two hours; batch 6 arrives in a test."""
    tbl = predictions_table(f'{home_dir}/preds', batches[: N_BATCHES - 1])
    ev = IncrementalEvaluation(
        tbl,
        'prediction',
        'label',
        'ts',
        numeric=['confidence'],
        window='1h',
        reference=(batches[0].start, batches[2].start),
        thresholds={'min_accuracy': 0.8, 'drift_rule': 'evidently'},  # the assertions below are Evidently's rule
    )
    ev.refresh()
    return ev


def _stored(ev: IncrementalEvaluation) -> dict[int, dict[str, Any]]:
    return {int(r['bucket']): r for r in ev.to_pandas().to_dict('records')}


def test_window_metrics_equal_scikit_learn_and_pending_is_not_wrong(evaluation: IncrementalEvaluation) -> None:
    stored = _stored(evaluation)
    expected = expected_windows(rows_of(evaluation.table), HOUR)
    assert sorted(stored) == sorted(expected)
    assert len(stored) == N_BATCHES - 1
    for bucket, want in expected.items():
        got = stored[bucket]
        assert got['rows'] == want['rows'] and got['pending'] == want['pending']
        assert got['labeled'] == want['rows'] - want['pending'] > 0
        for metric in ('accuracy', 'precision', 'recall', 'f1'):
            assert got[metric] == pytest.approx(want[metric]), (bucket, metric)
    assert evaluation.pending() == sum(w['pending'] for w in expected.values()) > 0


def test_correctness_is_a_computed_column_that_is_none_while_pending(evaluation: IncrementalEvaluation) -> None:
    t = evaluation.table
    rows = t.select(t.prediction, t.label, c=t.eval_correct).collect()
    assert all((r['c'] is None) == (r['label'] is None) for r in rows)
    assert all(r['c'] == (r['prediction'] == r['label']) for r in rows if r['label'] is not None)
    md = t.get_metadata()['columns']
    assert md['eval_correct']['is_stored'] and md['eval_t']['is_stored']


def test_drift_alerts_fire_in_the_first_drifted_window_and_not_before(
    evaluation: IncrementalEvaluation, batches: list[Batch]
) -> None:
    alerts = evaluation.alerts()
    first_drifted = int(batches[DRIFT_FROM].start.timestamp()) // HOUR
    assert len(alerts) > 0
    assert alerts['bucket'].min() == first_drifted
    assert set(alerts['statistic']) == {'psi', 'js', 'ks_pvalue', 'accuracy'}  # 600 reference values: KS decides
    drift = _stored(evaluation)[first_drifted]['drift']
    assert drift['prediction']['psi'] >= 0.1 and drift['confidence']['ks_pvalue'] < 0.05
    assert not alerts['alert_id'].duplicated().any()


def _owned_versions(ev: IncrementalEvaluation) -> list[int]:
    store = ev._store
    return [t.get_metadata()['version'] for t in (store.settings_table, store.windows_table, store.alerts_table)]


def test_a_refresh_without_changes_recomputes_nothing_and_writes_nothing(evaluation: IncrementalEvaluation) -> None:
    before = len(evaluation.alerts())
    version, owned = evaluation.version, _owned_versions(evaluation)
    result = evaluation.refresh()
    assert result.changed == [] and result.removed == [] and result.alerts == []
    assert result.unchanged == N_BATCHES - 1
    assert len(evaluation.alerts()) == before and evaluation.version == version
    assert _owned_versions(evaluation) == owned
    prints = evaluation.to_pandas()['fingerprint'].tolist()
    forced = evaluation.refresh(force=True)
    assert len(forced.changed) == N_BATCHES - 1 and forced.alerts == []
    assert evaluation.to_pandas()['fingerprint'].tolist() == prints  # same inputs, same statistics


def test_a_reference_range_off_window_boundaries_gives_the_same_statistics(
    evaluation: IncrementalEvaluation, batches: list[Batch]
) -> None:
    import datetime

    aligned = evaluation.to_pandas()['drift'].tolist()
    evaluation.set_reference((batches[0].start - datetime.timedelta(minutes=30), batches[2].start))  # same rows
    evaluation.refresh()
    shifted = evaluation.to_pandas()['drift'].tolist()
    evaluation.set_reference((batches[0].start, batches[2].start))
    evaluation.refresh()
    for a, b in zip(aligned, shifted, strict=True):
        for column in a:
            for stat, value in a[column].items():
                assert b[column][stat] == pytest.approx(value), (column, stat)


def test_late_labels_rescore_their_rows_and_change_only_their_window(
    evaluation: IncrementalEvaluation, batches: list[Batch]
) -> None:
    late = batches[3].late_labels
    before = _stored(evaluation)
    bucket = int(batches[3].start.timestamp()) // HOUR
    version = evaluation.version
    assert evaluation.add_labels(late) == len(late)
    assert evaluation.version == version + 1  # one update of the evaluated table: Pixeltable re-scored the rows
    result = evaluation.refresh()
    assert result.changed == [bucket]
    after = _stored(evaluation)
    assert after[bucket]['pending'] == 0 and after[bucket]['labeled'] == after[bucket]['rows']
    assert after[bucket]['accuracy'] == pytest.approx(batches[3].accuracy())
    for other in before:
        if other != bucket:
            assert after[other]['fingerprint'] == before[other]['fingerprint']
            assert after[other]['accuracy'] == before[other]['accuracy']
    t = evaluation.table
    ids = list(late)[:5]
    assert all(r['c'] is not None for r in t.where(t.id.isin(ids)).select(c=t.eval_correct).collect())


def test_a_corrected_label_changes_its_window_only(evaluation: IncrementalEvaluation, batches: list[Batch]) -> None:
    row = next(r for r in batches[3].rows if r['label'] is not None)
    t = evaluation.table
    t.update({'label': (row['label'] + 1) % 10}, where=t.id == row['id'])  # the counts stay the same
    assert evaluation.refresh().changed == [int(batches[3].start.timestamp()) // HOUR]
    t.update({'label': row['label']}, where=t.id == row['id'])
    assert evaluation.refresh().changed == [int(batches[3].start.timestamp()) // HOUR]


def test_an_insert_recomputes_only_the_new_window(evaluation: IncrementalEvaluation, batches: list[Batch]) -> None:
    evaluation.table.insert(batches[-1].rows)
    result = evaluation.refresh()
    assert result.changed == [int(batches[-1].start.timestamp()) // HOUR]
    assert result.unchanged == N_BATCHES - 1
    # the previous window is complete now: its alerts are raised by this refresh
    previous = int(batches[-2].start.timestamp()) // HOUR
    assert {a['bucket'] for a in result.alerts} == {previous}


def test_a_metric_threshold_fires_exactly_when_crossed_and_once(evaluation: IncrementalEvaluation) -> None:
    stored = _stored(evaluation)
    buckets = sorted(stored)
    quiet = buckets[2]  # complete, not the reference, not drifted
    accuracy = stored[quiet]['accuracy']
    evaluation.set_thresholds(min_accuracy=accuracy)  # equal: not below, no alert
    assert [a for a in evaluation.refresh().alerts if a['bucket'] == quiet] == []
    evaluation.set_thresholds(min_accuracy=accuracy + 1e-9)
    fired = [a for a in evaluation.refresh().alerts if a['bucket'] == quiet]
    assert [(a['statistic'], a['value']) for a in fired] == [('accuracy', pytest.approx(accuracy))]
    assert evaluation.refresh().alerts == []  # once
    evaluation.set_thresholds(min_accuracy=0.8)


def test_thresholds_and_settings_survive_a_fresh_process(evaluation: IncrementalEvaluation) -> None:
    evaluation.set_thresholds(psi=0.25, page_hinkley=0.5)
    table = evaluation.spec.table
    seen = run_fresh(f"""
        import json
        from pxwidgets.patterns.incremental import IncrementalEvaluation
        ev = IncrementalEvaluation.open({table!r})
        r = ev.refresh()
        frame = ev.to_pandas()
        print(json.dumps({{'thresholds': ev.thresholds, 'window': ev.settings.window.text,
                          'reference': ev.settings.reference.to_json(), 'changed': r.changed,
                          'accuracy': [float(a) for a in frame['accuracy']]}}))
    """)
    assert seen['thresholds']['psi'] == 0.25 and seen['thresholds']['page_hinkley'] == 0.5
    assert seen['thresholds']['min_accuracy'] == 0.8
    assert seen['window'] == '1h' and seen['reference'] == evaluation.settings.reference.to_json()
    assert seen['changed'] == []
    assert seen['accuracy'] == pytest.approx([float(a) for a in evaluation.to_pandas()['accuracy']])
    evaluation.set_thresholds(psi=0.1, page_hinkley=None)


def test_declaring_again_converges_and_other_columns_conflict(evaluation: IncrementalEvaluation) -> None:
    from pxwidgets.patterns.incremental import EvaluationConflictError

    version = evaluation.version
    again = IncrementalEvaluation(evaluation.table, 'prediction', 'label', 'ts', numeric=['confidence'])
    assert again.dir == evaluation.dir and evaluation.version == version
    with pytest.raises(EvaluationConflictError, match='other columns'):
        IncrementalEvaluation(evaluation.table, 'prediction', 'label', 'ts')
    assert evaluation.version == version


def test_snapshot_freezes_the_state_for_comparison(evaluation: IncrementalEvaluation, batches: list[Batch]) -> None:
    snap = evaluation.snapshot('before_labels')
    frozen = snap.windows()
    assert len(frozen) == len(evaluation.to_pandas())
    late = batches[DRIFT_FROM].late_labels
    evaluation.add_labels(late)
    evaluation.refresh()
    compared = evaluation.compare('before_labels')
    bucket = int(batches[DRIFT_FROM].start.timestamp()) // HOUR
    changed = compared[compared['pending_then'] != compared['pending_now']]
    assert changed['bucket'].tolist() == [bucket]
    assert snap.windows().equals(frozen)  # the snapshot does not move
    assert [s.name for s in evaluation.snapshots()] == ['before_labels']
    assert pxt.get_table(snap.rows_path).count() == evaluation.table.count()

    # the frozen rows as the reference: every window is compared with the whole table as it was
    reference = evaluation.settings.reference
    evaluation.set_reference({'snapshot': snap.rows_path})
    evaluation.refresh()
    frozen_rows = pxt.get_table(snap.rows_path).select(p=pxt.get_table(snap.rows_path).prediction).collect()
    ref_counts = Counter(r['p'] for r in frozen_rows)
    current = rows_of(evaluation.table)
    for row in evaluation.to_pandas().to_dict('records'):
        window_preds = current[current['epoch'] // HOUR == row['bucket']]['prediction']
        want = stats.psi(ref_counts, Counter(int(p) for p in window_preds))
        assert row['drift']['prediction']['psi'] == pytest.approx(want)
    evaluation.set_reference(reference)
    evaluation.refresh()


def test_figures_show_each_window(evaluation: IncrementalEvaluation) -> None:
    n = len(evaluation.to_pandas())
    metrics = evaluation.metrics_figure()
    assert [t.name for t in metrics.data][:4] == ['accuracy', 'precision', 'recall', 'f1']
    assert len(metrics.data[0].x) == n
    assert any(t.name == 'min_accuracy 0.8' for t in metrics.data)
    psi = evaluation.drift_figure('psi')
    assert {t.name for t in psi.data} == {'prediction', 'label', 'threshold 0.1'}
    frame = evaluation.to_pandas()
    cm = evaluation.confusion_figure(int(frame['bucket'].iloc[0]))
    assert sum(map(sum, cm.data[0].z)) == frame['labeled'].iloc[0]


def test_window_size_and_reference_change_without_touching_the_table(evaluation: IncrementalEvaluation) -> None:
    version = evaluation.version
    evaluation.set_window('2h')
    result = evaluation.refresh()
    expected = expected_windows(rows_of(evaluation.table), 2 * HOUR)
    stored = _stored(evaluation)
    assert sorted(stored) == sorted(expected) and sorted(result.changed) == sorted(expected)
    for bucket, want in expected.items():
        assert stored[bucket]['accuracy'] == pytest.approx(want['accuracy'])
    evaluation.set_window('1h')
    evaluation.set_reference(None)
    evaluation.refresh()
    assert evaluation.settings.reference.kind == 'first'
    assert evaluation.version == version


def test_late_labels_joined_from_a_labels_table(
    evaluation: IncrementalEvaluation, batches: list[Batch], home_dir: str
) -> None:
    late = batches[5].late_labels
    labels = pxt.create_table(f'{home_dir}/annotations', {'id': pxt.Int, 'digit': pxt.Int | None})
    labels.insert(
        [{'id': k, 'digit': v} for k, v in late.items()] + [{'id': 10**9, 'digit': 1}, {'id': 0, 'digit': None}]
    )
    bucket = int(batches[5].start.timestamp()) // HOUR
    assert evaluation.add_labels_from(labels, key='id', label='digit') == len(late)  # unknown ids and no-labels skipped
    assert evaluation.refresh().changed == [bucket]
    assert _stored(evaluation)[bucket]['pending'] == 0
    assert evaluation.add_labels_from(labels, key='id', label='digit') == 0  # nothing left to fill
    with pytest.raises(InvalidRequestError, match='match no row'):
        evaluation.add_labels({10**9: 1})
