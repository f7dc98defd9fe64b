"""StageBuilder's commands without a browser: graph, rows, transforms, preview, add (with progress), drop, code."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import StageBuilder
from tests.support.media import write_video
from tests.support.recording import Recording


@pytest.fixture
def builder(pxt_dir: str, tmp_path: Path) -> StageBuilder:
    videos = pxt.create_table(f'{pxt_dir}/videos', {'video': pxt.Video, 'title': pxt.String})
    videos.insert([{'video': write_video(tmp_path / f'v{i}.mp4', frames=6), 'title': f'clip {i}'} for i in range(2)])
    return StageBuilder(f'{pxt_dir}/videos')


def ok(reply: dict[str, Any]) -> Any:
    assert reply['ok'], reply.get('error')
    return reply['payload']


def catalog_state(pxt_dir: str) -> list[tuple[str, int]]:
    return [(p, pxt.get_table(p).get_metadata()['version']) for p in sorted(pxt.list_tables(pxt_dir))]


def run_background(builder: StageBuilder, kind: str, payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """Send a request as the browser does (background commands run on a worker thread); collect what comes back."""
    sent: list[dict[str, Any]] = []
    builder._send_message = lambda msg, bufs: sent.append(msg)  # type: ignore[method-assign]
    builder._on_custom_msg(builder, {'type': 'request', 'id': 'r1', 'kind': kind, 'payload': payload}, None)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = next((m for m in sent if m['type'] == 'response'), None)
        if response is not None:
            return response, [m for m in sent if m['type'] == 'progress']
        time.sleep(0.05)
    raise AssertionError('no response')


def test_graph_of_a_fresh_source(builder: StageBuilder, pxt_dir: str) -> None:
    graph = ok(builder.handle_request('graph'))
    assert [(n['id'], n['kind'], n['rows']) for n in graph['nodes']] == [('videos', 'source', 2)]
    assert graph['problems'] == []
    assert builder.source == f'{pxt_dir}/videos'


def test_transforms_fit_the_stage_output(builder: StageBuilder) -> None:
    names = [t['name'] for t in ok(builder.handle_request('transforms', {'after': 'videos'}))['transforms']]
    assert 'extract_frames' in names
    assert 'detect_faces' not in names  # reads images, not videos


def test_preview_shows_frames_and_writes_nothing(builder: StageBuilder, pxt_dir: str) -> None:
    before = catalog_state(pxt_dir)
    reply = builder.handle_request(
        'preview', {'after': 'videos', 'transform': 'extract_frames', 'params': {'fps': 2.0}, 'name': 'frames', 'n': 3}
    )
    page = ok(reply)
    assert page['total'] == 3
    kinds = {c['name']: c['type'] for c in page['columns']}
    assert kinds['frame'] == 'image'
    assert len(reply['buffers']) >= 3
    assert catalog_state(pxt_dir) == before


def test_add_reports_progress_then_shows_the_new_stage(builder: StageBuilder, pxt_dir: str) -> None:
    payload = {'after': 'videos', 'transform': 'extract_frames', 'params': {'fps': 3.0}, 'name': 'frames'}
    response, progress = run_background(builder, 'add', payload)
    assert response['ok'], response.get('error')
    assert response['payload']['stage']['id'] == 'frames'
    assert response['payload']['stage']['kind'] == 'iterator'
    assert progress and 'frames' in progress[0]['message']
    assert builder.selected == 'frames'
    rows = ok(builder.handle_request('rows', {'stage': 'frames', 'offset': 0, 'limit': 4}))
    counted = ok(builder.handle_request('count', {'stage': 'frames'}))['total']
    assert rows['total'] in (None, counted)
    assert counted == response['payload']['stage']['rows'] > 0
    frame_col = [c['name'] for c in rows['columns']].index('frame')
    assert all(r[frame_col]['kind'] == 'image' for r in rows['rows'])  # unstored frames rendered
    code = ok(builder.handle_request('code'))['code']
    assert 'frame_iterator' in code and 'pxt.create_view' in code


def test_bad_parameters_are_refused_and_nothing_is_written(builder: StageBuilder, pxt_dir: str) -> None:
    before = catalog_state(pxt_dir)
    for params, fragment in (({'fps': 'fast'}, 'fps'), ({'fps': -1.0}, 'fps'), ({'nope': 1}, 'nope')):
        response, _ = run_background(
            builder, 'add', {'after': 'videos', 'transform': 'extract_frames', 'params': params, 'name': 'frames'}
        )
        assert response['ok'] is False
        assert fragment in response['error']['message'] + response['error'].get('hint', '')
    response, _ = run_background(
        builder, 'add', {'after': 'videos', 'transform': 'extract_frames', 'params': {}, 'name': 'stored'}
    )
    assert response['ok'] is False and response['error']['code'].startswith('invalid')
    assert catalog_state(pxt_dir) == before


def test_changed_definition_is_reported(builder: StageBuilder) -> None:
    payload = {'after': 'videos', 'transform': 'extract_frames', 'params': {'fps': 1.0}, 'name': 'frames'}
    assert run_background(builder, 'add', payload)[0]['ok']
    assert run_background(builder, 'add', payload)[0]['ok']  # the same again: converges, no error
    changed = {**payload, 'params': {'fps': 2.0}}
    response, _ = run_background(builder, 'add', changed)
    assert response['ok'] is False
    assert 'fps' in response['error']['message'] + response['error'].get('hint', '')


def test_drop_needs_the_confirmed_plan(builder: StageBuilder, pxt_dir: str) -> None:
    add = {'after': 'videos', 'transform': 'extract_frames', 'params': {'fps': 1.0}, 'name': 'frames'}
    assert run_background(builder, 'add', add)[0]['ok']
    small = {'after': 'frames', 'transform': 'resize_image', 'params': {}, 'name': 'small'}
    assert run_background(builder, 'add', small)[0]['ok']
    plan = ok(builder.handle_request('drop_plan', {'stage': 'frames'}))['plan']
    assert plan == ['small', 'frames']
    assert builder.handle_request('drop', {'stage': 'frames'})['ok'] is False  # no confirmation: nothing dropped
    assert builder.handle_request('drop', {'stage': 'frames', 'expect': ['frames']})['ok'] is False  # stale plan
    assert {n['id'] for n in ok(builder.handle_request('graph'))['nodes']} == {'videos', 'frames', 'small'}
    result = ok(builder.handle_request('drop', {'stage': 'frames', 'expect': plan}))
    assert result['dropped'] == plan
    assert [n['id'] for n in result['graph']['nodes']] == ['videos']
    assert pxt.list_tables(pxt_dir) == [f'{pxt_dir}/videos']


def test_preview_refuses_a_name_that_add_would_refuse(builder: StageBuilder) -> None:
    reply = builder.handle_request(
        'preview', {'after': 'videos', 'transform': 'extract_frames', 'params': {}, 'name': 'stored', 'n': 2}
    )
    assert reply['ok'] is False and 'stored' in reply['error']['message']


def test_a_cancelled_add_writes_nothing(builder: StageBuilder, pxt_dir: str) -> None:
    from pxwidgets.panels.base import ProgressReporter

    before = catalog_state(pxt_dir)
    reporter = ProgressReporter(lambda msg: None, 'r1')
    reporter.cancelled.set()  # the user clicked Cancel before the work reached its first write
    handler = builder._handlers['add'][0]
    with pytest.raises(Exception) as stopped:
        handler({'name': 'frames', 'transform': 'extract_frames', 'params': {'fps': 1.0}}, reporter)
    assert getattr(stopped.value, 'code', None) == 'cancelled'
    assert catalog_state(pxt_dir) == before
    assert [s.name for s in builder.pipeline.stages] == ['videos']


def test_harness_scenario(builder: StageBuilder, pxt_dir: str, recorder: Callable[..., Recording]) -> None:
    """What tests/js/test_stage_builder_replay.py replays: the source's rows, a frames stage previewed, added,
    paged and dropped."""
    recorder(builder, writes=('add', 'drop'), replace={pxt_dir: 'harness'})
    rows = {'offset': 0, 'limit': 10, 'order_by': None, 'filters': [], 'errors_only': False}

    def page(query: dict[str, Any]) -> Any:
        ok(builder.handle_request('count', query))  # counted first: the page comes back with its count
        return ok(builder.handle_request('rows', query))

    assert [n['id'] for n in ok(builder.handle_request('graph'))['nodes']] == ['videos']
    assert page({'stage': 'videos', **rows})['total'] == 2
    # Download CSV of the source's rows (the grid asks without its window)
    export = {'stage': 'videos', 'order_by': None, 'filters': [], 'errors_only': False, 'after': None, 'done': 0}
    assert ok(builder.handle_request('export_csv', export))['done'] == 2
    offered = ok(builder.handle_request('transforms', {'after': 'videos'}))['transforms']
    frames = next(t for t in offered if t['name'] == 'extract_frames')
    draft = {
        'after': 'videos',
        'transform': 'extract_frames',
        'params': {p['name']: p['default'] for p in frames['params']},
        'name': 'frames',
    }
    assert ok(builder.handle_request('preview', {**draft, 'n': 10}))['rows']
    assert builder.handle_request('preview', {**draft, 'name': 'stored', 'n': 10})['ok'] is False
    response, _ = run_background(builder, 'add', draft)
    assert response['ok'], response.get('error')
    assert builder.selected == 'frames'
    assert {n['id'] for n in ok(builder.handle_request('graph'))['nodes']} == {'videos', 'frames'}
    assert page({'stage': 'frames', **rows})['total'] == response['payload']['stage']['rows'] > 0
    assert response['payload']['stage']['compute_seconds'] > 0 and response['payload']['stage']['error_rate'] is None
    columns = ok(builder.handle_request('column_stats', {'stage': 'frames'}))['columns']
    assert {c['column']: c['stored'] for c in columns}['frame'] is False  # decoded on read: row count only
    titles = ok(builder.handle_request('column_chart', {'stage': 'frames', 'column': 'title'}))
    assert titles['kind'] == 'top' and sum(titles['figure']['data'][0]['y']) == response['payload']['stage']['rows']
    plan = ok(builder.handle_request('drop_plan', {'stage': 'frames'}))['plan']
    assert ok(builder.handle_request('drop', {'stage': 'frames', 'expect': plan}))['dropped'] == ['frames']
    assert [n['id'] for n in ok(builder.handle_request('graph'))['nodes']] == ['videos']
    page({'stage': 'videos', **rows})


def test_columns_view_commands(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/nums', {'n': pxt.Int, 'tag': pxt.String | None})
    t.insert([{'n': i, 'tag': 'ab'[i % 2] if i < 5 else None} for i in range(8)])
    builder = StageBuilder(t)
    stats = ok(builder.handle_request('column_stats', {'stage': 'nums'}))
    by_name = {c['column']: c for c in stats['columns']}
    assert stats['table'] == f'{pxt_dir}/nums'
    assert (by_name['n']['min'], by_name['n']['max'], by_name['n']['mean'], by_name['n']['nulls']) == (0, 7, 3.5, 0)
    assert (by_name['tag']['nulls'], by_name['tag']['chart']) == (3, 'top')
    chart = ok(builder.handle_request('column_chart', {'stage': 'nums', 'column': 'tag', 'top': 5}))
    assert chart['kind'] == 'top'
    assert chart['figure']['data'][0]['x'] == ['a', 'b'] and chart['figure']['data'][0]['y'] == [3, 2]
    hist = ok(builder.handle_request('column_chart', {'stage': 'nums', 'column': 'n', 'bins': 2}))
    assert hist['kind'] == 'histogram' and hist['figure']['data'][0]['y'] == [4, 4]
    assert 'template' not in hist['figure']['layout']
    bad = (
        ('column_stats', {'stage': 'nope'}, 'nope'),
        ('column_stats', {}, 'stage'),
        ('column_chart', {'stage': 'nums', 'column': 'nope'}, 'nope'),
        ('column_chart', {'stage': 'nums', 'column': 'n', 'bins': 0}, 'bins'),
        ('column_chart', {'stage': 'nums', 'column': 'n', 'top': 'many'}, 'top'),
    )
    for kind, payload, fragment in bad:
        reply = builder.handle_request(kind, payload)
        assert reply['ok'] is False, (kind, payload)
        assert reply['error']['code'] and fragment in reply['error']['message'], reply['error']
