"""All six panels in a real marimo notebook (``marimo edit``, Chromium): notebooks/marimo_tour.py, clicked as a user
would.

The tour builds its own small tables and shows each panel with ``mo.ui.anywidget(panel)``; cells under some panels
read the panel's state (``panel.value``) and compute facts in Python, so that when a click changes that state, marimo
re-runs them and the page shows what the kernel says. The tests compare the panel with those facts: a click that did
not reach the kernel, or a reply that did not reach the panel (thumbnails travel as binary buffers, which marimo
carries as base64), fails them. Each test saves a screenshot of its whole panel (``marimo-<panel>.png``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import KERNEL_TIMEOUT_MS, WIDGET_TIMEOUT_MS, publish_panel_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.marimo]

QUERY = 'what happens when an exception is raised in the try clause'  # as in the tour's own search cell


UNCLIP = """(root) => {
  // marimo edit shows at most 610 px of a cell's output and scrolls the rest (.output-area): open up every box
  // between the panel and the page that limits its height (across the widget's shadow root), remembering how it was
  const opened = [];
  for (let n = root.parentElement ?? root.getRootNode().host; n && n !== document.body;
       n = n.parentElement ?? n.getRootNode().host) {
    if (getComputedStyle(n).maxHeight === 'none') continue;
    opened.push([n, n.style.maxHeight, n.style.overflow]);
    n.style.maxHeight = 'none';
    n.style.overflow = 'visible';
  }
  window.__pxwOpened = opened;
  return opened.length;
}"""
CLIP_AGAIN = """() => {
  for (const [n, maxHeight, overflow] of window.__pxwOpened ?? []) {
    n.style.maxHeight = maxHeight;
    n.style.overflow = overflow;
  }
  window.__pxwOpened = [];
}"""


def shot(root: Locator, name: str) -> None:
    """The whole panel, for the README (``marimo-<panel>.png``): marimo scrolls a tall output inside its cell, so the
    cell's output box is opened up (and the window grown) for the picture only."""
    root.evaluate(UNCLIP)
    try:
        publish_panel_screenshot(root, name)
    finally:
        root.page.evaluate(CLIP_AGAIN)


def panel(page: Page, testid: str) -> Locator:
    root = page.get_by_test_id(testid)
    root.scroll_into_view_if_needed()
    return root


def facts(page: Page, testid: str) -> Locator:
    """A paragraph that a cell of the tour computes in Python from the panel's state."""
    return page.get_by_test_id(testid)


