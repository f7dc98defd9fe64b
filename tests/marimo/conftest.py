"""Fixtures for the marimo browser tests: one ``marimo edit`` server and one page for the whole session.

Debian's Chromium, the widget bundles and the per-test failure screenshot and trace (``lab_page``) are the e2e tests'
own fixtures (:mod:`tests.e2e.conftest`), imported here. Running the tour takes a minute or two; every test then
clicks in the panels the same page shows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `tests.e2e`, whatever the import mode

from tests.e2e.conftest import (  # fixtures shared with the JupyterLab tests
    browser_context_args,
    browser_type_launch_args,
    lab_page,
    pytest_runtest_makereport,
    shared_context,
    shared_page,
    widget_bundles,
)
from tests.e2e.lab import NOTEBOOKS, save_screenshot
from tests.marimo.server import MarimoServer

__all__ = [
    'browser_context_args',
    'browser_type_launch_args',
    'lab_page',
    'pytest_runtest_makereport',
    'shared_context',
    'shared_page',
    'widget_bundles',
]

TOUR = NOTEBOOKS / 'marimo_tour.py'
PANELS = [
    'pxw-table-browser',
    'pxw-stage-builder',
    'pxw-consensus-grid',
    'pxw-cascade-search',
    'pxw-drift-dashboard',
    'pxw-experiment-timeline',
]
"""The data-testid of each panel's root, in the order of the tour."""
RUN_TIMEOUT_MS = 300_000
"""Building the tour's tables on a busy 2-core machine (about 90 s when it is not busy)."""


@pytest.fixture(scope='session')
def marimo_server(tmp_path_factory: pytest.TempPathFactory, widget_bundles: None) -> Iterator[MarimoServer]:
    """``marimo edit`` on a copy of notebooks/marimo_tour.py, its kernel on a Pixeltable home of its own."""
    server = MarimoServer.start_notebook(tmp_path_factory.mktemp('marimo'), TOUR)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def browser_errors() -> list[str]:
    """Uncaught errors of the tour's page (filled as they happen)."""
    return []


@pytest.fixture(scope='module')
def tour(marimo_server: MarimoServer, shared_page: Page, browser_errors: list[str]) -> Page:
    """The tour, opened once: every cell has run and all six panels are on the page.

    The page is opened a second time once the kernel is idle (marimo resumes the same session): while the later cells
    build their tables, the kernel answers no widget messages, and on a busy machine that takes longer than a panel
    waits for its first reply (60 s).
    """
    page = shared_page
    page.on('pageerror', lambda exc: browser_errors.append(str(exc)))
    try:
        for _ in range(2):
            page.goto(marimo_server.url)
            for testid in PANELS:
                expect(page.get_by_test_id(testid)).to_have_count(1, timeout=RUN_TIMEOUT_MS)
            page.wait_for_function(
                '() => document.querySelectorAll(\'[data-status="running"], [data-status="queued"]\').length === 0',
                timeout=RUN_TIMEOUT_MS,
            )
    except BaseException:
        save_screenshot(page, 'FAILED-marimo-setup')
        print(f'marimo log:\n{marimo_server.log_tail()}')
        print(f'errors the cells show:\n{cell_errors(page)}')
        raise
    return page


def cell_errors(page: Page) -> str:
    """The lines of the page that name an error (a cell's traceback is shown in its output, not in the server log)."""
    try:
        text = page.locator('body').inner_text(timeout=5_000)
    except Exception as exc:  # the page itself is gone
        return f'(page unreadable: {exc})'
    lines = [line for line in text.splitlines() if 'Error' in line or 'Traceback' in line]
    return '\n'.join(lines[:40]) or '(none)'
