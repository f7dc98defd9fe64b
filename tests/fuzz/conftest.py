"""The fuzz suite's catalog: every pattern on a few rows (``tests/support/catalog.py``), built once per session,
and one panel of each kind on it (ExperimentTimeline twice: over an experiment and over a plain table)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

from tests.support.catalog import Catalog, build_catalog


@pytest.fixture(scope='session')
def small_catalog(pxt_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    catalog = build_catalog(f'fuzz_{uuid.uuid4().hex[:8]}', tmp_path_factory.mktemp('fuzz-media'))
    yield catalog
    pxt.drop_dir(catalog.root, force=True, if_not_exists='ignore')


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz.strategies import FIGURES

    if FIGURES:
        total = sum(n for n, _ in FIGURES.values())
        served = sum(s for _, s in FIGURES.values())
        terminalreporter.write_line(
            f'fuzz: {len(FIGURES)} panel commands, {total} examples, {served} served, {total - served} refused'
        )
        for name, (n, s) in sorted(FIGURES.items()):
            terminalreporter.write_line(f'  {name}: {n} examples, {s} served')
