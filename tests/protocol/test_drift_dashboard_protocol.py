"""DriftDashboard's commands without a browser: state, refresh after inserts and late labels, configure (and its
refusals, each a clear error reply with nothing changed), one window's confusion matrix, the version poll."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import DriftDashboard
from pxwidgets.demo.drifting_digits import Batch, drifting_batches
from pxwidgets.patterns.incremental import IncrementalEvaluation
from pxwidgets.patterns.incremental.alerts import alert_candidates
from tests.support.incremental import predictions_table
from tests.support.recording import Recording


@pytest.fixture(scope='module')
def batches() -> list[Batch]:
    return drifting_batches(n_batches=6, batch_size=250, drift_from=4, seed=3)


@pytest.fixture(scope='module')
def evaluation(pxt_home: Path, batches: list[Batch]) -> Iterator[IncrementalEvaluation]:
    root = f'dd_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(root)
    tbl = predictions_table(f'{root}/preds', batches[:4])
    yield IncrementalEvaluation(
        tbl,
        'prediction',
        'label',
        'ts',
        numeric=['confidence'],
        reference=(batches[0].start, batches[2].start),
        thresholds={'min_rows': 50, 'min_accuracy': 0.8, 'drift_rule': 'evidently'},  # these tests: Evidently's rule
    )
    pxt.drop_dir(root, force=True, if_not_exists='ignore')


def ok(reply: dict[str, Any]) -> Any:
    assert reply['ok'], reply.get('error')
    return reply['payload']


def err(reply: dict[str, Any]) -> dict[str, Any]:
    assert not reply['ok'], reply.get('payload')
    return dict(reply['error'])


def test_refresh_then_state(evaluation: IncrementalEvaluation) -> None:
    panel = DriftDashboard(evaluation.spec.table)  # opened from the table's path
    assert (panel.table, panel.name) == (evaluation.spec.table, 'eval')
    s = ok(panel.handle_request('refresh'))
    assert s['refreshed']['changed'] == 4 and len(s['windows']) == 4
    assert s['pending'] == sum(w['pending'] for w in s['windows']) > 0
    assert (
        s['window'] == '1h' and s['reference']['kind'] == 'range' and s['reference']['text'].endswith('10:00:00+00:00')
    )
    assert [t['name'] for t in s['metrics_figure']['data'][:4]] == ['accuracy', 'precision', 'recall', 'f1']
    assert any(t['name'] == 'threshold 0.1' for t in s['drift_figure']['data'])
    assert {p['name'] for p in s['threshold_params']} == set(s['thresholds'])
    assert s['alerts'] == []  # no drift in the first four hours
    same = ok(panel.handle_request('refresh'))  # nothing changed: nothing recomputed, the same picture
    assert same['refreshed']['changed'] == 0 and same['refreshed']['unchanged'] == 4
    assert same['windows'] == s['windows'] and same['metrics_figure'] == s['metrics_figure']
    again = ok(panel.handle_request('state', {'statistic': 'ks_pvalue'}))
    assert again['refreshed'] is None and panel.statistic == 'ks_pvalue'
    assert again['drift_figure']['layout']['yaxis']['type'] == 'log'


def test_inserted_batches_show_a_new_window_and_their_alerts(
    evaluation: IncrementalEvaluation, batches: list[Batch]
) -> None:
    panel = DriftDashboard(evaluation)
    before = ok(panel.handle_request('version'))['version']
    evaluation.table.insert(batches[4].rows)
    evaluation.table.insert(batches[5].rows)
    assert ok(panel.handle_request('version'))['version'] == before + 2
    s = ok(panel.handle_request('refresh', {'statistic': 'psi'}))
    assert s['refreshed']['changed'] == 2 and len(s['windows']) == 6
    drifted = s['windows'][4]
    assert {a['bucket'] for a in s['alerts']} == {drifted['bucket']}  # the last window is not complete yet
    assert drifted['alerts'] == len(s['alerts']) and {'psi', 'accuracy'} <= {a['statistic'] for a in s['alerts']}


def test_late_labels_show_up_after_a_refresh(evaluation: IncrementalEvaluation, batches: list[Batch]) -> None:
    panel = DriftDashboard(evaluation)
    evaluation.add_labels(batches[3].late_labels)  # a window outside the reference: only it changes
    s = ok(panel.handle_request('refresh'))
    assert s['refreshed']['changed'] == 1
    assert s['windows'][3]['pending'] == 0 and s['windows'][2]['pending'] > 0


def test_one_window(evaluation: IncrementalEvaluation) -> None:
    panel = DriftDashboard(evaluation)
    s = ok(panel.handle_request('state'))
    w = s['windows'][2]
    reply = ok(panel.handle_request('window', {'bucket': w['bucket']}))
    assert sum(map(sum, reply['figure']['data'][0]['z'])) == w['labeled']
    assert sum(c['support'] for c in reply['classes']) == w['labeled']
    assert set(reply['drift']) == {'prediction', 'label', 'confidence'} and panel.bucket == w['bucket']
    assert err(panel.handle_request('window', {'bucket': 12}))['code'] == 'invalid'
    assert err(panel.handle_request('window', {'bucket': 'x'}))['code'] == 'invalid'


def test_configure_changes_settings_and_refreshes(evaluation: IncrementalEvaluation) -> None:
    panel = DriftDashboard(evaluation)
    version = evaluation.version
    s = ok(panel.handle_request('configure', {'window': '2h', 'thresholds': {'psi': 0.3, 'min_accuracy': 0.9}}))
    assert s['window'] == '2h' and s['thresholds']['psi'] == 0.3 and s['thresholds']['min_accuracy'] == 0.9
    assert len(s['windows']) == 3 and s['refreshed']['changed'] == 3
    first = s['windows'][0]['bucket']
    s = ok(
        panel.handle_request('configure', {'window': '1h', 'reference': {'kind': 'window', 'bucket': first * 2 + 1}})
    )
    assert s['reference']['kind'] == 'window' and s['reference']['bucket'] == first * 2 + 1
    s = ok(panel.handle_request('configure', {'reference': None}))
    assert s['reference']['kind'] == 'first'
    assert evaluation.version == version  # settings live in the evaluation's own table


@pytest.mark.parametrize(
    ('payload', 'code', 'field'),
    [
        ({'thresholds': {'psi': -1}}, 'invalid_parameter', 'psi'),
        ({'thresholds': {'ks_pvalue': 'low'}}, 'invalid_parameter', 'ks_pvalue'),
        ({'thresholds': {'min_rows': 0, 'js': 2}}, 'invalid_parameter', 'min_rows'),
        ({'thresholds': [1, 2]}, 'invalid', None),
        ({'window': 'fortnightly'}, 'invalid_window', None),
        ({'window': '30 rows'}, 'invalid_window', None),
        ({'reference': {'kind': 'window', 'start': '2001-01-01T00:00'}}, 'empty_reference', None),
        ({'reference': {'kind': 'range', 'start': '2026-02-01', 'end': '2026-01-01'}}, 'invalid_reference', None),
        ({'reference': {'kind': 'snapshot', 'path': 'no/such/snapshot'}}, 'invalid_reference', None),
        ({'statistic': 'chi2'}, 'invalid', None),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    evaluation: IncrementalEvaluation, payload: dict[str, Any], code: str, field: str | None
) -> None:
    panel = DriftDashboard(evaluation)
    before = (evaluation.version, evaluation.settings)
    error = err(panel.handle_request('configure', payload))
    assert error['code'] == code, error
    assert error['message']
    if field is not None:
        assert field in {e['param'] for e in error['details']['params']}
    assert (evaluation.version, evaluation.settings) == before


@pytest.fixture(scope='module')
def harness_panel(batches: list[Batch]) -> Iterator[DriftDashboard]:
    """A dashboard of its own (the other tests change their evaluation): six hours, drift in the fifth."""
    root = f'dd_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(root)
    tbl = predictions_table(f'{root}/preds', batches)
    evaluation = IncrementalEvaluation(
        tbl, 'prediction', 'label', 'ts', numeric=['confidence'], reference=(batches[0].start, batches[2].start)
    )
    yield DriftDashboard(evaluation)
    pxt.drop_dir(root, force=True, if_not_exists='ignore')


def test_the_sample_size_rule_from_the_panel(evaluation: IncrementalEvaluation) -> None:
    panel = DriftDashboard(evaluation)
    version = evaluation.version
    refused = panel.handle_request('configure', {'thresholds': {'drift_rule': 'loudest'}})
    assert not refused['ok'] and 'drift_rule' in refused['error']['message']
    assert evaluation.version == version and evaluation.thresholds['drift_rule'] == 'evidently'
    s = ok(panel.handle_request('configure', {'thresholds': {'drift_rule': 'sample_size', 'false_alarm_rate': 0.01}}))
    assert s['thresholds']['drift_rule'] == 'sample_size' and evaluation.version == version
    rows = {int(r['bucket']): r for r in evaluation.to_pandas().to_dict('records')}
    for r in rows.values():  # every window stores its no-drift limits beside its statistics
        assert r['drift']['prediction']['js_limit'] > 0 and r['drift']['confidence']['wasserstein_limit'] > 0
    candidates = alert_candidates(list(rows.values()), evaluation.thresholds, reference_bucket=min(rows))
    assert candidates and {c['statistic'] for c in candidates} <= {'js', 'wasserstein', 'accuracy'}
    for c in candidates:  # each above the limit stored beside it
        if c['statistic'] != 'accuracy':
            stats = rows[c['bucket']]['drift'][c['column']]
            assert c['threshold'] == stats[f'{c["statistic"]}_limit'] < stats[c['statistic']]
    assert min(c['bucket'] for c in candidates) == sorted(rows)[4]  # the first drifted window, not before


def test_harness_scenario(harness_panel: DriftDashboard, recorder: Callable[..., Recording]) -> None:
    """What tests/js/test_drift_dashboard_harness.py replays: the first refresh, a window, another statistic,
    thresholds edited (one refused)."""
    panel = harness_panel
    recorder(panel, writes=('configure',), replace={panel.table.split('/')[0]: 'harness'})
    s = ok(panel.handle_request('refresh', {'statistic': 'psi'}))
    assert len(s['windows']) == 6 and s['alerts']
    ok(panel.handle_request('version'))
    assert ok(panel.handle_request('window', {'bucket': s['windows'][4]['bucket']}))['classes']
    assert ok(panel.handle_request('state', {'statistic': 'ks_pvalue'}))['refreshed'] is None
    ref = {k: s['reference'][k] for k in ('kind', 'start', 'end')}  # the settings form as the panel fills it
    settings = {'window': '1h', 'reference': ref, 'thresholds': s['thresholds'], 'statistic': 'psi'}
    assert err(panel.handle_request('configure', {**settings, 'window': 'fortnightly'}))['code'] == 'invalid_window'
    stricter = ok(
        panel.handle_request('configure', {**settings, 'thresholds': {**s['thresholds'], 'min_accuracy': 0.9}})
    )
    assert len(stricter['alerts']) > len(s['alerts'])
