"""Fixtures for the JavaScript harness tests: a fresh bundle, Debian's Chromium, the harness page."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from pxw_harness import ENTRIES, ROOT, STATIC, Harness

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'


def _newest_source() -> float:
    sources = [p for p in (ROOT / 'js').rglob('*') if p.suffix in ('.ts', '.css', '.mjs')]
    return max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope='session')
def bundle() -> Path:
    """pxwidgets/static/, built with ``npm run build`` when the bundle is missing or older than its sources."""
    target = STATIC / 'table_browser.js'
    if not target.exists() or target.stat().st_mtime < _newest_source():
        npm = shutil.which('npm')
        if npm is None:
            pytest.skip('npm is not installed: cannot build the JavaScript bundle')
        done = subprocess.run([npm, 'run', 'build'], cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f'npm run build failed:\n{done.stdout}\n{done.stderr}'
    missing = [f'{name}{ext}' for name in ENTRIES for ext in ('.js', '.css') if not (STATIC / f'{name}{ext}').exists()]
    assert not missing, f'the bundle lacks {missing}'
    return STATIC


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's Chromium (Playwright's own download does not work here)."""
    if not Path(CHROMIUM).exists():
        pytest.skip('Chromium is not installed (apt-get install chromium)')
    return {**browser_type_launch_args, 'executable_path': CHROMIUM}


@pytest.fixture
def harness(page: Page, bundle: Path) -> Iterator[Harness]:
    """The harness page (open a panel with ``harness.open()`` or ``harness.goto(entry)``); fails the test on any
    uncaught page error."""
    h = Harness(page)
    yield h
    assert not h.errors, f'uncaught errors in the page: {h.errors}'
    unrecorded = h.unrecorded() if h.entry else []
    assert not unrecorded, (
        'the panel sent requests the recording has no reply for (add them to the scenario in tests/protocol and '
        f're-record with PXW_RECORD=1 python -m pytest tests/protocol): {unrecorded}'
    )
    problems = h.contract_problems()
    assert not problems, 'the fake kernel answered what the real panel never sends:\n' + '\n'.join(problems[:20])
