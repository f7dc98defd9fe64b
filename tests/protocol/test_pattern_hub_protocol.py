"""PatternHub's commands without a browser: the catalog, the fingerprint, a new pattern (form, preview that writes
nothing, create), child panels opened inside the hub and their messages and traits multiplexed over the hub's comm,
and bad input (a structured error, nothing written)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import PatternHub
from pxwidgets.demo.drifting_digits import drifting_batches
from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.base import command_specs
from pxwidgets.patterns import MultiModelConsensus, catalog_fingerprint
from tests.support.consensus import digits_table
from tests.support.contract import conforms
from tests.support.incremental import predictions_table
from tests.support.recording import Recording

SPECS = command_specs(PatternHub)


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    d = f'hub_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    t = pxt.create_table(f'{d}/items', {'n': pxt.Int, 'text': pxt.String})
    t.insert([{'n': i, 'text': f'item {i}'} for i in range(8)])
    pxt.create_view(f'{d}/big_items', t.where(t.n > 3))
    digits = digits_table(f'{d}/digits', n=12)
    MultiModelConsensus(digits, 'image', ground_truth='label').add_model('hand', 'hand')
    batches = drifting_batches(n_batches=1, batch_size=12, drift_from=1, seed=2)
    predictions_table(f'{d}/preds', batches)
    pxt.create_table(f'{d}/other/plain', {'a': pxt.Int}) if pxt.create_dir(f'{d}/other') else None
    yield d
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def ok(hub: PatternHub, kind: str, payload: dict[str, Any] | None = None) -> Any:
    reply = hub.handle_request(kind, payload)
    assert reply['ok'], reply.get('error')
    assert conforms(reply['payload'], SPECS[kind].reply) == [], conforms(reply['payload'], SPECS[kind].reply)
    return reply['payload']


def err(hub: PatternHub, kind: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = hub.handle_request(kind, payload)
    assert not reply['ok'], reply.get('payload')
    assert set(reply['error']) >= {'message', 'code'}
    return dict(reply['error'])


class Sent:
    """What the hub sends over its comm (captured instead of a browser)."""

    def __init__(self, hub: PatternHub) -> None:
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        hub.send = self.send  # type: ignore[method-assign]
        if hub.comm is None:  # outside a kernel: any object that is not None lets the hub send
            hub.comm = object()  # type: ignore[assignment]

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.messages.append((content, list(buffers or [])))

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [m for m, _ in self.messages if m.get('type') == type_]


def test_catalog_lists_the_patterns_with_their_lineage(root: str) -> None:
    hub = PatternHub(root)
    reply = ok(hub, 'catalog')
    kinds = {(p['kind'], p['path']) for p in reply['patterns']}
    assert kinds == {('pipeline', f'{root}/items'), ('consensus', f'{root}/digits')}
    consensus = next(p for p in reply['patterns'] if p['kind'] == 'consensus')
    assert consensus['summary'] == '1 model: hand' and consensus['panel'] == 'ConsensusGrid'
    edges = {(e['source'], e['target']) for e in reply['lineage']['edges']}
    assert (f'table:{root}/digits', consensus['key']) in edges
    assert reply['fingerprint'] == ok(hub, 'fingerprint')['fingerprint'] == catalog_fingerprint()
    pxt.create_table(f'{root}/new_one', {'a': pxt.Int})
    assert ok(hub, 'fingerprint')['fingerprint'] != reply['fingerprint']
    pxt.drop_table(f'{root}/new_one')
    with pytest.raises(InvalidRequestError, match='not a Pixeltable directory'):
        PatternHub(f'{root}/nowhere')


def test_a_new_pattern_form_preview_writes_nothing_then_create(root: str) -> None:
    hub = PatternHub(root)
    tables = ok(hub, 'tables')
    assert f'{root}/preds' in {t['path'] for t in tables['tables']}
    assert [k['kind'] for k in tables['kinds']] == ['pipeline', 'consensus', 'cascade', 'evaluation']
    form = ok(hub, 'form', {'table': f'{root}/preds', 'kind': 'evaluation'})
    params = {p['name']: p for p in form['params']}
    assert params['prediction']['choices'] == ['digit', 'id', 'label', 'prediction'] and params['timestamp']['nullable']
    before = catalog_fingerprint()
    good = {'prediction': 'prediction', 'ground_truth': 'label', 'timestamp': 'ts', 'window': '1h', 'name': 'hubeval'}
    preview = ok(hub, 'preview', {'table': f'{root}/preds', 'kind': 'evaluation', 'params': good})
    assert preview['code'].startswith(f"ev = pxw.IncrementalEvaluation('{root}/preds', 'prediction', 'label', 'ts'")
    assert (
        f'tables {root}/preds_hubeval/settings, {root}/preds_hubeval/windows, {root}/preds_hubeval/alerts'
        in (preview['writes'])
    )
    bad = {**good, 'ground_truth': 'confidence', 'timestamp': None}
    error = err(hub, 'preview', {'table': f'{root}/preds', 'kind': 'evaluation', 'params': bad})
    assert {e['param'] for e in error['details']['params']} == {'ground_truth', 'timestamp'}
    assert err(hub, 'create', {'table': f'{root}/preds', 'kind': 'evaluation', 'params': bad})['code']
    assert err(hub, 'form', {'table': f'{root}/preds', 'kind': 'experiment'})['message'].startswith('A new pattern')
    assert err(hub, 'form', {'table': f'{root}/missing', 'kind': 'pipeline'})['code'] == 'not_found'
    assert err(hub, 'preview', {'table': f'{root}/digits', 'kind': 'consensus', 'params': {'input_column': 'image'}})[
        'details'
    ]['params'] == [
        {'param': 'name', 'message': f"{root}/digits already has a consensus named 'consensus'; open it instead."}
    ]
    taken = err(hub, 'preview', {'table': f'{root}/big_items', 'kind': 'pipeline', 'params': {}})
    assert taken['details']['params'] == [
        {
            'param': 'dir',
            'message': f'{root}/big_items already belongs to the pipeline of {root}/items; open it instead.',
        }
    ]
    assert catalog_fingerprint() == before  # previews and refusals wrote nothing
    created = ok(hub, 'create', {'table': f'{root}/preds', 'kind': 'evaluation', 'params': good})
    assert created['opened']['panel'] == 'DriftDashboard' and created['opened']['child'] in hub.children
    keys = {p['key']: (p['kind'], p['name']) for p in ok(hub, 'catalog')['patterns']}
    assert keys[created['key']] == ('evaluation', 'hubeval')
    hub.close()
    assert hub.children == {}


def test_children_are_multiplexed_over_the_hub_comm(root: str) -> None:
    hub = PatternHub(root)
    sent = Sent(hub)
    pipeline = ok(hub, 'open', {'kind': 'pipeline', 'path': f'{root}/items', 'name': 'items'})
    consensus = ok(hub, 'open', {'kind': 'consensus', 'path': f'{root}/digits', 'name': 'consensus'})
    assert (pipeline['panel'], consensus['panel']) == ('StageBuilder', 'ConsensusGrid')
    assert pipeline['child'] != consensus['child'] and set(hub.children) == {pipeline['child'], consensus['child']}
    assert 'export' in pipeline['esm'] and pipeline['state']['source'] == f'{root}/items'
    assert '_esm' not in pipeline['state'] and consensus['state']['consensus_name'] == 'consensus'
    builder = hub.children[pipeline['child']]
    # the child's request travels in, its reply travels out, tagged with the child's id
    request = {'type': 'request', 'id': 'q1', 'kind': 'graph', 'payload': {}}
    hub._on_custom_msg(hub, {'type': 'child-msg', 'child': pipeline['child'], 'content': request}, [])
    (reply,) = sent.of('child-msg')
    assert reply['child'] == pipeline['child'] and reply['content']['id'] == 'q1' and reply['content']['ok']
    assert [n['id'] for n in reply['content']['payload']['nodes']][:2] == ['items', 'big_items']
    # a trait set in the browser reaches the child without echo; a change made in Python reaches the browser
    hub._on_custom_msg(hub, {'type': 'child-set', 'child': pipeline['child'], 'state': {'selected': 'big_items'}}, [])
    assert builder.selected == 'big_items' and sent.of('child-state') == []
    builder.selected = 'items'
    (change,) = sent.of('child-state')
    assert change == {
        'type': 'child-state',
        'child': pipeline['child'],
        'state': {'selected': 'items'},
        'buffer_paths': [],
    }
    # the other child keeps its own state
    grid = hub.children[consensus['child']]
    hub._on_custom_msg(
        hub, {'type': 'child-set', 'child': consensus['child'], 'state': {'filter': 'disagreements'}}, []
    )
    assert grid.filter == 'disagreements' and builder.selected == 'items'
    # bad child messages: nothing happens
    before = len(sent.messages)
    assert not hub.route_child_message({'type': 'child-msg', 'child': 'c999', 'content': request}, [])
    assert not hub.route_child_message({'type': 'child-set', 'child': pipeline['child'], 'state': 'x'}, [])
    hub.route_child_message({'type': 'child-set', 'child': pipeline['child'], 'state': {'_esm': 'evil'}}, [])
    assert builder._esm != 'evil' and len(sent.messages) == before
    assert ok(hub, 'close', {'child': pipeline['child']}) == {'closed': True, 'open': [consensus['child']]}
    assert ok(hub, 'close', {'child': pipeline['child']})['closed'] is False
    hub.close()


def test_bad_open_requests_are_structured_errors(root: str) -> None:
    hub = PatternHub(root)
    assert err(hub, 'open', {'kind': 'sculpture', 'path': f'{root}/items'})['message'].startswith('Unknown kind')
    assert 'name' in err(hub, 'open', {'kind': 'consensus', 'path': f'{root}/digits'})['message']
    assert err(hub, 'open', {'kind': 'consensus', 'path': f'{root}/items', 'name': 'nope'})['code']
    assert err(hub, 'open', {'path': f'{root}/items'})['message'].startswith('Bad request')
    assert err(hub, 'nonsense')['message'].startswith('Bad request')
    table = ok(hub, 'open', {'kind': 'table', 'path': f'{root}/items'})
    assert table['panel'] == 'TableBrowser' and hub.children[table['child']].path == f'{root}/items'
    assert hub.children.keys() == {table['child']}
    hub.close()


@pytest.fixture(scope='module')
def harness_root(pxt_home: Path) -> Iterator[str]:
    """A directory of its own for the recorded scenario (the other tests add patterns to theirs)."""
    d = f'hh_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    t = pxt.create_table(f'{d}/items', {'n': pxt.Int})
    t.insert([{'n': i} for i in range(6)])
    pxt.create_view(f'{d}/big_items', t.where(t.n > 2))
    predictions_table(f'{d}/preds', drifting_batches(n_batches=1, batch_size=10, drift_from=1, seed=4))
    yield d
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def test_harness_scenario(harness_root: str, recorder: Callable[..., Recording]) -> None:
    """What the JS harness replays: the list, the fingerprint, a new evaluation's form and preview (one refused)."""
    hub = PatternHub(harness_root, poll_seconds=0)
    recorder(hub, replace={harness_root: 'harness'})
    listed = ok(hub, 'catalog')
    assert [(p['kind'], p['path']) for p in listed['patterns']] == [('pipeline', f'{harness_root}/items')]
    assert listed['tables'] == 3
    ok(hub, 'fingerprint')
    assert [t['path'] for t in ok(hub, 'tables')['tables']] == [
        f'{harness_root}/{n}' for n in ('big_items', 'items', 'preds')
    ]
    ok(hub, 'form', {'table': f'{harness_root}/preds', 'kind': 'evaluation'})
    good = {
        'name': 'eval',
        'prediction': 'prediction',
        'ground_truth': 'label',
        'timestamp': 'ts',
        'window': '1h',
        'order': None,
    }
    assert ok(hub, 'preview', {'table': f'{harness_root}/preds', 'kind': 'evaluation', 'params': good})['writes']
    bad = {**good, 'window': '50 rows'}
    assert err(hub, 'preview', {'table': f'{harness_root}/preds', 'kind': 'evaluation', 'params': bad})['details'] == {
        'params': [{'param': 'order', 'message': 'Row windows need an integer order column.'}]
    }
    hub.close()
