"""ExperimentTimeline's commands without a browser: timeline, compare, diff, plans that are confirmed before they
run, snapshot, and the bad-input cases (each a clear error reply, nothing changed)."""

from __future__ import annotations

import time
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
from tests.support.versioned import build_numbers, build_steps, count_flags


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


def test_harness_scenario_tags_and_form(root: str, recorder: Callable[..., Recording]) -> None:
    """Scenario 'tags' of tests/js/test_experiment_timeline_harness.py: the parallel-coordinates chart, a tag set and
    a colliding one refused, the form of a new run from the setup's signature (and a run it refuses)."""
    e = VersionedExperiment(f'{root}/tags', build_numbers)
    for threshold in (0.3, 0.6):
        e.run(threshold=threshold)
    panel = ExperimentTimeline(e)
    recorder(panel, 'tags', writes=('tag',), replace={root: 'harness'})
    t = ok(panel.handle_request('timeline', {'metric': None}))
    assert len(t['parallel']['data']) == 2  # two runs, two colour groups of the metric
    form = ok(panel.handle_request('run_form'))
    assert [p['name'] for p in form['params']] == ['threshold', 'n', 'delay']
    bad = err(panel.handle_request('run', {'params': {'threshold': 0.4, 'n': 2.5, 'delay': 0}}))
    assert [p['param'] for p in bad['details']['params']] == ['n']
    assert ok(panel.handle_request('tag', {'name': 'baseline', 'version': 1, 'move': False}))['tags'] == {'baseline': 1}
    collision = err(panel.handle_request('tag', {'name': 'baseline', 'version': 2, 'move': False}))
    assert collision['code'] == 'tag_refused'


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


def _registry_version(name: str) -> int:
    return int(pxt.get_table(f'{name}/runs').get_metadata()['version'])  # type: ignore[union-attr]


def test_parallel_coordinates_and_tags(root: str) -> None:
    e = VersionedExperiment(f'{root}/tagged', build_steps)
    e.start({'threshold': 0.3, 'model': 'large'})
    e.start({'threshold': 0.6})
    panel = ExperimentTimeline(e)
    t = ok(panel.handle_request('timeline'))
    assert t['can_run'] and t['tags'] == {}
    # the metrics come from the setup's table here: none recorded, so no chart of either kind
    assert t['parallel'] is None
    e.metrics = count_flags
    e.start({'threshold': 0.8, 'model': 'large', 'fast': False})
    t = ok(panel.handle_request('timeline'))
    (trace,) = t['parallel']['data']  # one line per run with the metric, across one axis per parameter
    layout = t['parallel']['layout']
    axes = layout['xaxis']['ticktext']
    assert sorted(axes[:-1]) == ['fast', 'model', 'threshold'] and axes[-1] == 'flags'  # params (JSON order), metric
    assert trace['customdata'][0] == 3 and 'model = large' in trace['text'][1]
    labels = {a['text'] for a in layout['annotations']}
    assert {'large', 'false', '3', '0.8'} <= labels  # categories and min/max as axis labels
    tagged = ok(panel.handle_request('tag', {'version': 1, 'name': 'baseline'}))
    assert tagged['tags'] == {'baseline': 1} and tagged['runs'][0]['tags'] == ['baseline']
    before = _registry_version(f'{root}/tagged')
    refused = err(panel.handle_request('tag', {'version': 2, 'name': 'baseline'}))
    assert refused['code'] == 'tag_refused' and 'already on version 1' in refused['message']
    assert refused['details'] == {'tag': 'baseline', 'version': 1}
    assert _registry_version(f'{root}/tagged') == before  # nothing written
    moved = ok(panel.handle_request('tag', {'version': 2, 'name': 'baseline', 'move': True}))
    assert moved['tags'] == {'baseline': 2}
    assert ok(panel.handle_request('tag', {'name': 'baseline'}))['tags'] == {}


