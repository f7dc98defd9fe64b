"""TableBrowser's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/table_browser.json; the detailed tests in test_table_browser_harness.py use a hand-written
fake): paging, sorting, a filter, the error rows, lineage and history, untrusted text."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness, recorded

FIRST = {'offset': 0, 'limit': 5, 'order_by': None, 'filters': [], 'errors_only': False}
XSS = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>']


def page(query: dict[str, Any]) -> dict[str, Any]:
    return recorded('table_browser', 'page', query)['reply']


def values(reply: dict[str, Any], column: str) -> list[str]:
    i = [c['name'] for c in reply['columns']].index(column)
    return [str(row[i]['value']) for row in reply['rows']]


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('table_browser')
    expect(h.rows()).to_have_count(5)
    return h


def test_the_first_page_renders_what_the_kernel_sent(h: Harness) -> None:
    assert h.requests('page') == [FIRST]
    assert h.requests('count') == []  # the recorded page came with its count
    info = recorded('table_browser', 'info')['reply']
    expect(h.by_id('pxw-table-picker')).to_have_value(info['path'])
    expect(h.by_id('pxw-table-version')).to_have_text(f'v{info["version"]}')
    expect(h.by_id('pxw-row-count')).to_have_text(f'{info["total_rows"]} rows')
    assert h.column_values('n') == values(page(FIRST), 'n')
    expect(h.cell(1, 'tenfold')).to_have_attribute('data-kind', 'error')
    expect(h.by_id('pxw-header-tenfold').get_by_test_id('pxw-computed-marker')).to_have_attribute(
        'title', 'computed with: fails_on_odd(n)'
    )
    img = h.cell(0, 'image').locator('img')
    assert (img.get_attribute('src') or '').startswith('blob:')
    h.page.wait_for_function('el => el.complete && el.naturalWidth > 0', arg=img.element_handle())  # a real JPEG
    expect(h.cell(0, 'image').get_by_test_id('pxw-overlay-box')).to_have_count(1)
    # hostile strings from the table are text
    expect(h.cell(0, 'title')).to_have_text(XSS[0])
    expect(h.cell(1, 'title')).to_have_text(XSS[1])
    assert h.page.locator('[data-testid="pxw-grid"] script, [data-testid="pxw-grid"] img[src="x"]').count() == 0
    assert h.page.evaluate('window.__pwned') is None


def test_pager_and_sort(h: Harness) -> None:
    info = h.by_id('pxw-page-info')
    expect(info).to_have_text('rows 1–5 of 12')
    h.by_id('pxw-next-page').click()
    expect(info).to_have_text('rows 6–10 of 12')
    assert h.last('page') == {**FIRST, 'offset': 5, 'after': page(FIRST)['cursor']['last']}  # by key, not OFFSET
    h.by_id('pxw-last-page').click()
    expect(info).to_have_text('rows 11–12 of 12')
    expect(h.rows()).to_have_count(2)
    expect(h.by_id('pxw-next-page')).to_be_disabled()

    header = h.by_id('pxw-header-n')
    header.locator('button').click()
    expect(header).to_have_attribute('aria-sort', 'ascending')
    header.locator('button').click()
    expect(header).to_have_attribute('aria-sort', 'descending')
    descending = {**FIRST, 'order_by': {'column': 'n', 'asc': False}}
    assert h.last('page') == descending
    expect(h.cell(0, 'n')).to_have_text('11')
    assert h.column_values('n') == values(page(descending), 'n')


def test_filter_and_error_rows(h: Harness) -> None:
    h.by_id('pxw-filter-column').select_option('n')
    h.by_id('pxw-filter-op').select_option('<')
    h.by_id('pxw-filter-value').fill('2')
    h.by_id('pxw-filter-add').click()
    expect(h.by_id('pxw-filter-chip')).to_have_text('n < 2×')
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–2 of 2')
    assert h.last('page')['filters'] == [{'column': 'n', 'op': '<', 'value': 2}]
    h.by_id('pxw-filter-remove').click()
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–5 of 12')

    h.by_id('pxw-errors-only').check()
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–5 of 6')
    assert set(h.column_values('tenfold')) == {'ValueError'}
    error_counts = recorded('table_browser', 'info')['reply']['error_counts']
    expect(h.by_id('pxw-tab-errors')).to_have_text(f'Errors{error_counts[0]["count"]}')


def test_lineage_and_history_tabs(h: Harness) -> None:
    h.by_id('pxw-tab-lineage').click()
    lineage = recorded('table_browser', 'lineage')['reply']
    expect(h.by_id('pxw-lineage-node')).to_have_count(len(lineage['nodes']))
    current = h.page.locator('[data-testid="pxw-lineage-node"][aria-current="true"]')
    expect(current).to_have_attribute('data-path', 'harness/mixed')
    h.by_id('pxw-tab-history').click()
    versions = recorded('table_browser', 'history')['reply']['versions']
    expect(h.by_id('pxw-history-row')).to_have_count(len(versions))
