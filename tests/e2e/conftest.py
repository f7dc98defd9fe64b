"""Fixtures for the real-browser tests: Debian's Chromium through pytest-playwright, a throwaway JupyterLab.

- ``browser_type_launch_args``: pytest-playwright launches ``/usr/bin/chromium`` (``playwright install`` cannot
  download a browser here).
- ``widget_bundles``: builds ``pxwidgets/static/*.js`` with ``npm run build`` when missing or older than ``js/``.
- ``jupyter_lab``: one JupyterLab server per test session (see :mod:`tests.e2e.lab`); kernels inherit the
  environment that the root ``conftest.py`` set up (temporary ``PIXELTABLE_HOME`` and friends).
- ``shared_page`` / ``lab_page``: one browser page per test module (opening a notebook and running it once is the
  slow part), with a screenshot and, with ``--tracing``, a trace of each failing test in ``--output``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `tests.e2e.lab`, whatever the import mode

from tests.e2e.lab import (
    NOTEBOOKS,
    SCREENSHOTS,
    LabServer,
    build_bundles,
    bundle_is_stale,
)

expect.set_options(timeout=15_000)  # generous: a page of thumbnails on a busy 2-core machine

CHROMIUM = Path(os.environ.get('PXW_CHROMIUM', '/usr/bin/chromium'))
VIEWPORT = {'width': 1400, 'height': 1000}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def _failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


# ---- browser -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip(f'{CHROMIUM} is missing: apt-get install chromium (./scripts/dev.sh setup does it)')
    args = ['--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
    return {
        **browser_type_launch_args,
        'executable_path': str(CHROMIUM),
        'args': [*browser_type_launch_args.get('args', []), *args],
    }


@pytest.fixture(scope='session')
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, 'viewport': VIEWPORT, 'device_scale_factor': 1}


# ---- JupyterLab --------------------------------------------------------------------------------------------------


@pytest.fixture(scope='session')
def widget_bundles() -> None:
    """The panels' JavaScript bundles, built if missing or stale."""
    if bundle_is_stale():
        build_bundles()


@pytest.fixture(scope='session')
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory, widget_bundles: None) -> Iterator[LabServer]:
    """A JupyterLab server whose root holds a copy of every notebook under notebooks/."""
    lab = LabServer.start(tmp_path_factory.mktemp('jupyterlab'), sorted(NOTEBOOKS.glob('*.ipynb')))
    try:
        yield lab
    finally:
        lab.shutdown_kernels()
        lab.stop()


@pytest.fixture(scope='module')
def shared_context(
    browser: Browser, browser_context_args: dict[str, Any], pytestconfig: pytest.Config
) -> Iterator[BrowserContext]:
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(30_000)
    if pytestconfig.getoption('--tracing', 'off') != 'off':
        context.tracing.start(screenshots=True, snapshots=True, sources=False)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope='module')
def shared_page(shared_context: BrowserContext) -> Page:
    """One page for a whole module: set it up once (open and run a notebook) in a module fixture of your own."""
    return shared_context.new_page()


@pytest.fixture
def lab_page(
    shared_page: Page, shared_context: BrowserContext, request: pytest.FixtureRequest, pytestconfig: pytest.Config
) -> Iterator[Page]:
    """The module's page, for one test; keeps a screenshot (and a trace with ``--tracing``) when the test fails."""
    tracing = pytestconfig.getoption('--tracing', 'off')
    if tracing != 'off':
        shared_context.tracing.start_chunk(title=request.node.nodeid)
    yield shared_page
    failed = _failed(request.node)
    name = request.node.name.replace('/', '_')
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            shared_page.screenshot(path=str(SCREENSHOTS / f'FAILED-{name}.png'), full_page=True)
        except Exception as exc:  # the page may be gone; the test's own error matters more
            print(f'could not save a failure screenshot: {exc}')
    if tracing != 'off':
        keep = tracing == 'on' or (failed and tracing == 'retain-on-failure')
        if keep:
            out = Path(str(pytestconfig.getoption('--output'))) / f'{name}-trace.zip'
            out.parent.mkdir(parents=True, exist_ok=True)
            shared_context.tracing.stop_chunk(path=str(out))
        else:
            shared_context.tracing.stop_chunk()
