"""TableBrowser in a real JupyterLab with Chromium: the tour notebook runs, then each test drives a panel.

The tour (notebooks/00_tour.ipynb) is opened and run once per module; each test then appends a cell displaying a
fresh ``TableBrowser`` so that no test depends on the clicks of another. Expected values come from the kernel (the
same Pixeltable home the panel reads), not from constants copied from the notebook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    open_and_run,
    run_cell,
    save_screenshot,
)

pytestmark = pytest.mark.e2e

TOUR = '00_tour.ipynb'
MARKUP = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>'
PAGE_SIZE = 10


@pytest.fixture(scope='module')
def tour_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    """The tour notebook, opened and run top to bottom once (its kernel is shut down after the module)."""
    page = shared_page
    open_and_run(page, jupyter_lab, TOUR, label='tour')
    kernel_eval(page, 'import pixeltable as pxt\nimport pxwidgets as pxw')
    yield page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def tour(tour_notebook: Page, lab_page: Page) -> Page:
    """The page with the tour notebook, for one test (failure screenshot and trace as ``lab_page`` keeps them)."""
    return lab_page


def count(page: Page, table: str, where: str = '') -> int:
    """Rows of ``table`` (optionally ``.where(<where>)`` with ``t`` bound to it), asked of the kernel."""
    query = f't.where({where})' if where else 't'
    return int(kernel_eval(page, f't = pxt.get_table({table!r})', f'{query}.count()'))


def first_widths(page: Page, *, asc: bool) -> list[int]:
    """The first page of photo widths in that order, asked of the kernel."""
    query = f't.order_by(t.width, asc={asc}).limit({PAGE_SIZE}).select(t.width).collect()["width"]'
    return list(kernel_eval(page, "t = pxt.get_table('tour/photos')", f'list({query})'))


def page_text(offset: int, shown: int, total: int) -> str:
    return f'rows {offset + 1}–{offset + shown} of {total}'


def new_browser(page: Page, name: str, table: str, page_size: int = PAGE_SIZE) -> Locator:
    """Display a fresh TableBrowser in a new cell and wait for its first page."""
    cell = run_cell(page, f'pxw.TableBrowser({table!r}, page_size={page_size})', name)
    browser = cell.get_by_test_id('pxw-table-browser')
    expect(browser).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(browser.get_by_test_id('pxw-page-info')).to_have_text(re.compile(r'^rows 1–'), timeout=WIDGET_TIMEOUT_MS)
    return browser


def cells(scope: Locator, column: str, kind: str | None = None) -> Locator:
    selector = f'[data-testid="pxw-cell"][data-column="{column}"]'
    return scope.locator(f'{selector}[data-kind="{kind}"]' if kind else selector)


def texts(scope: Locator, column: str) -> list[str]:
    return cells(scope, column).all_inner_texts()


def expect_images_loaded(page: Page, scope: Locator, column: str, n: int) -> None:
    """``n`` image cells in ``column``, each with a decoded ``<img>`` (naturalWidth > 0)."""
    images = cells(scope, column, 'image').locator('img')
    expect(images).to_have_count(n, timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function(
        'imgs => imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)',
        arg=images.element_handles(),
        timeout=WIDGET_TIMEOUT_MS,
    )


def lineage_node(browser: Locator, path: str) -> Locator:
    return browser.locator(f'[data-testid="pxw-lineage-node"][data-path="{path}"]')


def add_filter(browser: Locator, column: str, op: str, value: str | None = None) -> None:
    browser.get_by_test_id('pxw-filter-column').select_option(column)
    browser.get_by_test_id('pxw-filter-op').select_option(op)
    if value is not None:
        browser.get_by_test_id('pxw-filter-value').fill(value)
    browser.get_by_test_id('pxw-filter-add').click()


# ---- the tour ----------------------------------------------------------------------------------------------------


def test_tour_shows_photos_and_unstored_frames(tour: Page) -> None:
    page = tour
    browsers = page.get_by_test_id('pxw-table-browser')
    expect(browsers).to_have_count(2, timeout=WIDGET_TIMEOUT_MS)
    photos, frames = browsers.nth(0), browsers.nth(1)

    n_photos = count(page, 'tour/photos')
    expect(photos.get_by_test_id('pxw-page-info')).to_have_text(page_text(0, PAGE_SIZE, n_photos))
    expect_images_loaded(page, photos.get_by_test_id('pxw-grid'), 'image', PAGE_SIZE)
    expect(photos.get_by_test_id('pxw-tab-errors')).to_contain_text(
        str(count(page, 'tour/photos', 't.blue.errortype != None'))
    )

    # Frames are not stored: Pixeltable decodes them on read, and they still show as images.
    n_frames = count(page, 'tour/frames')
    assert 0 < n_frames <= 25
    expect(frames.get_by_test_id('pxw-page-info')).to_have_text(page_text(0, n_frames, n_frames))
    expect(frames.get_by_test_id('pxw-header-frame')).to_contain_text('unstored')
    expect_images_loaded(page, frames.get_by_test_id('pxw-grid'), 'frame', n_frames)
    expect(cells(frames, 'video', 'video').first.locator('img')).to_be_visible()

    save_screenshot(photos, 'table-browser', publish=True)


# ---- paging, sorting, filtering ----------------------------------------------------------------------------------


def test_paging_forward_and_back(tour: Page) -> None:
    page = tour
    browser = new_browser(page, 'paging', 'tour/photos')
    grid = browser.get_by_test_id('pxw-grid')
    info = browser.get_by_test_id('pxw-page-info')
    total = count(page, 'tour/photos')
    assert total > 2 * PAGE_SIZE

    expect(info).to_have_text(page_text(0, PAGE_SIZE, total))
    expect(browser.get_by_test_id('pxw-prev-page')).to_be_disabled()
    expect_images_loaded(page, grid, 'image', PAGE_SIZE)
    first = texts(grid, 'title')
    assert len(first) == PAGE_SIZE

    browser.get_by_test_id('pxw-next-page').click()
    expect(info).to_have_text(page_text(PAGE_SIZE, PAGE_SIZE, total))
    expect(grid.locator('td.pxw-rownum').first).to_have_text(str(PAGE_SIZE + 1))
    expect_images_loaded(page, grid, 'image', PAGE_SIZE)
    second = texts(grid, 'title')
    assert len(second) == PAGE_SIZE
    assert not set(first) & set(second), 'the second page repeats rows of the first'

    browser.get_by_test_id('pxw-prev-page').click()
    expect(info).to_have_text(page_text(0, PAGE_SIZE, total))
    expect_images_loaded(page, grid, 'image', PAGE_SIZE)
    assert texts(grid, 'title') == first


def test_sort_by_clicking_a_header(tour: Page) -> None:
    page = tour
    browser = new_browser(page, 'sorting', 'tour/photos')
    grid = browser.get_by_test_id('pxw-grid')
    header = browser.get_by_test_id('pxw-header-width')
    ascending, descending = first_widths(page, asc=True), first_widths(page, asc=False)
    assert ascending[0] < descending[0]

    header.get_by_role('button').click()
    expect(header).to_have_attribute('aria-sort', 'ascending')
    expect(cells(grid, 'width')).to_have_text([str(w) for w in ascending])

    header.get_by_role('button').click()
    expect(header).to_have_attribute('aria-sort', 'descending')
    expect(cells(grid, 'width')).to_have_text([str(w) for w in descending])
    # The sort applies to the whole table, not just the page on screen.
    browser.get_by_test_id('pxw-next-page').click()
    expect(browser.get_by_test_id('pxw-page-info')).to_have_text(re.compile(rf'^rows {PAGE_SIZE + 1}–'))
    widths = [int(w) for w in texts(grid, 'width')]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] <= descending[-1]


def test_filters_and_a_refused_filter(tour: Page) -> None:
    page = tour
    browser = new_browser(page, 'filtering', 'tour/photos')
    grid = browser.get_by_test_id('pxw-grid')
    info = browser.get_by_test_id('pxw-page-info')
    error = browser.get_by_test_id('pxw-error')
    total = count(page, 'tour/photos')
    wide = count(page, 'tour/photos', 't.width > 500')
    assert 0 < wide < total

    add_filter(browser, 'width', '>', '500')
    expect(info).to_have_text(page_text(0, min(PAGE_SIZE, wide), wide))
    expect(browser.get_by_test_id('pxw-filter-chip')).to_have_count(1)
    assert all(int(w) > 500 for w in texts(grid, 'width'))
    shown = texts(grid, 'title')

    # A value of the wrong type: the kernel refuses it, the panel says why and keeps the rows it had.
    add_filter(browser, 'width', '==', '2.5')
    expect(error).to_be_visible()
    expect(browser.get_by_test_id('pxw-error-message')).to_contain_text('2.5')
    expect(browser.get_by_test_id('pxw-error-message')).to_contain_text('width')
    expect(info).to_have_text(page_text(0, min(PAGE_SIZE, wide), wide))
    expect(browser.get_by_test_id('pxw-filter-chip')).to_have_count(1)
    assert texts(grid, 'title') == shown

    # No value at all is refused before anything is sent.
    browser.get_by_test_id('pxw-error-dismiss').click()
    expect(error).to_be_hidden()
    add_filter(browser, 'height', '<', '')
    expect(browser.get_by_test_id('pxw-error-message')).to_contain_text('height')
    expect(info).to_have_text(page_text(0, min(PAGE_SIZE, wide), wide))

    browser.get_by_test_id('pxw-filter-remove').click()
    expect(info).to_have_text(page_text(0, PAGE_SIZE, total))
    expect(browser.get_by_test_id('pxw-filter-chip')).to_have_count(0)


# ---- errors, lineage ----------------------------------------------------------------------------------------------


def test_errors_view_lists_failed_rows_with_their_error(tour: Page) -> None:
    page = tour
    browser = new_browser(page, 'errors', 'tour/photos')
    failed_titles = kernel_eval(
        page,
        "t = pxt.get_table('tour/photos')",
        'sorted(t.where(t.blue.errortype != None).select(t.title).collect()["title"])',
    )
    n = len(failed_titles)
    assert 0 < n <= PAGE_SIZE
    expect(browser.get_by_test_id('pxw-tab-errors')).to_contain_text(str(n))

    browser.get_by_test_id('pxw-tab-errors').click()
    errors_grid = browser.get_by_test_id('pxw-errors-grid')
    expect(errors_grid).to_be_visible()
    expect(browser.get_by_test_id('pxw-errors-page-info')).to_have_text(page_text(0, n, n))
    expect(browser.locator('[data-testid="pxw-error-count"][data-column="blue"]')).to_contain_text(str(n))
    failed = cells(errors_grid, 'blue', 'error')
    expect(failed).to_have_count(n)
    expect(failed.locator('.pxw-error-badge')).to_have_text(['ValueError'] * n)
    assert sorted(texts(errors_grid, 'title')) == failed_titles
    # The message is one click away.
    message = failed.first.locator('.pxw-error-msg')
    expect(message).to_be_hidden()
    failed.first.locator('summary').click()
    expect(message).to_be_visible()
    expect(message).to_have_text('band index out of range')
    save_screenshot(browser, 'table-browser-errors', publish=True)

    # "Errors only" narrows the Rows tab to the same rows.
    browser.get_by_test_id('pxw-tab-rows').click()
    browser.get_by_test_id('pxw-errors-only').check()
    expect(browser.get_by_test_id('pxw-page-info')).to_have_text(page_text(0, n, n))
    assert sorted(texts(browser.get_by_test_id('pxw-grid'), 'title')) == failed_titles


def test_lineage_shows_bases_and_views(tour: Page) -> None:
    page = tour
    frames = new_browser(page, 'lineage-frames', 'tour/frames')
    frames.get_by_test_id('pxw-tab-lineage').click()
    nodes = frames.get_by_test_id('pxw-lineage-node')
    expect(nodes).to_have_count(2)
    base, view = lineage_node(frames, 'tour/videos'), lineage_node(frames, 'tour/frames')
    expect(base).to_contain_text('table')
    expect(view).to_contain_text('view')
    expect(view).to_contain_text('frame_iterator')
    expect(view).to_have_attribute('aria-current', 'true')
    expect(view).to_contain_text(f'{count(page, "tour/frames")} rows')
    save_screenshot(frames, 'table-browser-lineage', publish=True)

    photos = new_browser(page, 'lineage-photos', 'tour/photos')
    photos.get_by_test_id('pxw-tab-lineage').click()
    nodes = photos.get_by_test_id('pxw-lineage-node')
    expect(nodes).to_have_count(2)
    expect(lineage_node(photos, 'tour/photos')).to_have_attribute('aria-current', 'true')
    filtered = lineage_node(photos, 'tour/color_photos')
    expect(filtered).to_contain_text("mode == 'RGB'")
    # A click opens the view in the same panel.
    filtered.click()
    photos.get_by_test_id('pxw-tab-rows').click()
    n_color = count(page, 'tour/color_photos')
    expect(photos.get_by_test_id('pxw-page-info')).to_have_text(page_text(0, PAGE_SIZE, n_color))
    assert set(texts(photos.get_by_test_id('pxw-grid'), 'mode')) == {'RGB'}


# ---- untrusted data --------------------------------------------------------------------------------------------------


def test_markup_in_data_is_shown_as_text(tour: Page) -> None:
    page = tour
    browser = new_browser(page, 'markup', 'tour/photos')
    grid = browser.get_by_test_id('pxw-grid')
    add_filter(browser, 'title', 'contains', 'onerror')
    expect(browser.get_by_test_id('pxw-page-info')).to_have_text(page_text(0, 1, 1))
    title = cells(grid, 'title')
    expect(title).to_have_count(1)
    expect(title).to_have_attribute('data-kind', 'text')
    assert title.text_content() == MARKUP
    assert title.locator('img, script').count() == 0
    assert grid.locator('img[src="x"], script').count() == 0
    assert page.evaluate('() => typeof window.__pwned') == 'undefined'
