"""DriftDashboard's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/drift_dashboard.json): the first refresh with its windows and alerts, one window's detail,
another drift statistic, thresholds edited and applied, and a threshold the kernel refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness, recorded


def first_state() -> dict[str, Any]:
    return recorded('drift_dashboard', 'refresh', {'statistic': 'psi'})['reply']


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('drift_dashboard')
    expect(h.by_id('pxw-dd-count')).to_be_visible()
    return h


def test_first_refresh_shows_windows_alerts_and_what_waits_for_labels(h: Harness) -> None:
    assert h.requests('refresh') == [{'statistic': 'psi'}]
    s = first_state()
    expect(h.by_id('pxw-dd-table')).to_have_text(s['table'])
    expect(h.by_id('pxw-dd-count')).to_have_text(f'{len(s["windows"])} windows')
    expect(h.by_id('pxw-dd-pending')).to_have_text(f'{s["pending"]} waiting for labels')
    expect(h.by_id('pxw-dd-alert-count')).to_have_text(f'{len(s["alerts"])} alerts')
    for a in s['alerts']:
        expect(h.by_id(f'pxw-dd-alert-{a["statistic"]}-{a["column"]}-{a["bucket"]}')).to_contain_text(a['message'])


def test_a_window_shows_its_detail_and_is_remembered(h: Harness) -> None:
    s = first_state()
    drifted = next(w for w in s['windows'] if w['alerts'])
    h.by_id('pxw-tab-windows').click()
    row = h.by_id(f'pxw-dd-window-{drifted["bucket"]}')
    expect(row).to_have_class(re.compile('pxw-dd-alerted'))
    expect(row).to_contain_text(f'⚠ {drifted["alerts"]}')
    row.click()
    assert h.wait_requests('window', 1) == {'bucket': drifted['bucket']}
    expect(row).to_have_class(re.compile('pxw-dd-picked'))
    w = recorded('drift_dashboard', 'window', {'bucket': drifted['bucket']})['reply']
    expect(h.by_id('pxw-dd-detail-title')).to_have_text(
        f'{w["label"]}: {w["rows"]} rows, {w["labeled"]} labeled, {w["pending"]} waiting'
    )
    assert h.page.evaluate('window.__model.get("bucket")') == drifted['bucket']


def test_another_statistic_asks_for_the_state_with_it(h: Harness) -> None:
    h.by_id('pxw-dd-statistic').select_option('ks_pvalue')
    assert h.wait_requests('state', 1) == {'statistic': 'ks_pvalue'}
    assert ['set', 'statistic', 'ks_pvalue'] in h.fake('f => f.log')
    expect(h.by_id('pxw-dd-statistic')).to_have_value('ks_pvalue')


def test_settings_edit_a_threshold_and_apply(h: Harness) -> None:
    h.by_id('pxw-tab-settings').click()
    expect(h.by_id('pxw-param-min_accuracy')).to_be_visible()
    h.by_id('pxw-param-min_accuracy').fill('0.9')
    expect(h.by_id('pxw-dd-settings-note')).to_have_text('Not applied yet.')
    h.by_id('pxw-dd-apply').click()
    sent = h.wait_requests('configure', 1)
    assert sent['thresholds']['min_accuracy'] == 0.9 and sent['window'] == '1h'
    s = recorded('drift_dashboard', 'configure', sent)['reply']
    expect(h.by_id('pxw-dd-settings-note')).to_have_text(f'Applied. Reference: {s["reference"]["text"]}.')
    expect(h.by_id('pxw-dd-alert-count')).to_have_text(f'{len(s["alerts"])} alerts')
    assert len(s['alerts']) > len(first_state()['alerts'])  # accuracy below 0.9 alerts too


def test_a_refused_window_changes_nothing(h: Harness) -> None:
    h.by_id('pxw-tab-settings').click()
    h.by_id('pxw-param-psi').fill('0')
    h.by_id('pxw-dd-apply').click()
    expect(h.by_id('pxw-dd-settings-note')).to_have_text('Fix the marked thresholds first.')  # the form's own check
    expect(h.by_id('pxw-param-error-psi')).to_be_visible()
    assert h.requests('configure') == []
    h.by_id('pxw-param-psi').fill('0.1')
    h.by_id('pxw-dd-window').fill('fortnightly')
    h.by_id('pxw-dd-apply').click()
    h.shows_recorded_error('configure', code='invalid_window')
    expect(h.by_id('pxw-dd-settings-note')).to_have_text('Refused; nothing changed.')
    expect(h.by_id('pxw-dd-window-badge')).to_have_text('windows of 1h')
