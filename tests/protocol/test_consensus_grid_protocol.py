"""ConsensusGrid's commands without a browser: state, filtered pages, a row, summary, preview, add, remove, code."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import ConsensusGrid, MultiModelConsensus
from tests.support.consensus import digits_table
from tests.support.recording import Recording


@pytest.fixture(scope='module')
def grid(pxt_home: object) -> Iterator[ConsensusGrid]:
    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    t = digits_table(f'{name}/digits', 40)
    c = MultiModelConsensus(t, 'image', ground_truth='label')
    c.add_models({'hand': 'hand', 'logreg': ('classify_digit', {'model': 'logreg'})})
    yield ConsensusGrid(f'{name}/digits')
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def ok(reply: dict[str, Any]) -> Any:
    assert reply['ok'], reply.get('error')
    return reply['payload']


def refused(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply['ok'] is False
    return reply['error']


def version(grid: ConsensusGrid) -> int:
    return int(pxt.get_table(grid.table).get_metadata()['version'])


def run_background(grid: ConsensusGrid, kind: str, payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """Send a request as the browser does (background commands run on a worker thread)."""
    sent: list[dict[str, Any]] = []
    grid._send_message = lambda msg, bufs: sent.append(msg)  # type: ignore[method-assign]
    grid._on_custom_msg(
        grid, {'type': 'request', 'id': f'r{uuid.uuid4().hex[:6]}', 'kind': kind, 'payload': payload}, None
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = next((m for m in sent if m['type'] == 'response'), None)
        if response is not None:
            return response, [m for m in sent if m['type'] == 'progress']
        time.sleep(0.05)
    raise AssertionError('no response')


def test_state_lists_models_and_filters(grid: ConsensusGrid) -> None:
    state = ok(grid.handle_request('state'))
    assert [m['name'] for m in state['models']] == ['hand', 'logreg']
    assert state['kind'] == 'labels' and state['ground_truth'] == 'label' and state['rows'] == 40
    assert 'disagreements' in state['filters'] and state['columns']['agreement'] == 'consensus_agreement'
    json.dumps(state)


def test_disagreements_are_filtered_in_the_database(grid: ConsensusGrid) -> None:
    t = pxt.get_table(grid.table)
    expected = t.where(t.hand_label != t.logreg_label).count()
    reply = grid.handle_request('rows', {'filter': 'disagreements', 'limit': 5, 'order': 'agreement'})
    page = ok(reply)
    assert page['total'] == expected > 0
    assert len(page['rows']) == min(5, expected)
    assert len(reply['buffers']) == len(page['rows'])  # one thumbnail per row, as bytes
    for row in page['rows']:
        assert row['image']['width'] == 64
        assert row['models']['hand']['label'] != row['models']['logreg']['label']
        assert row['consensus']['tie'] is True  # two models that disagree: a tie, reported
    assert 'consensus_agreement < 1.0' in page['code']
    assert grid.filter == 'disagreements'
    json.dumps(page)


def test_model_wrong_and_champion_vs_challenger(grid: ConsensusGrid) -> None:
    wrong = ok(grid.handle_request('rows', {'filter': 'model_wrong', 'model': 'hand', 'limit': 50}))
    assert wrong['total'] > 0
    assert all(r['models']['hand']['label'] != r['truth'] for r in wrong['rows'])
    differ = ok(grid.handle_request('rows', {'filter': 'models_differ', 'model': 'hand', 'other': 'logreg'}))
    everything = ok(grid.handle_request('rows', {'filter': 'disagreements'}))
    assert differ['total'] == everything['total']


def test_bad_row_requests_are_refused_with_a_reason(grid: ConsensusGrid) -> None:
    assert 'Unknown filter' in refused(grid.handle_request('rows', {'filter': 'nope'}))['message']
    assert 'needs a model' in refused(grid.handle_request('rows', {'filter': 'model_wrong'}))['message']
    error = refused(grid.handle_request('rows', {'filter': 'model_wrong', 'model': 'ghost'}))
    assert 'ghost' in error['message'] and 'hand' in error['hint']
    assert refused(grid.handle_request('rows', {'limit': 0}))['code'] == 'invalid'
    assert (
        'two different'
        in refused(grid.handle_request('rows', {'filter': 'models_differ', 'model': 'hand', 'other': 'hand'}))[
            'message'
        ]
    )


def test_one_row_large(grid: ConsensusGrid) -> None:
    reply = grid.handle_request('row', {'index': 0, 'filter': 'disagreements', 'order': 'agreement'})
    row = ok(reply)['row']
    assert row['image']['width'] == 64 and len(reply['buffers'][0]) > 500  # enlarged for the detail view
    assert set(row['models']) == {'hand', 'logreg'}
    assert refused(grid.handle_request('row', {'index': 10_000}))['code'] == 'invalid'


def test_summary_has_metrics_best_model_and_figures(grid: ConsensusGrid) -> None:
    summary = ok(grid.handle_request('summary'))
    by_model = {m['model']: m for m in summary['metrics']}
    assert {'hand', 'logreg', 'consensus (majority)'} <= set(by_model)
    assert summary['best'] == 'logreg'  # hand is wrong on every 4th row
    assert by_model['logreg']['accuracy'] > by_model['hand']['accuracy']
    assert summary['kappa']['data'][0]['type'] == 'heatmap'
    assert summary['leaderboard']['data'][0]['type'] == 'bar'
    assert summary['groups'] < 40
    json.dumps(summary)


def test_preview_writes_nothing(grid: ConsensusGrid) -> None:
    transforms = [t['name'] for t in ok(grid.handle_request('transforms'))['transforms']]
    assert 'classify_digit' in transforms and 'extract_frames' not in transforms
    v = version(grid)
    preview = ok(grid.handle_request('preview', {'transform': 'classify_digit', 'params': {'model': 'knn'}, 'n': 3}))
    assert len(preview['rows']) == 3 and all(r['label'] in [str(d) for d in range(10)] for r in preview['rows'])
    assert all(0 < r['confidence'] <= 1 for r in preview['rows'])
    assert version(grid) == v


def test_add_refusals_leave_the_table_alone(grid: ConsensusGrid) -> None:
    v = version(grid)
    cases = [
        ({'name': 'idx', 'transform': 'classify_digit'}, 'invalid_name'),
        ({'name': 'faces', 'transform': 'detect_faces'}, 'mixed_kinds'),
        ({'name': 'svc', 'transform': 'classify_digit', 'params': {'model': 'gpt'}}, 'invalid_parameter'),
        ({'name': 'x', 'transform': 'no_such'}, 'not_found'),
    ]
    for payload, code in cases:
        response, _ = run_background(grid, 'add', payload)
        assert response['ok'] is False and response['error']['code'] == code, (payload, response['error'])
    response, _ = run_background(grid, 'add', {'name': 'faces', 'transform': 'detect_faces'})
    assert 'detections' in response['error']['message'] and 'labels' in response['error']['message']
    assert version(grid) == v


def test_add_then_remove_a_model_by_click(grid: ConsensusGrid) -> None:
    before = ok(grid.handle_request('summary'))
    response, progress = run_background(
        grid, 'add', {'name': 'nb', 'transform': 'classify_digit', 'params': {'model': 'naive_bayes'}}
    )
    added = response['payload'] if response['ok'] else pytest.fail(str(response['error']))
    assert added['model']['name'] == 'nb' and added['model']['seconds_per_row'] > 0
    assert [m['name'] for m in added['state']['models']] == ['hand', 'logreg', 'nb']
    assert progress and any('nb' in p['message'] for p in progress)
    assert 'classify_digit(t.image' in added['code'] and 'majority_vote' in added['code']
    after = ok(grid.handle_request('summary'))
    assert 'nb' in {m['model'] for m in after['metrics']} and 'nb' not in {m['model'] for m in before['metrics']}
    assert list(after['kappa']['data'][0]['x']) == ['hand', 'logreg', 'nb']
    page = ok(grid.handle_request('rows', {'limit': 1}))
    assert page['rows'][0]['models']['nb']['label'] is not None

    plan = ok(grid.handle_request('remove_plan', {'model': 'nb'}))['plan']
    assert any('nb' in s['description'] for s in plan['steps'])
    stale, _ = run_background(grid, 'remove', {'model': 'nb', 'token': 'not-the-plan'})
    assert stale['ok'] is False and stale['error']['code'] == 'plan_changed'
    assert 'nb' in pxt.get_table(grid.table).columns()
    response, _ = run_background(grid, 'remove', {'model': 'nb', 'token': plan['token']})
    removed = response['payload'] if response['ok'] else pytest.fail(str(response['error']))
    assert [m['name'] for m in removed['state']['models']] == ['hand', 'logreg']
    assert 'nb' not in pxt.get_table(grid.table).columns()
    assert "drop_column('nb')" in removed['code']
    assert refused(grid.handle_request('remove_plan', {'model': 'nb'}))['code'] == 'not_found'


def test_code_of_the_consensus(grid: ConsensusGrid) -> None:
    code = ok(grid.handle_request('code'))['code']
    assert 'majority_vote([t.hand_label, t.logreg_label]' in code
    assert "t = pxt.get_table('" in code


def test_harness_scenario(grid: ConsensusGrid, recorder: Callable[..., Recording]) -> None:
    """What tests/js/test_consensus_grid_harness.py replays: the first page, disagreements, a row, the summary."""
    grid = ConsensusGrid(grid.table)  # a panel of its own: the other tests leave their traits on the shared one
    recorder(grid, replace={grid.table.split('/')[0]: 'harness'})
    first = {'filter': 'all', 'order': 'table', 'asc': True, 'offset': 0, 'limit': 25}

    def page(query: dict[str, object]) -> dict[str, object]:
        """A page the way the grid asks: the rows without their count, then the count of the same query."""
        rows = ok(grid.handle_request('rows', {**query, 'count': False}))
        counted = {k: v for k, v in query.items() if k not in ('offset', 'limit')}
        return {**rows, 'total': ok(grid.handle_request('count', counted))['total']}

    assert ok(grid.handle_request('state'))['rows'] == 40
    assert len(page(first)['rows']) == 25
    assert len(page({**first, 'offset': 25})['rows']) == 15
    disagree = {**first, 'filter': 'disagreements'}
    assert page(disagree)['total'] > 0
    assert ok(grid.handle_request('row', {'filter': 'disagreements', 'order': 'table', 'asc': True, 'index': 0}))
    wrong = {**first, 'filter': 'model_wrong', 'model': 'hand'}
    assert page(wrong)['total'] > 0
    assert refused(grid.handle_request('rows', {**wrong, 'model': 'ghost', 'count': False}))['code'] == 'invalid'
    assert ok(grid.handle_request('summary'))['best'] == 'logreg'
    for name in ('hand', 'logreg'):  # the summary tab's confusion matrix of each model
        assert ok(grid.handle_request('confusion', {'model': name, 'reference': 'auto'}))['counts']
    assert ok(grid.handle_request('code'))['code']
    assert grid.filter == 'model_wrong'
    digit = next(t for t in ok(grid.handle_request('transforms'))['transforms'] if t['name'] == 'classify_digit')
    draft = {'transform': 'classify_digit', 'params': {p['name']: p['default'] for p in digit['params']}}
    assert len(ok(grid.handle_request('preview', {**draft, 'n': 5}))['rows']) == 5
    response, _ = run_background(grid, 'add', {'name': 'idx', **draft})
    assert response['error']['code'] == 'invalid_name'
    # Download CSV of the disagreements: one chunk (the grid asks without its window)
    chunk = grid.handle_request(
        'export_csv', {'filter': 'disagreements', 'order': 'table', 'asc': True, 'after': None, 'done': 0}
    )
    assert chunk['payload']['done'] == page(disagree)['total'] and chunk['payload']['next'] is None


def test_a_page_comes_before_its_count(grid: ConsensusGrid) -> None:
    t = pxt.get_table(grid.table)
    expected = t.where(t.hand_label != t.logreg_label).count()
    page = ok(grid.handle_request('rows', {'filter': 'disagreements', 'limit': 3, 'count': False}))
    assert page['total'] is None and len(page['rows']) == min(3, expected)
    counted = ok(grid.handle_request('count', {'filter': 'disagreements', 'offset': 0, 'limit': 3}))
    assert counted['total'] == expected and counted['elapsed_ms'] >= 0
    before = version(grid)
    for bad in ({'filter': 'nope'}, {'filter': 'model_wrong', 'model': 'ghost'}, {'filter': 'model_wrong'}):
        error = refused(grid.handle_request('count', bad))
        assert error['message']
    assert refused(grid.handle_request('rows', {'count': 'yes'}))['message'] == 'count must be true or false.'
    assert version(grid) == before


def test_confusion_cells_click_through_to_their_rows(grid: ConsensusGrid) -> None:
    from sklearn.metrics import confusion_matrix

    reply = ok(grid.handle_request('confusion', {'model': 'hand'}))
    assert reply['reference'] == 'truth' and reply['figure']['data'][0]['type'] == 'heatmap'
    t = pxt.get_table(grid.table)
    df = t.where(t.consensus_truth != None).select(t.consensus_truth, t.hand_label).collect().to_pandas()  # noqa: E711
    expected = confusion_matrix(df['consensus_truth'], df['hand_label'], labels=reply['labels'])
    assert reply['counts'] == expected.tolist()
    assert {r['label'] for r in reply['report']} == set(df['consensus_truth'])
    # a non-empty off-diagonal cell: its rows, exactly
    i, j = next((i, j) for i, row in enumerate(reply['counts']) for j, n in enumerate(row) if n and i != j)
    cell = {'filter': 'confusion', 'model': 'hand', 'actual': reply['labels'][i], 'predicted': reply['labels'][j]}
    page = ok(grid.handle_request('rows', {**cell, 'limit': 50}))
    assert page['total'] == reply['counts'][i][j] == len(page['rows'])
    assert all(r['models']['hand']['label'] == reply['labels'][j] for r in page['rows'])
    before = version(grid)
    empty = refused(grid.handle_request('rows', {**cell, 'predicted': 'no such label'}))
    assert empty['message'].startswith('No rows: where the ground truth is')
    assert refused(grid.handle_request('confusion', {'model': 'ghost'}))['message']
    assert refused(grid.handle_request('confusion', {'model': 'hand', 'reference': 'oracle'}))['message']
    no_model = refused(grid.handle_request('confusion', {}))['message']
    assert no_model == "Bad request: 'model' must be a non-empty string."
    assert version(grid) == before


def test_suspects_without_probabilities_write_nothing(grid: ConsensusGrid) -> None:
    before = version(grid)
    response, _ = run_background(grid, 'find_suspects', {})
    assert response['ok'] is False
    assert 'at least two models' in response['error']['message']  # 'hand' gives no confidence
    assert 'without a confidence: hand' in response['error']['message']
    assert refused(grid.handle_request('rows', {'filter': 'suspects'}))['message']
    assert version(grid) == before


def test_pr_curves_are_for_detections(grid: ConsensusGrid) -> None:
    before = version(grid)
    assert 'for detections' in refused(grid.handle_request('pr_curves', {}))['message']
    assert version(grid) == before
