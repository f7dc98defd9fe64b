"""ExperimentTimeline's commands without a browser: timeline, compare, diff, plans that are confirmed before they
run, snapshot, and the bad-input cases (each a clear error reply, nothing changed)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import ExperimentTimeline
from pxwidgets.patterns.versioned import VersionedExperiment
from tests.support.recording import Recording
from tests.support.tables import write_photos
from tests.support.versioned import build_numbers


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'vp_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(scope='module')
def exp(root: str) -> VersionedExperiment:
    e = VersionedExperiment(f'{root}/exp', build_numbers, keep=1)
    for threshold in (0.3, 0.5, 0.7):
        e.run(threshold=threshold)
    return e


@pytest.fixture(scope='module')
def photos_table(root: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    photos = write_photos(tmp_path_factory.mktemp('p'), 4)
    t = pxt.create_table(f'{root}/photos', {'id': pxt.Int, 'img': pxt.Image, 'label': pxt.String})
    t.insert([{'id': i, 'img': photos[i], 'label': 'cat'} for i in range(3)])  # version 1
    t.update({'label': 'dog'}, where=t.id == 1)  # version 2: a bad update
    t.update({'img': photos[3]}, where=t.id == 2)  # version 3
    return f'{root}/photos'


def ok(reply: dict[str, Any]) -> Any:
    assert reply['ok'], reply.get('error')
    return reply['payload']


def err(reply: dict[str, Any]) -> dict[str, Any]:
    assert not reply['ok'], reply.get('payload')
    return dict(reply['error'])


def test_timeline_of_an_experiment(exp: VersionedExperiment, root: str) -> None:
    panel = ExperimentTimeline(f'{root}/exp')
    assert (panel.mode, panel.name) == ('experiment', f'{root}/exp')
    t = ok(panel.handle_request('timeline'))
    assert [(r['version'], r['status'], r['latest']) for r in t['runs']] == [
        (1, 'ok', False),
        (2, 'ok', False),
        (3, 'ok', True),
    ]
    assert [r['params']['threshold'] for r in t['runs']] == [0.3, 0.5, 0.7]
    assert set(t['metrics']) == {'flagged', 'share'} and t['keep'] == 1
    chosen = ok(panel.handle_request('timeline', {'metric': 'flagged'}))
    assert chosen['metric'] == 'flagged' and panel.metric == 'flagged'
    trace = chosen['figure']['data'][0]
    assert trace['x'] == [1, 2, 3] and trace['y'] == [13, 9, 5]
    # an unknown metric falls back to the chosen one rather than failing
    assert ok(panel.handle_request('timeline', {'metric': 'nope'}))['metric'] == 'flagged'


def test_compare_two_runs(exp: VersionedExperiment) -> None:
    panel = ExperimentTimeline(exp)
    c = ok(panel.handle_request('compare', {'a': 1, 'b': 2}))
    assert c['params'] == [{'name': 'threshold', 'a': 0.3, 'b': 0.5, 'same': False}]
    assert {m['name']: m['delta'] for m in c['metrics']}['flagged'] == -4
    diff = c['diff']
    assert diff['changed'] == 4 and diff['changed_by_column'] == {'flag': 4}
    assert [col['name'] for col in diff['columns']] == ['id', 'value', 'flag']
    assert [col['status'] for col in diff['columns']] == ['key', 'key', 'both']
    row = diff['rows'][0]
    assert row['changed'] == ['flag'] and row['before'][2] == {'kind': 'bool', 'value': True}
    assert row['after'][2] == {'kind': 'bool', 'value': False}
    assert panel.selected == [1, 2]
    e = err(panel.handle_request('compare', {'a': 1, 'b': 42}))
    assert e['code'] == 'unknown_version' and '42' in e['message']


def test_plans_are_confirmed_before_they_run(root: str) -> None:
    e = VersionedExperiment(f'{root}/plans', build_numbers)
    for threshold in (0.1, 0.2, 0.3):
        e.run(threshold=threshold, n=4)
    panel = ExperimentTimeline(e)
    planned = ok(panel.handle_request('plan', {'action': 'cleanup', 'keep': 1}))
    assert [s['target'] for s in planned['plan']['steps']] == [f'{root}/plans/v1', f'{root}/plans/v2']
    assert planned['kept'] == [{'version': 3, 'reason': 'it is the latest version'}]
    assert [r.dropped for r in e.runs()] == [False, False, False]  # planning drops nothing
    # a wrong token does nothing, and says what the plan is now
    stale = err(panel.handle_request('execute', {'action': 'cleanup', 'keep': 1, 'token': 'not-the-plan'}))
    assert stale['code'] == 'plan_changed' and len(stale['details']['plan']['steps']) == 2
    assert [r.dropped for r in e.runs()] == [False, False, False]
    # promote v1 (a plan too), then the cleanup plan the user saw is stale
    promote = ok(panel.handle_request('plan', {'action': 'promote', 'version': 1}))['plan']
    ok(panel.handle_request('execute', {'action': 'promote', 'version': 1, 'token': promote['token']}))
    assert e.get(1).promoted
    stale = err(panel.handle_request('execute', {'action': 'cleanup', 'keep': 1, 'token': planned['plan']['token']}))
    assert stale['code'] == 'plan_changed'
    fresh = ok(panel.handle_request('plan', {'action': 'cleanup', 'keep': 1}))['plan']
    done = ok(panel.handle_request('execute', {'action': 'cleanup', 'keep': 1, 'token': fresh['token']}))
    assert [s['target'] for s in done['done']] == [f'{root}/plans/v2']
    assert [r['dropped'] for r in done['timeline']['runs']] == [False, True, False]


def test_bad_input_is_refused_with_nothing_changed(exp: VersionedExperiment, root: str) -> None:
    panel = ExperimentTimeline(exp)
    before = [(r.version, r.promoted, r.dropped) for r in exp.runs()]
    assert err(panel.handle_request('plan', {'action': 'cleanup', 'keep': 0}))['code'] == 'invalid'
    assert err(panel.handle_request('plan', {'action': 'drop_version', 'version': 3}))['code'] == 'invalid'  # latest
    assert err(panel.handle_request('plan', {'action': 'promote', 'version': 99}))['code'] == 'unknown_version'
    assert err(panel.handle_request('plan', {'action': 'explode'}))['code'] == 'invalid'
    assert err(panel.handle_request('compare', {'a': 'one', 'b': 2}))['code'] == 'invalid'
    assert err(panel.handle_request('diff', {'a': 1, 'b': 2}))['code'] == 'invalid'  # diff is for tables
    assert err(panel.handle_request('execute', {'action': 'cleanup'}))['code'] == 'invalid'  # no token
    assert [(r.version, r.promoted, r.dropped) for r in exp.runs()] == before


def test_table_versions_diff_snapshot_and_revert(photos_table: str, root: str) -> None:
    panel = ExperimentTimeline(photos_table)
    assert panel.mode == 'table'
    t = ok(panel.handle_request('timeline'))
    assert t['current'] == 3 and [v['version'] for v in t['versions']][:3] == [3, 2, 1]
    reply = panel.handle_request('diff', {'a': 1, 'b': 3})
    diff = ok(reply)
    assert (diff['added'], diff['removed'], diff['changed']) == (0, 0, 2)
    assert diff['changed_by_column'] == {'id': 0, 'img': 1, 'label': 1}
    rows = {r['key'][0]: r for r in diff['rows']}
    img = [c['name'] for c in diff['columns']].index('img')
    assert rows[2]['changed'] == ['img']
    assert rows[2]['before'][img]['kind'] == 'image' and rows[2]['after'][img]['kind'] == 'image'
    assert len(reply['buffers']) == 2 * len(diff['rows'])  # one thumbnail per image cell, before and after
    assert rows[1]['after'][[c['name'] for c in diff['columns']].index('label')]['value'] == 'dog'
    only = ok(panel.handle_request('diff', {'a': 1, 'b': 3, 'kind': 'changed', 'limit': 1}))
    assert only['total'] == 2 and len(only['rows']) == 1
    assert err(panel.handle_request('diff', {'a': 1, 'b': 77}))['code'] == 'unknown_version'
    assert err(panel.handle_request('diff', {'a': 1, 'b': 3, 'limit': 0}))['code'] == 'invalid'
    # snapshot of version 1
    snap = ok(panel.handle_request('snapshot', {'version': 1, 'path': f'{root}/photos_v1'}))
    assert snap['path'] == f'{root}/photos_v1'
    assert sorted(pxt.get_table(f'{root}/photos_v1').collect()['label']) == ['cat', 'cat', 'cat']
    # revert is refused while the snapshot depends on the table: nothing changes
    refused = err(panel.handle_request('plan', {'action': 'revert', 'version': 1}))
    assert refused['code'] == 'has_dependents' and refused['details']['dependents'] == [f'{root}/photos_v1']
    assert pxt.get_table(photos_table).get_metadata()['version'] == 3
    pxt.drop_table(f'{root}/photos_v1')
    plan = ok(panel.handle_request('plan', {'action': 'revert', 'version': 1}))['plan']
    assert [s['action'] for s in plan['steps']] == ['revert', 'revert']
    done = ok(panel.handle_request('execute', {'action': 'revert', 'version': 1, 'token': plan['token']}))
    assert done['timeline']['current'] == 1
    assert sorted(pxt.get_table(photos_table).collect()['label']) == ['cat', 'cat', 'cat']
    assert err(panel.handle_request('compare', {'a': 0, 'b': 1}))['code'] == 'invalid'  # compare is for runs


def test_harness_scenario(exp: VersionedExperiment, root: str, recorder: Callable[..., Recording]) -> None:
    """What tests/js/test_experiment_timeline_harness.py replays: the runs, two of them compared, another metric,
    a cleanup refused, a promotion planned and confirmed. (Last in this module: the promotion changes ``exp``.)"""
    panel = ExperimentTimeline(f'{root}/exp')
    recorder(panel, writes=('execute',), replace={root: 'harness'})
    assert [r['latest'] for r in ok(panel.handle_request('timeline', {'metric': None}))['runs']] == [False, False, True]
    assert ok(panel.handle_request('compare', {'a': 1, 'b': 2}))['diff']['changed'] == 4
    assert ok(panel.handle_request('timeline', {'metric': 'flagged'}))['metric'] == 'flagged'
    assert err(panel.handle_request('plan', {'action': 'cleanup', 'keep': 0, 'force': False}))['code'] == 'invalid'
    promote = ok(panel.handle_request('plan', {'action': 'promote', 'version': 1}))['plan']
    done = ok(panel.handle_request('execute', {'action': 'promote', 'version': 1, 'token': promote['token']}))
    assert [r['promoted'] for r in done['timeline']['runs']] == [True, False, False]
