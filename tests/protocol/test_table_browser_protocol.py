"""TableBrowser's commands without a browser: send each request as the panel does, check the reply."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import PIL.Image
import pixeltable as pxt
import pytest

from pxwidgets import TableBrowser
from pxwidgets.errors import TableNotFoundError
from tests.support.recording import Recording
from tests.support.tables import XSS_STRINGS, make_mixed_table


@pytest.fixture
def browser(pxt_dir: str, tmp_path: Path) -> TableBrowser:
    make_mixed_table(f'{pxt_dir}/mixed', tmp_path / 'media')
    return TableBrowser(f'{pxt_dir}/mixed', page_size=5)


def ok(reply: dict[str, Any]) -> Any:
    assert reply['type'] == 'response'
    assert reply['ok'], reply.get('error')
    return reply['payload']


def total(browser: TableBrowser, request: dict[str, Any], page: dict[str, Any]) -> int:
    """The page's row count, or, where the page came back before its count, the answer to a 'count' request."""
    return page['total'] if page['total'] is not None else ok(browser.handle_request('count', request))['total']


def refused(reply: dict[str, Any], code: str) -> dict[str, Any]:
    assert reply['ok'] is False
    assert reply['error']['code'] == code, reply['error']
    assert 'Traceback' not in reply['error']['message']
    return dict(reply['error'])


def test_page_reply_has_typed_cells_and_image_buffers(browser: TableBrowser) -> None:
    request = {'offset': 0, 'limit': 5, 'order_by': {'column': 'n', 'asc': True}}
    reply = browser.handle_request('page', request)
    page = ok(reply)
    names = [c['name'] for c in page['columns']]
    assert names[:6] == ['image', 'title', 'n', 'score', 'dets', 'vec']
    assert total(browser, request, page) == 12 and page['offset'] == 0 and len(page['rows']) == 5
    row = dict(zip(names, page['rows'][0], strict=True))
    assert row['image']['kind'] == 'image'
    img = PIL.Image.open(io.BytesIO(reply['buffers'][row['image']['buffer']]))
    assert img.format == 'JPEG' and max(img.size) <= 160
    assert row['image']['overlays'][0]['labels'] == ['face']
    assert row['title'] == {'kind': 'text', 'value': XSS_STRINGS[0]}  # travels as plain text, rendered as text
    assert row['n'] == {'kind': 'number', 'value': 0}
    assert row['dets']['kind'] == 'json'
    assert row['vec']['kind'] == 'array' and row['vec']['shape'] == [4]
    assert dict(zip(names, page['rows'][1], strict=True))['tenfold']['kind'] == 'error'
    assert sum(len(b) for b in reply['buffers']) < 60_000
    assert 'pxt.get_table(' in page['code'] and '.order_by(t.n, asc=True)' in page['code']


def test_paging_sorting_and_filtering(browser: TableBrowser) -> None:
    second = ok(browser.handle_request('page', {'offset': 5, 'limit': 5, 'order_by': {'column': 'n', 'asc': True}}))
    assert [r[2]['value'] for r in second['rows']] == [5, 6, 7, 8, 9]
    desc = ok(browser.handle_request('page', {'limit': 3, 'order_by': {'column': 'n', 'asc': False}}))
    assert [r[2]['value'] for r in desc['rows']] == [11, 10, 9]
    request = {'limit': 5, 'filters': [{'column': 'n', 'op': '<', 'value': 2}]}
    assert total(browser, request, ok(browser.handle_request('page', request))) == 2


def test_errors_view(browser: TableBrowser) -> None:
    request = {'limit': 50, 'errors_only': True}
    page = ok(browser.handle_request('page', request))
    col = [c['name'] for c in page['columns']].index('tenfold')
    assert total(browser, request, page) == 6
    assert {r[col]['errortype'] for r in page['rows']} == {'ValueError'}
    info = ok(browser.handle_request('info'))
    assert info['error_counts'] == [{'column': 'tenfold', 'count': 6}]


@pytest.mark.parametrize(
    ('payload', 'code', 'fragment'),
    [
        ({'filters': [{'column': 'nope', 'op': '==', 'value': 1}]}, 'invalid', "Unknown column 'nope'"),
        ({'filters': [{'column': 'n', 'op': '>', 'value': 'ten'}]}, 'invalid', 'not a valid value'),
        ({'offset': 500, 'limit': 5}, 'invalid', 'past the end'),
        ({'offset': 'x'}, 'invalid', 'offset must be'),
        ({'order_by': {'column': 'image', 'asc': True}}, 'invalid', 'no order'),
    ],
)
def test_bad_requests_are_refused_clearly(
    browser: TableBrowser, payload: dict[str, Any], code: str, fragment: str
) -> None:
    version = pxt.get_table(browser.path).get_metadata()['version']
    error = refused(browser.handle_request('page', payload), code)
    assert fragment in error['message'] + error.get('hint', '')
    assert browser.last_error == error['message']
    assert pxt.get_table(browser.path).get_metadata()['version'] == version  # nothing written


