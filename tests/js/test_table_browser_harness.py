"""TableBrowser's JavaScript in real Chromium, over a fake model: rendering, paging, sorting, filters, errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness

XSS = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>']
ALL_KINDS = {
    *('null', 'text', 'number', 'bool', 'timestamp', 'json'),
    *('array', 'image', 'video', 'document', 'audio', 'error'),
}


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness.open()


def test_cells_render_by_kind(h: Harness) -> None:
    expect(h.rows()).to_have_count(10)
    kinds = h.page.eval_on_selector_all(
        '[data-testid="pxw-grid"] [data-testid="pxw-cell"]', 'els => [...new Set(els.map(e => e.dataset.kind))]'
    )
    assert set(kinds) == ALL_KINDS
    expect(h.cell(0, 'id')).to_have_text('0')
    expect(h.cell(0, 'score')).to_have_text('0.500123')
    expect(h.cell(3, 'score')).to_have_text('null')
    expect(h.cell(0, 'ok')).to_have_text('✓ true')
    expect(h.cell(1, 'ok')).to_have_text('✗ false')
    expect(h.cell(0, 'created')).to_have_text('2024-05-01 12:30:00+00:00')
    expect(h.cell(0, 'vec')).to_contain_text('float32 [4]  min -0.5')
    expect(h.cell(0, 'doc')).to_have_text('report_0.pdf')
    expect(h.cell(0, 'doc').locator('[title]')).to_have_attribute('title', '/media/docs/report_0.pdf')
    expect(h.cell(0, 'voice')).to_contain_text('voice_0.wav')
    expect(h.cell(0, 'clip').locator('.pxw-play')).to_have_text('▶')

    # JSON: a one-line summary, the pretty-printed document only when opened
    dets = h.cell(0, 'dets')
    expect(dets.locator('summary')).to_contain_text('{"boxes":2,"labels":["cat","dog"]')
    expect(dets.locator('pre')).to_be_hidden()
    dets.locator('summary').click()
    expect(dets.locator('pre')).to_be_visible()
    expect(dets.locator('pre')).to_contain_text('"labels": [\n    "cat",')

    # error cells: a visible badge with the error type, the message on demand
    err = h.cell(1, 'tenfold')
    expect(err).to_have_attribute('data-kind', 'error')
    expect(err.locator('.pxw-error-badge')).to_have_text('ValueError')
    expect(err.locator('pre')).to_be_hidden()
    err.locator('summary').click()
    expect(err.locator('pre')).to_contain_text('tenfold failed on row 1')

    # headers: type, computed marker with its expression, problems shown, sortable or not
    expect(h.by_id('pxw-header-dets')).to_contain_text('Json')
    marker = h.by_id('pxw-header-dets').get_by_test_id('pxw-computed-marker')
    expect(marker).to_have_attribute('title', 'computed with: detect(image, threshold=0.5)')
    expect(h.by_id('pxw-header-tenfold').get_by_test_id('pxw-column-problem')).to_be_visible()
    expect(h.by_id('pxw-header-tenfold')).to_contain_text('UDF __main__.tenfold cannot be loaded')
    expect(h.by_id('pxw-header-image').locator('button')).to_have_count(0)
    expect(h.by_id('pxw-header-id').locator('button')).to_have_count(1)

    # the table header
    expect(h.by_id('pxw-table-picker')).to_have_value('demo/photos')
    expect(h.by_id('pxw-table-kind')).to_have_text('table')
    expect(h.by_id('pxw-table-version')).to_have_text('v7')
    expect(h.by_id('pxw-row-count')).to_have_text('137 rows')
    expect(h.by_id('pxw-problems')).to_contain_text('tenfold: UDF __main__.tenfold cannot be loaded')
    expect(h.by_id('pxw-tab-errors')).to_have_text('Errors34')


def test_untrusted_values_render_as_literal_text(h: Harness) -> None:
    expect(h.cell(0, 'title')).to_have_text(XSS[0])
    expect(h.cell(1, 'title')).to_have_text(XSS[1])
    expect(h.cell(0, 'note')).to_have_text(XSS[1])
    h.cell(0, 'dets').locator('summary').click()
    expect(h.cell(0, 'dets').locator('pre')).to_contain_text(XSS[0].replace('"', '\\"'))
    expect(h.by_id('pxw-table-comment')).to_have_text('Holiday photos with detections <b>not bold</b>')
    # an error message from the kernel is text too
    h.fail_next('page', XSS[0])
    h.by_id('pxw-next-page').click()
    expect(h.by_id('pxw-error-message')).to_have_text(XSS[0])
    h.by_id('pxw-tab-lineage').click()
    expect(h.page.locator('[data-path="demo/frames_dets"]')).to_contain_text("label == '<script>'")
    expect(h.page.locator('[data-path="demo/frames_dets"]')).to_contain_text('UDF <b>gone</b>')

    root = h.by_id('pxw-table-browser')
    assert root.locator('img[src="x"], script, b').count() == 0
    assert h.page.evaluate('window.__pwned') is None


def test_long_header_types_are_ellipsized_with_a_tooltip(h: Harness) -> None:
    type_el = h.by_id('pxw-header-dets').locator('.pxw-th-type')
    full = type_el.get_attribute('title')
    assert full and full.startswith("Json[{'index': Int") and full == type_el.text_content()
    clipped = type_el.evaluate(
        'el => ({w: el.getBoundingClientRect().width, sw: el.scrollWidth, cw: el.clientWidth,'
        ' h: el.getBoundingClientRect().height,'
        ' to: getComputedStyle(el).textOverflow, ws: getComputedStyle(el).whiteSpace})'
    )
    assert clipped['to'] == 'ellipsis' and clipped['ws'] == 'nowrap'
    assert clipped['w'] <= 221 and clipped['sw'] > clipped['cw'] and clipped['h'] < 20
    # short types are not clipped
    short = h.by_id('pxw-header-id').locator('.pxw-th-type')
    assert short.evaluate('el => el.scrollWidth <= el.clientWidth')


def test_wide_tables_hint_at_more_columns(h: Harness) -> None:
    h.page.set_viewport_size({'width': 900, 'height': 900})
    grid = h.by_id('pxw-grid')
    body = grid.locator('.pxw-grid-body')
    expect(body).to_have_class(re.compile('pxw-more-right'))
    expect(h.by_id('pxw-grid-fade')).to_have_css('opacity', '1')
    grid.locator('.pxw-grid-scroll').evaluate('el => { el.scrollLeft = el.scrollWidth; }')
    expect(body).not_to_have_class(re.compile('pxw-more-right'))
    # thumbnails are small, so most of a 10-row page fits
    img = h.cell(0, 'image').locator('img')
    h.page.wait_for_function('el => el.complete && el.naturalWidth > 0', arg=img.element_handle())
    ib = img.bounding_box()
    assert ib and ib['height'] <= 72.5


def test_long_text_is_truncated_with_a_toggle(h: Harness) -> None:
    cell = h.cell(2, 'caption')
    body = cell.locator('.pxw-text-body')
    short = body.inner_text()
    assert len(short) == 161 and short.endswith('…')
    expect(cell).to_contain_text('(5,234 chars total)')
    cell.get_by_test_id('pxw-text-toggle').click()
    assert len(body.inner_text()) == 400
    expect(cell.get_by_test_id('pxw-text-toggle')).to_have_text('less')
    cell.get_by_test_id('pxw-text-toggle').click()
    assert body.inner_text() == short
    # a short text has no toggle
    expect(h.cell(3, 'title').get_by_test_id('pxw-text-toggle')).to_have_count(0)


def test_pager_requests_pages_and_never_goes_past_the_end(h: Harness) -> None:
    info = h.by_id('pxw-page-info')
    expect(info).to_have_text('rows 1–10 of 137')
    expect(h.by_id('pxw-prev-page')).to_be_disabled()
    expect(h.by_id('pxw-first-page')).to_be_disabled()

    h.by_id('pxw-next-page').click()
    expect(info).to_have_text('rows 11–20 of 137')
    req = h.last('page')
    assert (req['offset'], req['limit']) == (10, 10)
    expect(h.cell(0, 'id')).to_have_text('10')

    h.by_id('pxw-last-page').click()
    expect(info).to_have_text('rows 131–137 of 137')
    assert h.last('page')['offset'] == 130
    expect(h.rows()).to_have_count(7)
    expect(h.by_id('pxw-next-page')).to_be_disabled()
    expect(h.by_id('pxw-last-page')).to_be_disabled()
    n = len(h.requests('page'))
    h.by_id('pxw-next-page').click(force=True)  # a disabled button sends nothing
    assert len(h.requests('page')) == n

    h.by_id('pxw-prev-page').click()
    expect(info).to_have_text('rows 121–130 of 137')
    h.by_id('pxw-page-size').select_option('25')
    expect(info).to_have_text('rows 101–125 of 137')
    assert (h.last('page')['offset'], h.last('page')['limit']) == (100, 25)
    log = h.fake('f => f.log')
    assert ['set', 'page_size', 25] in log and ['save_changes'] in log

    # the page_size trait set from Python
    h.page.evaluate('window.__model.set("page_size", 50)')
    expect(info).to_have_text('rows 101–137 of 137')
    assert h.last('page')['limit'] == 50
    h.by_id('pxw-first-page').click()
    expect(info).to_have_text('rows 1–50 of 137')


def test_header_click_cycles_the_sort(h: Harness) -> None:
    header = h.by_id('pxw-header-title')
    header.locator('button').click()
    expect(header).to_have_attribute('aria-sort', 'ascending')
    assert h.last('page')['order_by'] == {'column': 'title', 'asc': True}
    assert h.last('page')['offset'] == 0
    header.locator('button').click()
    expect(header).to_have_attribute('aria-sort', 'descending')
    assert h.last('page')['order_by'] == {'column': 'title', 'asc': False}
    expect(h.cell(0, 'id')).to_have_text('136')
    header.locator('button').click()
    expect(header).to_have_attribute('aria-sort', 'none')
    assert h.last('page')['order_by'] is None
    expect(h.cell(0, 'id')).to_have_text('0')


def _options(h: Harness, testid: str) -> list[str]:
    return h.by_id(testid).locator('option').evaluate_all('os => os.map(o => o.value)')


def test_filter_bar_offers_sensible_ops_and_sends_filters(h: Harness) -> None:
    h.by_id('pxw-filter-column').select_option('id')
    assert _options(h, 'pxw-filter-op') == ['==', '!=', '<', '<=', '>', '>=', 'is_null', 'not_null']
    expect(h.by_id('pxw-filter-value')).to_have_attribute('type', 'number')
    h.by_id('pxw-filter-column').select_option('title')
    assert _options(h, 'pxw-filter-op') == ['==', '!=', 'contains', 'startswith', 'is_null', 'not_null']
    expect(h.by_id('pxw-filter-value')).to_have_attribute('type', 'text')
    h.by_id('pxw-filter-column').select_option('ok')
    assert _options(h, 'pxw-filter-value') == ['true', 'false']
    h.by_id('pxw-filter-column').select_option('image')
    assert _options(h, 'pxw-filter-op') == ['is_null', 'not_null']
    expect(h.by_id('pxw-filter-value')).to_be_hidden()

    h.by_id('pxw-filter-column').select_option('id')
    h.by_id('pxw-filter-op').select_option('>')
    h.by_id('pxw-filter-value').fill('5')
    h.by_id('pxw-filter-add').click()
    expect(h.by_id('pxw-filter-chip')).to_have_text('id > 5×')
    req = h.last('page')
    assert req['filters'] == [{'column': 'id', 'op': '>', 'value': 5}] and req['offset'] == 0
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–10 of 12')
    expect(h.by_id('pxw-filter-value')).to_have_value('')

    h.by_id('pxw-filter-column').select_option('note')
    h.by_id('pxw-filter-op').select_option('is_null')
    expect(h.by_id('pxw-filter-value')).to_be_hidden()
    h.by_id('pxw-filter-add').click()
    expect(h.by_id('pxw-filter-chip')).to_have_count(2)
    assert h.last('page')['filters'][1] == {'column': 'note', 'op': 'is_null'}

    h.by_id('pxw-filter-remove').first.click()
    expect(h.by_id('pxw-filter-chip')).to_have_count(1)
    assert h.last('page')['filters'] == [{'column': 'note', 'op': 'is_null'}]

    h.by_id('pxw-errors-only').check()
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–10 of 34')
    assert h.last('page')['errors_only'] is True
    assert {c for c in h.column_values('tenfold')} == {'ValueError'}

    # an empty number is refused in the browser, without a request
    n = len(h.requests('page'))
    h.by_id('pxw-filter-column').select_option('score')
    expect(h.by_id('pxw-filter-op')).to_have_value('is_null')  # the operator stays when it fits the new column
    h.by_id('pxw-filter-op').select_option('<=')
    h.by_id('pxw-filter-add').click()
    expect(h.by_id('pxw-error-message')).to_have_text('Enter a number for score.')
    assert len(h.requests('page')) == n


def test_server_error_shows_and_keeps_the_previous_page(h: Harness) -> None:
    before = h.column_values('id')
    h.fail_next('page', "Unknown column 'id' for this op", hint='Pick one from the list.')
    h.by_id('pxw-filter-column').select_option('id')
    h.by_id('pxw-filter-value').fill('3')
    h.by_id('pxw-filter-add').click()
    alert = h.by_id('pxw-error')
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute('role', 'alert')
    expect(h.by_id('pxw-error-message')).to_have_text("Unknown column 'id' for this op")
    expect(h.by_id('pxw-error-hint')).to_have_text('Pick one from the list.')
    assert h.last('page')['filters'] == [{'column': 'id', 'op': '==', 'value': 3}]
    assert h.column_values('id') == before
    expect(h.by_id('pxw-filter-chip')).to_have_count(0)
    expect(h.by_id('pxw-filter-value')).to_have_value('3')  # kept, so it can be fixed

    # a failing sort leaves the order as it was, and the next success clears the error
    h.fail_next('page', 'no order on title')
    h.by_id('pxw-header-title').locator('button').click()
    expect(h.by_id('pxw-error-message')).to_have_text('no order on title')
    expect(h.by_id('pxw-header-title')).to_have_attribute('aria-sort', 'none')
    h.by_id('pxw-next-page').click()
    expect(alert).to_be_hidden()
    assert h.last('page')['order_by'] is None and h.last('page')['filters'] == []

    h.fail_next('page', 'busy', code='busy')
    h.by_id('pxw-next-page').click()
    expect(alert).to_be_visible()
    h.by_id('pxw-error-dismiss').click()
    expect(alert).to_be_hidden()
    expect(h.by_id('pxw-page-info')).to_have_text('rows 11–20 of 137')


def test_images_use_object_urls_and_overlays_line_up(h: Harness) -> None:
    img = h.cell(0, 'image').locator('img')
    src = img.get_attribute('src')
    assert src and src.startswith('blob:')
    h.page.wait_for_function('el => el.complete && el.naturalWidth === 160', arg=img.element_handle())
    boxes = h.cell(0, 'image').get_by_test_id('pxw-overlay-box')
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_have_text('cat 0.91')
    ib = img.bounding_box()
    bb = boxes.nth(1).bounding_box()
    assert ib and bb
    # dog box at (360, 200)-(600, 420) in the 640×480 original
    assert bb['x'] - ib['x'] == pytest.approx(360 / 640 * ib['width'], abs=1)
    assert bb['y'] - ib['y'] == pytest.approx(200 / 480 * ib['height'], abs=1)
    assert bb['width'] == pytest.approx(240 / 640 * ib['width'], abs=1)
    assert bb['height'] == pytest.approx(220 / 480 * ib['height'], abs=1)

    # a larger view with the same boxes
    img.click()
    box = h.by_id('pxw-lightbox')
    expect(box).to_be_visible()
    expect(box.get_by_test_id('pxw-overlay-box')).to_have_count(2)
    big = box.locator('img').bounding_box()
    assert big and big['width'] > 2 * ib['width']
    h.page.keyboard.press('Escape')
    expect(box).to_have_count(0)

    # the previous page's object URLs are revoked once the next page is on screen
    h.by_id('pxw-next-page').click()
    expect(h.cell(0, 'id')).to_have_text('10')
    assert h.cell(0, 'image').locator('img').get_attribute('src') != src
    assert h.page.evaluate('u => fetch(u).then(() => true, () => false)', src) is False


def test_loading_keeps_the_previous_page_and_shows_progress(h: Harness) -> None:
    h.fake('(f) => { f.hold = true; f.progress.page = [[3, 10, "thumbnails"]] }')
    h.by_id('pxw-next-page').click()
    expect(h.by_id('pxw-progress')).to_be_visible()
    expect(h.by_id('pxw-progress-label')).to_have_text('3/10 · thumbnails')
    expect(h.by_id('pxw-grid')).to_have_class(re.compile('pxw-loading'))
    expect(h.cell(0, 'id')).to_have_text('0')  # the previous rows stay while loading
    expect(h.rows()).to_have_count(10)
    h.fake('(f) => f.release()')
    expect(h.cell(0, 'id')).to_have_text('10')
    expect(h.by_id('pxw-grid')).not_to_have_class(re.compile('pxw-loading'))
    expect(h.by_id('pxw-progress')).to_be_hidden()

    # indeterminate progress when the total is unknown
    h.fake('(f) => { f.hold = true; f.progress.page = [[5, null, "reading"]] }')
    h.by_id('pxw-next-page').click()
    expect(h.by_id('pxw-progress')).to_have_class(re.compile('pxw-indeterminate'))
    expect(h.by_id('pxw-progress-label')).to_have_text('5 · reading')
    h.fake('(f) => f.release()')
    expect(h.cell(0, 'id')).to_have_text('20')


def test_errors_tab_lists_counts_and_error_rows(h: Harness) -> None:
    h.by_id('pxw-tab-errors').click()
    expect(h.by_id('pxw-errors-grid')).to_be_visible()
    assert h.wait_requests('page', 2)['errors_only'] is True
    expect(h.by_id('pxw-error-count')).to_have_text('tenfold34')
    expect(h.by_id('pxw-errors-page-info')).to_have_text('rows 1–10 of 34')
    assert set(h.column_values('tenfold', grid='pxw-errors-grid')) == {'ValueError'}
    h.by_id('pxw-errors-next-page').click()
    expect(h.by_id('pxw-errors-page-info')).to_have_text('rows 11–20 of 34')
    expect(h.by_id('pxw-page-info')).to_have_text('rows 1–10 of 137')  # the Rows grid is untouched


def test_lineage_history_and_code_tabs(h: Harness) -> None:
    h.by_id('pxw-tab-lineage').click()
    nodes = h.by_id('pxw-lineage-node')
    expect(nodes).to_have_count(4)
    current = h.page.locator('[data-testid="pxw-lineage-node"][aria-current="true"]')
    expect(current).to_have_attribute('data-path', 'demo/photos')
    expect(current).to_contain_text('137 rows')
    frames = h.page.locator('[data-path="demo/frames"]')
    expect(frames).to_contain_text('frame_iterator(clip, fps=2.0)')
    expect(frames).to_contain_text('4,210 rows')
    expect(h.page.locator('[data-path="demo/photos_small"]')).to_contain_text('id < 12')
    assert h.page.locator('.pxw-lineage-edges path.pxw-edge').count() == 3
    # edge labels: in the DOM, visible, clipped with the full text in a tooltip, never under or over a box
    labels = h.by_id('pxw-lineage-edge-label')
    expect(labels).to_have_count(3)
    long_label = labels.filter(has_text='frame_iterator')
    expect(long_label).to_be_visible()
    expect(long_label).to_have_attribute('title', re.compile(r'frame_iterator\(clip, fps=2\.0\)'))
    assert long_label.evaluate('el => getComputedStyle(el).textOverflow') == 'ellipsis'
    boxes = [b for b in (nodes.nth(i).bounding_box() for i in range(4)) if b]
    assert len(boxes) == 4
    for i in range(3):
        expect(labels.nth(i)).to_be_visible()
        lb = labels.nth(i).bounding_box()
        assert lb and lb['width'] > 40 and lb['height'] > 8
        for b in boxes:
            apart = (
                lb['x'] + lb['width'] <= b['x']
                or b['x'] + b['width'] <= lb['x']
                or lb['y'] + lb['height'] <= b['y']
                or b['y'] + b['height'] <= lb['y']
            )
            assert apart, (lb, b)
    # views sit to the right of their base
    base = current.bounding_box()
    view = frames.bounding_box()
    assert base and view and view['x'] > base['x'] + base['width']

    h.by_id('pxw-tab-history').click()
    expect(h.by_id('pxw-history-row')).to_have_count(8)
    expect(h.by_id('pxw-history-row').nth(1)).to_contain_text('34')
    expect(h.by_id('pxw-history-row').first).to_have_class(re.compile('pxw-row-current'))

    h.by_id('pxw-tab-code').click()
    code = h.by_id('pxw-code')
    expect(code).to_contain_text("t = pxt.get_table('demo/photos')")
    expect(code).to_contain_text('.limit(10, offset=0).collect()')
    h.by_id('pxw-code-copy').click()
    expect(h.by_id('pxw-code-copy')).to_have_text('Copied ✓')
    assert h.page.evaluate('window.__clipboard') == [code.inner_text()]


def test_clicking_a_lineage_node_opens_that_table(h: Harness) -> None:
    h.by_id('pxw-filter-column').select_option('note')
    h.by_id('pxw-filter-op').select_option('not_null')
    h.by_id('pxw-filter-add').click()
    expect(h.by_id('pxw-filter-chip')).to_have_count(1)
    h.by_id('pxw-tab-lineage').click()
    h.page.locator('[data-path="demo/photos_small"]').click()
    assert h.wait_requests('open', 1) == {'path': 'demo/photos_small'}
    expect(h.by_id('pxw-table-picker')).to_have_value('demo/photos_small')
    expect(h.by_id('pxw-table-kind')).to_have_text('view')
    expect(h.by_id('pxw-row-count')).to_have_text('12 rows')
    h.wait_requests('lineage', 2)  # the lineage of the new table
    req = h.last('page')
    assert req['filters'] == [] and req['offset'] == 0 and req['order_by'] is None
    expect(h.by_id('pxw-filter-chip')).to_have_count(0)
    assert len(h.requests('info')) == 1  # the kernel's trait update does not load the table twice
    assert h.page.evaluate('window.__model.get("path")') == 'demo/photos_small'


def test_a_failed_open_changes_nothing(h: Harness) -> None:
    expect(h.by_id('pxw-table-picker').locator('option')).to_have_count(4)
    before = h.column_values('id')
    h.fail_next('open', 'No table at demo/frames', code='not_found', hint='It was dropped.')
    h.by_id('pxw-table-picker').select_option('demo/frames')
    expect(h.by_id('pxw-error-message')).to_have_text('No table at demo/frames')
    expect(h.by_id('pxw-table-picker')).to_have_value('demo/photos')
    expect(h.by_id('pxw-table-kind')).to_have_text('table')
    assert h.column_values('id') == before
    assert h.requests('open') == [{'path': 'demo/frames'}]


def test_path_trait_set_from_python_reloads(h: Harness) -> None:
    h.by_id('pxw-header-title').locator('button').click()
    expect(h.by_id('pxw-header-title')).to_have_attribute('aria-sort', 'ascending')
    assert h.wait_requests('page', 2)['order_by'] == {'column': 'title', 'asc': True}  # the sorted page went out
    h.page.evaluate('window.__model.set("path", "demo/frames")')
    expect(h.by_id('pxw-table-picker')).to_have_value('demo/frames')
    assert h.wait_requests('page', 3)['order_by'] is None  # another table starts unsorted and unfiltered
    h.wait_requests('info', 2)


def test_refresh_reloads_info_catalog_and_the_same_page(h: Harness) -> None:
    h.by_id('pxw-next-page').click()
    expect(h.by_id('pxw-page-info')).to_have_text('rows 11–20 of 137')
    h.by_id('pxw-refresh').click()
    h.wait_requests('info', 2)
    h.wait_requests('catalog', 2)
    assert h.wait_requests('page', 3)['offset'] == 10
    expect(h.by_id('pxw-page-info')).to_have_text('rows 11–20 of 137')


def test_rows_show_even_when_the_table_info_fails(harness: Harness) -> None:
    h = harness.open(fail='info')
    expect(h.by_id('pxw-error-message')).to_have_text('info failed at start')
    expect(h.by_id('pxw-error-hint')).to_have_text('A hint.')
    expect(h.rows()).to_have_count(10)
    expect(h.by_id('pxw-table-picker')).to_have_value('demo/photos')


def test_a_first_page_that_fails_leaves_an_empty_grid_and_a_message(harness: Harness) -> None:
    harness.page.set_viewport_size({'width': 1280, 'height': 900})
    harness.page.goto('http://pxw.test/?page_size=10&fail=page')
    expect(harness.by_id('pxw-error-message')).to_have_text('page failed at start')
    expect(harness.by_id('pxw-page-info')).to_have_text('no rows')
    harness.by_id('pxw-refresh').click()
    expect(harness.rows()).to_have_count(10)
    expect(harness.by_id('pxw-error')).to_be_hidden()


def test_cleanup_releases_listeners_and_object_urls(h: Harness) -> None:
    srcs = h.page.locator('[data-testid="pxw-grid"] img').evaluate_all('imgs => imgs.map(i => i.src)')
    assert len(srcs) == 20 and all(s.startswith('blob:') for s in srcs)
    assert h.page.evaluate('window.__model.listeners("msg:custom")') == 1
    h.page.evaluate('window.__cleanup()')
    assert h.page.evaluate('window.__model.listeners("msg:custom")') == 0
    assert h.page.evaluate('window.__model.listeners("change:path")') == 0
    assert h.page.evaluate('window.__model.listeners("change:page_size")') == 0
    assert h.page.evaluate('u => fetch(u).then(() => true, () => false)', srcs[0]) is False
    expect(h.by_id('pxw-table-browser')).to_have_count(0)


@pytest.mark.parametrize('theme', ['light', 'dark'])
def test_screenshot(harness: Harness, theme: str) -> None:
    h = harness.open(theme=theme)
    h.cell(0, 'image').locator('img').evaluate('el => el.decode()')
    name = 'grid-harness.png' if theme == 'light' else 'grid-harness-dark.png'
    out = h.screenshot(name)
    assert out.stat().st_size > 10_000
    # text on the panel is readable in both themes: foreground and background differ clearly
    fg, bg = h.page.locator('.pxw-root').evaluate(
        'el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]'
    )
    assert fg != bg
    if theme == 'light':
        h.by_id('pxw-tab-lineage').click()
        expect(h.by_id('pxw-lineage-node')).to_have_count(4)
        h.screenshot('grid-harness-lineage.png')


def test_rows_show_before_their_count(h: Harness) -> None:
    """A page that comes back still counting shows its rows at once; the count follows from a `count` request."""
    h.fake('(f) => { f.hold = true; f.countLater = true; }')
    h.by_id('pxw-next-page').click()
    h.fake('(f) => f.release()')
    expect(h.by_id('pxw-page-info')).to_have_text('rows 11–20 of 137')  # after the count arrived
    assert h.wait_requests('count', 1)['offset'] == 10
    h.fake('(f) => { f.hold = true; }')
    h.by_id('pxw-next-page').click()
    h.page.wait_for_function('() => window.__fake.held.length > 0')
    h.page.evaluate('() => window.__fake.held.shift()()')  # the page only: its count request stays held
    expect(h.by_id('pxw-page-info')).to_have_text('rows 21–30 of …')  # rows on screen, count still held
    expect(h.by_id('pxw-next-page')).to_be_enabled()
    expect(h.by_id('pxw-last-page')).to_be_disabled()
    h.wait_requests('count', 2)
    h.fake('(f) => f.release()')
    expect(h.by_id('pxw-page-info')).to_have_text('rows 21–30 of 137')
    expect(h.by_id('pxw-last-page')).to_be_enabled()