def test_a_run_started_from_a_form_with_progress_and_cancel(root: str) -> None:
    e = VersionedExperiment(f'{root}/form', build_steps)
    panel = ExperimentTimeline(e)
    form = ok(panel.handle_request('run_form'))
    assert form['setup'] == 'build_steps' and form['progress'] is True
    specs = {p['name']: p for p in form['params']}
    assert list(specs) == ['threshold', 'model', 'fast', 'note']  # path and progress are not fields
    assert (specs['threshold']['type'], specs['threshold']['default']) == ('float', 0.5)
    assert (specs['model']['type'], specs['model']['choices'], specs['model']['default']) == (
        'choice',
        ['small', 'large'],
        'small',
    )
    assert specs['fast']['type'] == 'bool' and specs['note']['nullable'] is True
    bad = err(panel.handle_request('run', {'params': {'threshold': 'high', 'model': 'huge'}}))
    assert {p['param'] for p in bad['details']['params']} == {'threshold', 'model'}
    assert e.runs() == []  # nothing ran
    done = ok(panel.handle_request('run', {'params': {'threshold': 0.25}}))
    assert done['version'] == 1
    assert done['timeline']['runs'][0]['params'] == {'threshold': 0.25, 'model': 'small', 'fast': True, 'note': None}

    sent: list[dict[str, Any]] = []

    def send(msg: dict[str, Any], bufs: list[bytes]) -> None:
        sent.append(msg)
        if msg['type'] == 'progress' and 'Building v2' in str(msg.get('message')):
            # the user clicks Cancel as the run starts; the setup stops at its next step ('rows' is throttled away
            # when it follows within 0.25 s, so the first message is the one to wait for)
            panel._on_custom_msg(panel, {'type': 'cancel', 'id': 'r2'}, None)

    panel._send_message = send  # type: ignore[method-assign]
    request = {'type': 'request', 'id': 'r2', 'kind': 'run', 'payload': {'params': {}}}
    panel._on_custom_msg(panel, request, None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(m['type'] == 'response' for m in sent):
        time.sleep(0.05)
    response = next(m for m in sent if m['type'] == 'response')
    assert not response['ok'] and response['error']['code'] == 'cancelled'
    cancelled = e.get(2)
    assert cancelled.status == 'failed' and cancelled.error == 'cancelled by the user' and not cancelled.latest
    assert cancelled.tables == [f'{root}/form/v2/items']  # left for cleanup
    assert e.latest().version == 1  # type: ignore[union-attr]


def test_diff_stat_of_table_versions(root: str) -> None:
    t = pxt.create_table(f'{root}/stat', {'id': pxt.Int, 'label': pxt.String, 'score': pxt.Float})
    t.insert([{'id': i, 'label': 'cat', 'score': i / 10} for i in range(10)])  # version 1
    t.update({'label': 'dog'}, where=t.id < 3)
    t.update({'score': 0.0}, where=t.id == 2)
    t.delete(where=t.id == 9)
    t.insert([{'id': 10, 'label': 'cow', 'score': 1.0}])
    panel = ExperimentTimeline(f'{root}/stat')
    stat = ok(panel.handle_request('stat', {'a': 1, 'b': 5}))
    old = pxt.get_table(f'{root}/stat:1').collect().to_pandas().set_index('id')  # type: ignore[union-attr]
    new = pxt.get_table(f'{root}/stat:5').collect().to_pandas().set_index('id')  # type: ignore[union-attr]
    both = old.index.intersection(new.index)
    by_col = {c: int((old.loc[both, c] != new.loc[both, c]).sum()) for c in ('label', 'score')}
    assert stat['cells_changed'] == {'id': 0, **by_col} == {'id': 0, 'label': 3, 'score': 1}
    assert (stat['added'], stat['removed'], stat['changed'], stat['unchanged']) == (1, 1, 3, 6)
    assert (stat['rows_a'], stat['rows_b'], stat['cells_modified'], stat['cells_added']) == (10, 10, 4, 3)
    assert err(panel.handle_request('tag', {'name': 'x', 'version': 1}))['code'] == 'invalid'