def test_unknown_command_and_bad_payload(browser: TableBrowser) -> None:
    refused(browser.handle_request('drop_everything'), 'error')


def test_open_switches_table_only_on_success(browser: TableBrowser, pxt_dir: str) -> None:
    before = browser.path
    error = refused(browser.handle_request('open', {'path': f'{pxt_dir}/missing'}), 'not_found')
    assert 'missing' in error['message']
    assert browser.path == before
    pxt.create_view(f'{pxt_dir}/small', pxt.get_table(before).where(pxt.get_table(before).n < 3))
    info = ok(browser.handle_request('open', {'path': f'{pxt_dir}/small'}))
    assert browser.path == f'{pxt_dir}/small' and info['kind'] == 'view' and info['total_rows'] == 3
    lineage = ok(browser.handle_request('lineage'))
    assert [n['path'] for n in lineage['nodes']] == [before, f'{pxt_dir}/small']
    assert lineage['edges'][0]['label'] == 'where n < 3'


def test_history_and_catalog(browser: TableBrowser, pxt_dir: str) -> None:
    versions = ok(browser.handle_request('history'))['versions']
    assert versions[0]['version'] >= 3 and 'change_type' in versions[0]
    tables = ok(browser.handle_request('catalog'))['tables']
    assert {'path': browser.path, 'kind': 'table'} in tables


def test_table_dropped_while_open(browser: TableBrowser) -> None:
    pxt.drop_table(browser.path)
    error = refused(browser.handle_request('page', {'limit': 5}), 'not_found')
    assert 'dropped' in error['hint']


def test_constructor_refuses_a_missing_table(pxt_dir: str) -> None:
    with pytest.raises(TableNotFoundError, match='nowhere'):
        TableBrowser(f'{pxt_dir}/nowhere')


def test_python_api_page_matches_the_panel(browser: TableBrowser) -> None:
    df = browser.page(offset=5, order_by=('n', True)).to_pandas()
    assert list(df['n']) == [5, 6, 7, 8, 9]


def test_database_locked_by_another_process(browser: TableBrowser, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long write in another process holds the table; the panel answers 'busy' instead of freezing."""
    import pxwidgets.tables.resolve as resolve

    monkeypatch.setattr(resolve, 'DEFAULT_DEADLINE_S', 1.0)
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(root)!r})
        import pixeltable as pxt
        from tests.support.udfs import slow_identity
        t = pxt.get_table({browser.path!r})
        print('ready', flush=True)
        t.add_computed_column(slow=slow_identity(t.n))
        """
    )
    proc = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == 'ready'
        import time

        deadline = time.monotonic() + 20
        reply = None
        while time.monotonic() < deadline:
            reply = browser.handle_request('page', {'limit': 5})
            if not reply['ok']:
                break
            time.sleep(0.2)
        assert reply is not None
        error = refused(reply, 'busy')
        assert 'did not answer within 1 s' in error['message']
        assert 'Another process' in error['hint']
    finally:
        proc.wait(timeout=60)
    assert total(browser, {'limit': 5}, ok(browser.handle_request('page', {'limit': 5}))) == 12


def test_table_pixeltable_cannot_describe(pxt_dir: str) -> None:
    """An embedding index over an Array column makes get_metadata() raise KeyError; the browser describes the table
    from the handle instead (it no longer needs get_metadata at all), so nothing is missing."""
    import numpy as np

    t = pxt.create_table(f'{pxt_dir}/vectors', {'name': pxt.String, 'vec': pxt.Array[(4,), pxt.Float]})  # type: ignore[misc]
    t.insert([{'name': f'r{i}', 'vec': np.full(4, i + 1, dtype=np.float32)} for i in range(3)])
    t.add_embedding_index('vec', metric='cosine')
    with pytest.raises(KeyError):
        t.get_metadata()
    browser = TableBrowser(t)
    info = ok(browser.handle_request('info'))
    assert info['kind'] == 'table' and info['version'] == t._tbl_version_path.tbl_version.get().version
    assert not any('cannot describe' in p for p in info['problems'])
    assert [c['name'] for c in info['columns']] == ['name', 'vec']
    page = ok(browser.handle_request('page', {'limit': 5}))
    assert total(browser, {'limit': 5}, page) == 3 and page['rows'][0][1]['kind'] == 'array'
    node = ok(browser.handle_request('lineage'))['nodes'][0]
    assert node['error'] is None and node['row_count'] == 3 and node['kind'] == 'table'