def expect_images_loaded(page: Page, images: Locator, n: int) -> None:
    """``n`` images, each decoded (naturalWidth > 0): their bytes arrived as a message's buffers."""
    expect(images).to_have_count(n, timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function(
        'imgs => imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)',
        arg=images.element_handles(),
        timeout=WIDGET_TIMEOUT_MS,
    )


def image_cells(scope: Locator, column: str) -> Locator:
    return scope.locator(f'[data-testid="pxw-cell"][data-column="{column}"][data-kind="image"] img')


def test_table_browser_pages_with_thumbnails(tour: Page, lab_page: Page) -> None:
    page = lab_page
    browser = panel(page, 'pxw-table-browser')
    info = browser.get_by_test_id('pxw-page-info')
    expect(info).to_have_text('rows 1–10 of 12', timeout=WIDGET_TIMEOUT_MS)
    grid = browser.get_by_test_id('pxw-grid')
    expect_images_loaded(page, image_cells(grid, 'image'), 10)
    first = grid.locator('[data-testid="pxw-cell"][data-column="title"]').all_inner_texts()
    shot(browser, 'marimo-table-browser')

    browser.get_by_test_id('pxw-next-page').click()
    expect(info).to_have_text('rows 11–12 of 12')
    expect_images_loaded(page, image_cells(grid, 'image'), 2)
    assert not set(first) & set(grid.locator('[data-testid="pxw-cell"][data-column="title"]').all_inner_texts())
    browser.get_by_test_id('pxw-prev-page').click()
    expect(info).to_have_text('rows 1–10 of 12')


def test_stage_builder_shows_a_stage_and_adds_one_by_click(tour: Page, lab_page: Page) -> None:
    page = lab_page
    builder = panel(page, 'pxw-stage-builder')
    said = facts(page, 'mo-stage-facts')

    def node(name: str) -> Locator:
        return builder.locator(f'[data-testid="pxw-stage-node"][data-stage="{name}"]')

    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(4, timeout=WIDGET_TIMEOUT_MS)
    expect(said).to_contain_text('Stages in Python: videos, frames, faces, n_faces.')

    # a click selects a stage: its rows (frames with the faces drawn over them), and the selection reaches Python
    node('faces').click()
    expect(node('faces')).to_have_attribute('aria-selected', 'true')
    expect(said).to_contain_text('Selected in the panel: faces (4 rows).', timeout=KERNEL_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-page-info')).to_have_text('rows 1–4 of 4')
    expect_images_loaded(page, image_cells(builder.get_by_test_id('pxw-grid'), 'frame'), 4)
    expect(builder.get_by_test_id('pxw-overlay-box').first).to_be_visible()
    shot(builder, 'marimo-stage-builder')

    # "+" on frames: a new stage from the form, added with progress, then in the graph, selected, and in Python
    node('frames').get_by_test_id('pxw-stage-add').click()
    expect(builder.get_by_test_id('pxw-after-select')).to_have_value('frames')
    select = builder.get_by_test_id('pxw-transform-select')
    expect(select).to_be_enabled(timeout=WIDGET_TIMEOUT_MS)
    select.select_option('detect_eyes')
    builder.get_by_test_id('pxw-stage-name').fill('eyes')
    builder.get_by_test_id('pxw-add-stage').click()
    expect(node('eyes')).to_have_attribute('aria-selected', 'true', timeout=KERNEL_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(5)
    expect(builder.get_by_test_id('pxw-error')).to_be_hidden()
    # The kernel selected the new stage itself: marimo re-runs cells on changes made in the page only, so the
    # facts follow the next clicks.
    node('frames').click()
    expect(said).to_contain_text('Selected in the panel: frames (4 rows).', timeout=KERNEL_TIMEOUT_MS)
    node('eyes').click()
    expect(said).to_contain_text('Selected in the panel: eyes (4 rows).', timeout=KERNEL_TIMEOUT_MS)
    expect(said).to_contain_text('Stages in Python: videos, frames, faces, n_faces, eyes.')
    shot(builder, 'marimo-stage-builder-added')


def test_consensus_grid_filters_to_disagreements_and_opens_a_row(tour: Page, lab_page: Page) -> None:
    page = lab_page
    grid = panel(page, 'pxw-consensus-grid')
    said = facts(page, 'mo-consensus-facts')
    rows = grid.get_by_test_id('pxw-cg-grid').locator('tbody tr.pxw-cg-row')
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text('of 120', timeout=WIDGET_TIMEOUT_MS)
    expect(said).to_contain_text('Filter all: 120 rows')

    grid.get_by_test_id('pxw-cg-filter').select_option('disagreements')
    expect(said).to_contain_text('Filter disagreements:', timeout=KERNEL_TIMEOUT_MS)
    match = re.search(r'Filter disagreements: (\d+) rows', said.inner_text())
    assert match, said.inner_text()
    n = int(match.group(1))
    assert 0 < n < 120
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text(f'of {n} ')
    expect(rows).to_have_count(min(n, 25))
    expect(rows.first.locator('.pxw-cg-dissent').first).to_be_visible()
    expect_images_loaded(page, rows.locator('img'), min(n, 25))

    rows.first.click()
    expect(grid.get_by_test_id('pxw-cg-detail')).to_be_visible()
    expect_images_loaded(page, grid.get_by_test_id('pxw-cg-large-img'), 1)
    shot(grid, 'marimo-consensus-grid')


def test_cascade_search_finds_at_every_level_and_drills(tour: Page, lab_page: Page) -> None:
    page = lab_page
    search = panel(page, 'pxw-cascade-search')
    expect(search.get_by_test_id('pxw-cs-doc-count')).to_have_text('4 documents', timeout=WIDGET_TIMEOUT_MS)
    search.get_by_test_id('pxw-cs-query').fill(QUERY)
    search.get_by_test_id('pxw-cs-query').press('Enter')
    for level in ('sections', 'paragraphs', 'sentences'):
        hits = search.get_by_test_id(f'pxw-cs-level-{level}').get_by_test_id('pxw-cs-hit')
        expect(hits).to_have_count(3, timeout=KERNEL_TIMEOUT_MS)
    # the fused list is the one Python computes for the same query (a cell of the tour shows it)
    python = page.get_by_test_id('mo-cascade-hit').evaluate_all('els => els.map((e) => e.dataset.id)')
    fused = search.get_by_test_id('pxw-cs-fused').get_by_test_id('pxw-cs-hit')
    assert python and fused.evaluate_all('els => els.map((e) => e.dataset.id)') == python
    expect(search.get_by_test_id('pxw-cs-context').get_by_test_id('pxw-cs-mark-best')).not_to_be_empty()

    search.get_by_test_id('pxw-cs-level-sections').get_by_test_id('pxw-cs-hit').first.click()
    drill = search.get_by_test_id('pxw-cs-drill')
    expect(drill).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(drill.get_by_test_id('pxw-cs-hit').first).to_be_visible()
    shot(search, 'marimo-cascade-search')


def test_drift_dashboard_tabs_and_a_window(tour: Page, lab_page: Page) -> None:
    page = lab_page
    dashboard = panel(page, 'pxw-drift-dashboard')
    said = facts(page, 'mo-drift-facts')
    count = dashboard.get_by_test_id('pxw-dd-count')
    expect(count).to_have_text(re.compile(r'^\d+ windows$'), timeout=WIDGET_TIMEOUT_MS)
    expect(dashboard.get_by_test_id('pxw-dd-metrics-chart')).to_have_attribute('data-traces', re.compile(r'^[1-9]'))
    expect(dashboard.get_by_test_id('pxw-dd-alert-count')).to_have_text(re.compile(r'^[1-9]\d* alerts?$'))
    shot(dashboard, 'marimo-drift-dashboard')

    dashboard.get_by_test_id('pxw-tab-windows').click()
    expect(dashboard.get_by_test_id('pxw-tab-windows')).to_have_attribute('aria-selected', 'true')
    window = dashboard.locator('[data-testid^="pxw-dd-window-"]').last
    bucket = (window.get_attribute('data-testid') or '').rsplit('-', 1)[-1]
    window.click()
    expect(said).to_contain_text('accuracy', timeout=KERNEL_TIMEOUT_MS)
    match = re.search(r'accuracy (\d\.\d{3}) over (\d+) labels', said.inner_text())
    assert match, said.inner_text()
    expect(dashboard.get_by_test_id('pxw-dd-detail-title')).to_contain_text(f'{match.group(2)} labeled')
    expect(dashboard.get_by_test_id(f'pxw-dd-accuracy-{bucket}')).to_have_text(match.group(1))
    expect(dashboard.get_by_test_id('pxw-dd-confusion-chart')).to_have_attribute('data-traces', '1')
    shot(dashboard, 'marimo-drift-dashboard-window')


def test_experiment_timeline_compares_two_picked_runs(tour: Page, lab_page: Page) -> None:
    page = lab_page
    timeline = panel(page, 'pxw-experiment-timeline')
    said = facts(page, 'mo-timeline-facts')
    expect(timeline.get_by_test_id('pxw-et-latest')).to_have_text('latest v3', timeout=WIDGET_TIMEOUT_MS)
    expect(timeline.get_by_test_id('pxw-et-chart').locator('.scatterlayer .point')).to_have_count(3)
    expect(said).to_contain_text('Pick two runs')

    timeline.get_by_test_id('pxw-et-pick-1').check()
    timeline.get_by_test_id('pxw-et-pick-3').check()
    timeline.get_by_test_id('pxw-et-compare').click()
    expect(timeline.get_by_test_id('pxw-tab-compare')).to_have_attribute('aria-selected', 'true')
    expect(said).to_contain_text('v1 → v3: faces', timeout=KERNEL_TIMEOUT_MS)
    match = re.search(r'faces ([+-]\d+)', said.inner_text())
    assert match, said.inner_text()
    expect(timeline.get_by_test_id('pxw-et-delta-faces')).to_contain_text(match.group(1))
    rows = timeline.get_by_test_id('pxw-et-diff-row')
    expect(rows.first).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect_images_loaded(page, timeline.locator('td[data-column="image"] img'), rows.count())
    shot(timeline, 'marimo-experiment-timeline')


def test_no_uncaught_errors_in_the_page(tour: Page, browser_errors: list[str]) -> None:
    assert browser_errors == []
