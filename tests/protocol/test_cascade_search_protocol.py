"""CascadeSearch's commands without a browser: info, search (with the highlighted context), drill, context,
add_level (background, with progress), evaluate (plotly figure), and refusals that change nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import CascadeSearch, SemanticIndexCascade
from pxwidgets.demo.documents import reference_documents
from pxwidgets.panels.base import command_specs
from tests.support.cascade import versions
from tests.support.contract import conforms
from tests.support.recording import Recording

STEPS = ('Loading the embedding model', 'Splitting the documents', 'Embedding every', "Level 'windows'", 'Counting')
QUERIES = [
    {'query': 'what happens when an exception is raised', 'relevant': ['try']},
    {'query': 'repeat a block for every item of a list', 'relevant': ['for']},
    {'query': 'run code when leaving a block of statements', 'relevant': ['with', 'try']},
]


@pytest.fixture(scope='module')
def panel(pxt_home: Path) -> Iterator[CascadeSearch]:
    d = f'casp_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    docs = pxt.create_table(f'{d}/docs', {'doc': pxt.Document})
    docs.insert([{'doc': str(p)} for p in reference_documents(topics=['try', 'for', 'with'])])
    cascade = SemanticIndexCascade(docs, 'doc', name='ref')
    for name, unit in (('sections', 'section'), ('paragraphs', 'paragraph'), ('sentences', 'sentence')):
        cascade.add_level(name, unit, embedding='wordllama')
    yield CascadeSearch(f'{d}/ref', queries=QUERIES, k=3)
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def ok(panel: CascadeSearch, kind: str, payload: dict[str, Any] | None = None) -> Any:
    reply = panel.handle_request(kind, payload or {})
    assert reply['ok'], reply.get('error')
    spec = command_specs(CascadeSearch)[kind]
    assert conforms(reply['payload'], spec.reply) == [], conforms(reply['payload'], spec.reply)
    return reply['payload']


def error(panel: CascadeSearch, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    reply = panel.handle_request(kind, payload)
    assert not reply['ok'], reply.get('payload')
    return reply['error']


def run_background(panel: CascadeSearch, kind: str, payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """Send a request as the browser does (background commands run on the worker thread); collect what comes back."""
    sent: list[dict[str, Any]] = []
    panel._send_message = lambda msg, bufs: sent.append(msg)  # type: ignore[method-assign]
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'r1', 'kind': kind, 'payload': payload}, None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = next((m for m in sent if m['type'] == 'response'), None)
        if response is not None:
            return response, [m for m in sent if m['type'] == 'progress']
        time.sleep(0.05)
    raise AssertionError('no response')


def test_info(panel: CascadeSearch) -> None:
    info = ok(panel, 'info')
    assert info['path'] == panel.path == panel.cascade.path
    assert [lv['name'] for lv in info['levels']] == ['sections', 'paragraphs', 'sentences']
    # first paint counts nothing: the counts come from level_counts (asked right after), kept for the level's version
    assert all(lv['units'] is None and lv['documents'] is None for lv in info['levels'])
    counted = ok(panel, 'level_counts')['levels']
    assert [lv['name'] for lv in counted] == [lv['name'] for lv in info['levels']]
    assert all(lv['units'] > 0 and lv['documents'] == 3 for lv in counted)
    assert ok(panel, 'info')['levels'] == counted
    assert [d['key'] for d in info['documents']] == ['for', 'try', 'with'] and info['documents_total'] == 3
    assert info['problems'] == [] and info['problems_total'] == 0
    assert [p['name'] for p in info['splitter_params']] == ['unit', 'size', 'overlap']
    assert {e['key'] for e in info['embeddings']} == {'minilm', 'wordllama'}
    assert info['queries'] == 3


def test_search_returns_levels_fused_merged_and_the_best_sentence_in_context(panel: CascadeSearch) -> None:
    reply = ok(panel, 'search', {'query': '  what happens when an exception is raised in the try clause '})
    assert panel.query == reply['query'] == 'what happens when an exception is raised in the try clause'
    assert [r['level'] for r in reply['levels']] == ['sections', 'paragraphs', 'sentences']
    assert all(len(r['hits']) == 3 and r['ms'] > 0 for r in reply['levels'])
    assert reply['fused'][0]['doc_key'] == 'try' and reply['fused_level'] == 'sections'
    ctx = reply['context']
    assert [u['level'] for u in ctx['chain']] == ['sections', 'paragraphs', 'sentences']
    section, paragraph, sentence = ctx['chain']
    assert ctx['best'] == sentence
    # the panel highlights by offsets: the sentence sits at (start - section.start) inside the section's text
    assert (
        section['text'][sentence['start'] - section['start'] : sentence['end'] - section['start']] == sentence['text']
    )
    assert (
        paragraph['text'][sentence['start'] - paragraph['start'] : sentence['end'] - paragraph['start']]
        == sentence['text']
    )
    only = ok(panel, 'search', {'query': 'exception', 'documents': ['for'], 'levels': ['sentences'], 'k': 2})
    assert [r['level'] for r in only['levels']] == ['sentences']
    assert {h['doc_key'] for h in only['levels'][0]['hits']} == {'for'}


def test_drill_into_a_coarse_hit(panel: CascadeSearch) -> None:
    reply = ok(panel, 'search', {'query': 'the else clause of a loop'})
    section = reply['levels'][0]['hits'][0]
    drilled = ok(panel, 'drill', {'hit': section, 'level': 'sentences', 'k': 4})
    assert drilled['level'] == 'sentences' and 1 <= len(drilled['hits']) <= 4
    for h in drilled['hits']:
        assert h['doc_key'] == section['doc_key'] and section['start'] <= h['start'] and h['end'] <= section['end']
    assert drilled['context']['best']['text'] == drilled['hits'][0]['text']
    ctx = ok(panel, 'context', {'hit': drilled['hits'][1]})
    assert ctx['chain'][-1]['text'] == drilled['hits'][1]['text']
    assert error(panel, 'drill', {'hit': {'level': 'x'}, 'level': 'sentences'})['code'] == 'invalid'
    assert error(panel, 'drill', {'hit': section, 'level': 'chapters'})['code'] == 'not_found'


def test_bad_requests_are_refused_and_change_nothing(panel: CascadeSearch) -> None:
    watched = [panel.cascade.source, *(lv.path for lv in panel.cascade.levels)]
    before = versions(*watched)
    err = error(panel, 'search', {'query': '   '})
    assert err['code'] == 'invalid_query' and 'empty' in err['message'] and 'hint' in err
    assert error(panel, 'search', {'query': 'x' * 5000})['code'] == 'invalid_query'
    assert error(panel, 'search', {'query': 'loop', 'k': 500})['code'] == 'invalid'
    assert error(panel, 'search', {'query': 'loop', 'levels': 'sentences'})['code'] == 'invalid'
    taken = error(panel, 'add_level', {'name': 'sentences', 'unit': 'paragraph', 'embedding': 'wordllama'})
    assert taken['code'] == 'invalid_name'
    bad = error(panel, 'add_level', {'name': 'w', 'unit': 'window', 'size': 2, 'overlap': 5})
    assert bad['code'] == 'invalid_parameter'
    assert [p['param'] for p in bad['details']['params']] == ['size', 'overlap']
    offline = error(panel, 'add_level', {'name': 'mpnet', 'unit': 'sentence', 'embedding': 'hf:some/model'})
    assert offline['code'] == 'embedding_unavailable' and 'minilm' in offline['hint']
    assert versions(*watched) == before
    assert panel.cascade.level_names == ['sections', 'paragraphs', 'sentences']


def test_add_level_in_the_background_with_progress(panel: CascadeSearch) -> None:
    response, progress = run_background(
        panel, 'add_level', {'name': 'windows', 'unit': 'window', 'size': 48, 'overlap': 8, 'embedding': 'wordllama'}
    )
    assert response['ok'], response.get('error')
    reply = response['payload']
    assert conforms(reply, command_specs(CascadeSearch)['add_level'].reply) == []
    assert reply['level']['name'] == 'windows' and reply['level']['splitter'] == {
        'unit': 'window',
        'size': 48,
        'overlap': 8,
    }
    assert reply['level']['units'] > 0
    assert 'windows' in [lv['name'] for lv in reply['levels']]
    messages = [m['message'] for m in progress]
    assert messages[-1] == 'Counting units'  # steps closer than 0.25 s apart are thinned out; the last one is sent
    assert all(m.split(' (')[0] in STEPS or m.startswith(STEPS) for m in messages), messages
    assert ok(panel, 'search', {'query': 'loop', 'levels': ['windows']})['levels'][0]['hits']
    panel.cascade.drop_level('windows', expect=panel.cascade.plan_drop_level('windows'))


def test_evaluate_returns_metrics_and_a_plotly_figure(panel: CascadeSearch) -> None:
    response, progress = run_background(panel, 'evaluate', {'k': 2})
    assert response['ok'], response.get('error')
    reply = response['payload']
    assert conforms(reply, command_specs(CascadeSearch)['evaluate'].reply) == []
    methods = [s['method'] for s in reply['scores']]
    assert methods == ['sections', 'paragraphs', 'sentences', 'fused', 'bm25_baseline']
    assert reply['queries'] == 3 and reply['k'] == 2 and reply['best'] in methods
    fig = reply['figure']
    assert [t['type'] for t in fig['data']] == ['bar', 'bar', 'bar']
    assert list(fig['data'][0]['x']) == methods
    assert fig['data'][2]['y'] == pytest.approx([s['ndcg'] for s in reply['scores']])
    assert progress[-1]['message'] == 'Evaluated'
    bare = CascadeSearch(panel.cascade)
    assert error(bare, 'evaluate', {})['message'] == 'This panel has no labelled query set.'


def test_cancel_stops_add_level_and_leaves_no_level(panel: CascadeSearch) -> None:
    sent: list[dict[str, Any]] = []

    def send(msg: dict[str, Any], bufs: list[bytes]) -> None:
        sent.append(msg)
        if msg['type'] == 'progress' and len([m for m in sent if m['type'] == 'progress']) == 1:
            panel._on_custom_msg(panel, {'type': 'cancel', 'id': 'c1'}, None)  # the user clicks Cancel

    panel._send_message = send  # type: ignore[method-assign]
    request = {'name': 'gone', 'unit': 'sentence', 'embedding': 'wordllama'}
    panel._on_custom_msg(panel, {'type': 'request', 'id': 'c1', 'kind': 'add_level', 'payload': request}, None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(m['type'] == 'response' for m in sent):
        time.sleep(0.05)
    response = next(m for m in sent if m['type'] == 'response')
    assert not response['ok'] and response['error']['code'] == 'cancelled'
    assert 'gone' not in panel.cascade.level_names
    assert pxt.get_table(f'{panel.cascade.path}/gone', if_not_exists='ignore') is None


def _ref(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: hit[k] for k in ('level', 'doc_key', 'start', 'end', 'query')}  # what the panel sends for a hit


def test_documents_are_paged_and_found_by_key_or_title(panel: CascadeSearch) -> None:
    everything = ok(panel, 'info')['documents']
    page = ok(panel, 'documents', {'offset': 1, 'limit': 1})
    assert page == {'documents': everything[1:2], 'total': 3, 'offset': 1, 'search': None}
    assert [d['key'] for d in ok(panel, 'documents', {'search': 'TRY'})['documents']] == ['try']
    by_title = next(d for d in everything if d['key'] == 'with')['title'].split()[-1]  # a word of a title
    found = ok(panel, 'documents', {'search': by_title})
    assert 'with' in [d['key'] for d in found['documents']] and found['total'] == len(found['documents'])
    assert ok(panel, 'documents', {'search': 'no such document'}) == {
        'documents': [],
        'total': 0,
        'offset': 0,
        'search': 'no such document',
    }
    for bad in ({'limit': 0}, {'limit': 10_000}, {'offset': -1}, {'offset': 'x'}, {'search': 3}):
        assert error(panel, 'documents', bad)['code'] == 'invalid'


def test_harness_scenario(panel: CascadeSearch, recorder: Callable[..., Recording]) -> None:
    """What tests/js/test_cascade_search_harness.py replays: search, drill from a section, a hit's context."""
    panel = CascadeSearch(panel.path, queries=QUERIES, k=3)  # a panel of its own: the others leave their traits
    recorder(panel, replace={panel.path.split('/')[0]: 'harness'})
    assert [lv['name'] for lv in ok(panel, 'info')['levels']] == ['sections', 'paragraphs', 'sentences']
    assert all(lv['documents'] == 3 for lv in ok(panel, 'level_counts')['levels'])  # the panel asks after info
    assert [d['key'] for d in ok(panel, 'documents', {'search': 'try'})['documents']] == ['try']
    found = ok(panel, 'search', {'query': QUERIES[0]['query'], 'k': 3, 'documents': None})
    section = found['levels'][0]['hits'][0]
    drilled = ok(panel, 'drill', {'hit': _ref(section), 'level': 'sentences', 'k': 3})
    assert drilled['hits'] and all(h['doc_key'] == section['doc_key'] for h in drilled['hits'])
    assert ok(panel, 'context', {'hit': _ref(drilled['hits'][1])})['chain']
    only = ok(panel, 'search', {'query': QUERIES[0]['query'], 'k': 3, 'documents': ['for']})
    assert {h['doc_key'] for lv in only['levels'] for h in lv['hits']} == {'for'}
    assert error(panel, 'search', {'query': '   ', 'k': 3, 'documents': None})['code'] == 'invalid_query'