def test_column_whose_notebook_udf_is_gone(pxt_dir: str) -> None:
    """A UDF defined in a notebook cell is lost with the kernel: the column is shown, with the reason and the fix."""
    root = Path(__file__).resolve().parents[2]
    make = textwrap.dedent(
        f"""
        import sys; sys.ps1 = '>>> '  # an interactive session, like a notebook kernel
        import pixeltable as pxt
        t = pxt.create_table({pxt_dir + '/nb'!r}, {{'n': pxt.Int}})
        t.insert([{{'n': 1}}, {{'n': 2}}])

        @pxt.udf
        def double(n: int) -> int:
            return 2 * n

        t.add_computed_column(doubled=double(t.n))
        """
    )
    subprocess.run([sys.executable, '-c', make], check=True, cwd=root, capture_output=True)
    browser = TableBrowser(f'{pxt_dir}/nb')
    info = ok(browser.handle_request('info'))
    column = next(c for c in info['columns'] if c['name'] == 'doubled')
    assert '__main__.double' in column['problem'] and 'kernel restart' in column['problem']
    assert any(p.startswith('doubled:') for p in info['problems'])
    page = ok(browser.handle_request('page', {'limit': 5, 'order_by': {'column': 'n', 'asc': True}}))
    assert [r[1]['value'] for r in page['rows']] == [2, 4]  # existing values still readable


def test_count_command_follows_a_page_sent_before_its_count(browser: TableBrowser) -> None:
    request = {'offset': 0, 'limit': 5, 'filters': [{'column': 'n', 'op': '>=', 'value': 4}]}
    page = ok(browser.handle_request('page', request))
    assert page['total'] in (None, 8)
    assert ok(browser.handle_request('count', request)) == {'total': 8}
    assert refused(browser.handle_request('count', {'filters': [{'column': 'zz', 'op': '==', 'value': 1}]}), 'invalid')


def test_harness_scenario(
    browser: TableBrowser, pxt_dir: str, recorder: Callable[..., Recording], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What tests/js/test_table_browser_harness.py replays: pages, a sort, a filter, the error rows, lineage."""
    from pxwidgets.panels import table_browser

    listed = table_browser.list_catalog
    # the catalog of this test's own directory: other tests share the Pixeltable home and leave their tables in it
    monkeypatch.setattr(
        table_browser, 'list_catalog', lambda d: [t for t in listed(d) if t['path'].startswith(pxt_dir)]
    )
    recorder(browser, replace={pxt_dir: 'harness'})
    first = {'offset': 0, 'limit': 5, 'order_by': None, 'filters': [], 'errors_only': False}
    queries = [
        first,
        {**first, 'offset': 5},
        {**first, 'offset': 10},
        {**first, 'order_by': {'column': 'n', 'asc': True}},
        {**first, 'order_by': {'column': 'n', 'asc': False}},
        {**first, 'filters': [{'column': 'n', 'op': '<', 'value': 2}]},
        {**first, 'errors_only': True},
    ]
    for query in queries:  # counted first, so that every page comes back with its count (as when cached)
        ok(browser.handle_request('count', query))
    ok(browser.handle_request('info'))
    ok(browser.handle_request('catalog'))
    pages = [ok(browser.handle_request('page', query)) for query in queries]
    assert [p['total'] for p in pages] == [12, 12, 12, 12, 12, 2, 6]
    assert [r[2]['value'] for r in pages[4]['rows']] == [11, 10, 9, 8, 7]
    # "next page" as the grid asks it: after the last row of the page on screen (fetched by key)
    by_key = ok(browser.handle_request('page', {**first, 'offset': 5, 'after': pages[0]['cursor']['last']}))
    assert by_key['fetched_by'] == 'key' and by_key['rows'] == pages[1]['rows']
    last = ok(browser.handle_request('page', {**first, 'offset': 10, 'after': by_key['cursor']['last']}))
    assert last['rows'] == pages[2]['rows']  # the last page, next to the one on screen: by key too
    assert ok(browser.handle_request('lineage'))['nodes']
    assert ok(browser.handle_request('history'))['versions']
    refused(browser.handle_request('page', {**first, 'offset': 500}), 'invalid')
