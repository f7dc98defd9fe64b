"""ExperimentTimeline's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/experiment_timeline.json): the runs with their metrics, two runs picked and compared, another
metric, a cleanup the kernel refuses, a promotion planned, confirmed and shown, the parallel-coordinates chart, tags
(a collision refused), and a new run's form generated from the setup's signature."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness, recorded


def timeline() -> dict[str, Any]:
    return recorded('experiment_timeline', 'timeline', {'metric': None})['reply']


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('experiment_timeline')
    expect(h.by_id('pxw-et-run-1')).to_be_visible()
    return h


def test_runs_show_status_metrics_and_the_latest(h: Harness) -> None:
    assert h.requests('timeline') == [{'metric': None}]
    t = timeline()
    expect(h.by_id('pxw-et-name')).to_have_text(t['name'])
    expect(h.by_id('pxw-et-count')).to_have_text(f'{len(t["runs"])} versions')
    latest = next(r for r in t['runs'] if r['latest'])
    expect(h.by_id('pxw-et-latest')).to_have_text(f'latest v{latest["version"]}')
    expect(h.by_id(f'pxw-et-run-{latest["version"]}')).to_have_class(re.compile('pxw-et-row-latest'))
    for run in t['runs']:
        expect(h.by_id(f'pxw-et-status-{run["version"]}')).to_have_text(run['status'])
        for name, value in run['metrics'].items():
            expect(h.by_id(f'pxw-et-metric-{run["version"]}-{name}')).to_have_text(str(value))
    expect(h.by_id('pxw-et-metric')).to_have_value(t['metric'])


def test_two_picked_runs_are_compared(h: Harness) -> None:
    compare = h.by_id('pxw-et-compare')
    expect(compare).to_be_disabled()
    h.by_id('pxw-et-pick-2').check()
    expect(h.by_id('pxw-et-pick-note')).to_have_text('v2 picked; pick one more.')
    h.by_id('pxw-et-pick-1').check()
    expect(h.by_id('pxw-et-pick-note')).to_have_text('v1 → v2')
    compare.click()
    assert h.wait_requests('compare', 1) == {'a': 1, 'b': 2}
    assert ['set', 'selected', [1, 2]] in h.fake('f => f.log')
    c = recorded('experiment_timeline', 'compare', {'a': 1, 'b': 2})['reply']
    flagged = next(m for m in c['metrics'] if m['name'] == 'flagged')
    expect(h.by_id('pxw-et-delta-flagged')).to_contain_text(str(flagged['delta']))
    expect(h.by_id('pxw-et-schema')).to_have_text('same schema')
    expect(h.by_id('pxw-et-diff-row')).to_have_count(len(c['diff']['rows']))
    changed = h.by_id('pxw-et-diff-row').first.get_by_test_id('pxw-et-changed-cell')
    expect(changed).to_have_attribute('data-column', c['diff']['rows'][0]['changed'][0])


def test_another_metric_reloads_the_timeline(h: Harness) -> None:
    h.by_id('pxw-et-metric').select_option('flagged')
    assert h.wait_requests('timeline', 2) == {'metric': 'flagged'}
    assert ['set', 'metric', 'flagged'] in h.fake('f => f.log')
    expect(h.by_id('pxw-et-metric')).to_have_value('flagged')


def test_a_refused_cleanup_and_a_confirmed_promotion(h: Harness) -> None:
    h.by_id('pxw-et-keep').fill('0')
    h.by_id('pxw-et-cleanup').click()
    h.shows_recorded_error('plan', code='invalid')
    assert h.last('plan') == {'action': 'cleanup', 'keep': 0, 'force': False}
    expect(h.by_id('pxw-drop-dialog')).to_be_hidden()

    h.by_id('pxw-et-promote-1').click()
    assert h.wait_requests('plan', 2) == {'action': 'promote', 'version': 1}
    plan = recorded('experiment_timeline', 'plan', {'action': 'promote', 'version': 1})['reply']['plan']
    expect(h.by_id('pxw-drop-plan')).to_have_text(f'{plan["title"]}?')
    assert h.requests('execute') == []  # nothing runs before the confirmation
    h.by_id('pxw-drop-confirm').click()
    assert h.wait_requests('execute', 1) == {'action': 'promote', 'version': 1, 'token': plan['token']}
    expect(h.by_id('pxw-et-unpromote-1')).to_be_visible()
    expect(h.by_id('pxw-drop-dialog')).to_be_hidden()


@pytest.fixture
def tags(harness: Harness) -> Harness:
    h = harness.replay('experiment_timeline', 'tags')
    expect(h.by_id('pxw-et-run-1')).to_be_visible()
    return h


def test_the_parallel_coordinates_chart(tags: Harness) -> None:
    chart = tags.by_id('pxw-et-chart')
    t = recorded('experiment_timeline', 'timeline', {'metric': None}, scenario='tags')['reply']
    axes = t['parallel']['layout']['xaxis']['ticktext']
    expect(chart.locator('.xtick', has_text=axes[0])).to_have_count(0)
    tags.by_id('pxw-et-chart-kind').select_option('parallel')
    expect(chart.locator('.xtick', has_text=axes[0])).to_have_count(1)
    expect(chart.locator('.scatterlayer .trace')).to_have_count(len(t['parallel']['data']))
    tags.by_id('pxw-et-chart-kind').select_option('version')
    expect(chart.locator('.xtick', has_text=axes[0])).to_have_count(0)


def test_a_tag_is_set_and_a_colliding_one_refused(tags: Harness) -> None:
    h = tags
    h.by_id('pxw-et-tag-version').fill('1')
    h.by_id('pxw-et-tag-name').fill('baseline')
    h.by_id('pxw-et-tag').click()
    assert h.wait_requests('tag', 1) == {'name': 'baseline', 'version': 1, 'move': False}
    expect(h.by_id('pxw-et-run-1').get_by_test_id('pxw-et-tag-baseline')).to_be_visible()
    h.by_id('pxw-et-tag-version').fill('2')
    h.by_id('pxw-et-tag-name').fill('baseline')
    h.by_id('pxw-et-tag').click()
    sent = h.wait_requests('tag', 2)
    error = recorded('experiment_timeline', 'tag', sent, scenario='tags')['error']
    assert error['code'] == 'tag_refused'
    expect(h.by_id('pxw-error-message')).to_have_text(error['message'])
    expect(h.by_id('pxw-et-run-2').get_by_test_id('pxw-et-tag-baseline')).to_have_count(0)


def test_a_new_run_form_from_the_setup_signature(tags: Harness) -> None:
    h = tags
    h.by_id('pxw-et-new-run').click()
    form = recorded('experiment_timeline', 'run_form', {}, scenario='tags')['reply']
    expect(h.by_id('pxw-et-run-form')).to_be_visible()
    for spec in form['params']:  # numbers as the browser writes them: 0.0 is "0"
        default = spec['default']
        shown = f'{default:g}' if isinstance(default, float) else str(default)
        expect(h.by_id(f'pxw-param-{spec["name"]}')).to_have_value(shown)
    h.by_id('pxw-param-n').fill('2.5')
    h.by_id('pxw-et-run-start').click()
    expect(h.by_id('pxw-param-error-n')).to_have_text('Enter a whole number.')  # checked before anything is sent
    assert h.requests('run') == []
