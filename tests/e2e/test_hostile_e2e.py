"""Hostile data in a real JupyterLab with Chromium: the shared small catalog (``tests/support/catalog.py``) built with
every human-readable text — titles, labels, headings, paragraphs, run parameters, metric names, error messages, file
names — turned into a script or markup string. All six panels and the PatternHub open on it; the test clicks into
what shows those texts (a stage, a row, a search, a window, a run) and asserts that nothing ran
(``window.__pwned`` stays undefined, no element carries an injected handler) and that the markup shows as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import REPO, WIDGET_TIMEOUT_MS, LabServer, run_cell, save_screenshot, setup_notebook

pytestmark = pytest.mark.e2e

NOTEBOOK = 'hostile_e2e.ipynb'
DIR = 'hostile_e2e'
PAYLOADS = (
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=1</script>',
    '"><svg onload=window.__pwned=1>',
)
ANY_PAYLOAD = re.compile('|'.join(re.escape(p) for p in PAYLOADS))

SETUP = f"""\
import tempfile
from pathlib import Path

import pixeltable as pxt
import pxwidgets as pxw
from tests.support.catalog import build_catalog

PAYLOADS = {PAYLOADS!r}


def hostile(s):
    return PAYLOADS[sum(map(ord, s)) % len(PAYLOADS)] + s


pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
catalog = build_catalog({DIR!r}, Path(tempfile.mkdtemp()), text=hostile)
"""


@pytest.fixture(scope='module')
def hostile_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    tests_link = jupyter_lab.root / 'tests'  # the kernel imports tests.support
    if not tests_link.exists():
        tests_link.symlink_to(REPO / 'tests', target_is_directory=True)
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='hostile')
    yield page
    jupyter_lab.shutdown_kernels()


def assert_nothing_ran(page: Page) -> None:
    """No payload executed and none became a live element or handler anywhere in the page."""
    state: dict[str, Any] = page.evaluate(
        """() => ({
          pwned: typeof window.__pwned,
          handlers: [...document.querySelectorAll('[onerror],[onload]')]
            .filter((e) => (e.getAttribute('onerror') || e.getAttribute('onload') || '').includes('__pwned')).length,
          scripts: [...document.querySelectorAll('script')].filter((e) => e.textContent.includes('__pwned')).length,
        })"""
    )
    assert state == {'pwned': 'undefined', 'handlers': 0, 'scripts': 0}


def shows_markup_as_text(panel: Locator) -> None:
    """The panel's text holds at least one payload literally (so it was rendered as text, not parsed)."""
    expect(panel).to_contain_text(ANY_PAYLOAD, timeout=WIDGET_TIMEOUT_MS)


def test_hostile_texts_show_as_text_and_never_run(hostile_notebook: Page, lab_page: Page) -> None:
    page = lab_page

    # TableBrowser: titles, JSON keys and values, file names, error messages
    cell = run_cell(page, 'pxw.TableBrowser(catalog.mixed, page_size=6)', 'browser')
    browser = cell.get_by_test_id('pxw-table-browser')
    expect(browser.get_by_test_id('pxw-grid')).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    shows_markup_as_text(browser)
    browser.get_by_test_id('pxw-tab-errors').click()
    failed = browser.get_by_test_id('pxw-errors-grid').locator('details.pxw-cell-error').first
    failed.locator('summary').click(timeout=WIDGET_TIMEOUT_MS)
    expect(failed.locator('.pxw-error-msg')).to_have_text(ANY_PAYLOAD)  # the message is the row's hostile title

    # StageBuilder: the rows of a stage (titles, file names)
    cell = run_cell(page, 'pxw.StageBuilder(catalog.photos)', 'builder')
    builder = cell.get_by_test_id('pxw-stage-builder')
    builder.locator('[data-testid="pxw-stage-node"][data-stage="small"]').click(timeout=WIDGET_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('small', timeout=WIDGET_TIMEOUT_MS)
    shows_markup_as_text(builder)

    # ConsensusGrid: labels in rows, the detail of a row
    cell = run_cell(page, 'pxw.ConsensusGrid(catalog.digits)', 'grid')
    grid = cell.get_by_test_id('pxw-consensus-grid')
    row = grid.locator('[data-testid="pxw-cg-grid"] tbody tr.pxw-cg-row').first
    row.click(timeout=WIDGET_TIMEOUT_MS)
    expect(grid.get_by_test_id('pxw-cg-detail')).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    shows_markup_as_text(grid)

    # CascadeSearch: a search whose query is itself markup; hits and context are hostile headings and sentences
    cell = run_cell(page, 'pxw.CascadeSearch(catalog.cascade, k=3)', 'cascade')
    search = cell.get_by_test_id('pxw-cascade-search')
    search.get_by_test_id('pxw-cs-query').fill(f'{PAYLOADS[1]} for loop')
    search.get_by_test_id('pxw-cs-search').click()
    expect(search.get_by_test_id('pxw-cs-hit').first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    search.get_by_test_id('pxw-cs-hit').first.click()
    shows_markup_as_text(search)

    # DriftDashboard: labels of the windows and their confusion matrix
    cell = run_cell(page, 'pxw.DriftDashboard(catalog.preds, auto_refresh=False)', 'dashboard')
    dashboard = cell.get_by_test_id('pxw-drift-dashboard')
    dashboard.get_by_test_id('pxw-tab-windows').click(timeout=WIDGET_TIMEOUT_MS)
    dashboard.locator('tr[data-testid^="pxw-dd-window-"]').first.click(timeout=WIDGET_TIMEOUT_MS)
    expect(dashboard.get_by_test_id('pxw-dd-detail-title')).to_contain_text('labeled', timeout=WIDGET_TIMEOUT_MS)
    shows_markup_as_text(dashboard)

    # ExperimentTimeline: run parameters and metric names, two runs compared
    cell = run_cell(page, 'pxw.ExperimentTimeline(catalog.experiment)', 'timeline')
    timeline = cell.get_by_test_id('pxw-experiment-timeline')
    expect(timeline.get_by_test_id('pxw-et-chart')).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    shows_markup_as_text(timeline)

    # PatternHub: every pattern's summary (level, model and stage names); one opened inside it
    cell = run_cell(page, f'pxw.PatternHub({DIR!r}, poll_seconds=60)', 'hub')
    hub = cell.get_by_test_id('pxw-pattern-hub')
    expect(hub.get_by_test_id('pxw-hub-pattern').first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    hub.locator('[data-testid="pxw-hub-pattern"][data-kind="consensus"]').get_by_test_id('pxw-hub-open').click()
    expect(hub.locator('[data-testid="pxw-hub-child"] tbody tr.pxw-cg-row').first).to_be_visible(
        timeout=WIDGET_TIMEOUT_MS
    )
    shows_markup_as_text(hub)

    assert_nothing_ran(page)
    page.mouse.move(0, 0)
    save_screenshot(page, 'hostile')
