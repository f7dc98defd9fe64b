"""Protocol-test fixtures: ``recorder`` keeps a panel's real replies for the JS harness (tests/support/recording.py).

Re-record every scenario after changing what a panel answers::

    PXW_RECORD=1 python -m pytest tests/protocol -p no:cacheprovider
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from pxwidgets.panels.base import Panel
from tests.support.recording import Recording


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    if report.when == 'call':
        item.stash[_PASSED] = report.passed
    return report


_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Iterator[Callable[..., Recording]]:
    """``recorder(panel, scenario, writes=(...))`` records what ``panel`` answers during the test; at its end the
    recording is written (``PXW_RECORD=1``) or checked against the committed one."""
    made: list[Recording] = []

    def start(panel: Panel, scenario: str = 'main', **kwargs: Any) -> Recording:
        rec = Recording(panel, scenario, **kwargs)
        made.append(rec)
        return rec

    yield start
    if not request.node.stash.get(_PASSED, False):
        return  # a failing scenario is neither written nor compared
    for rec in made:
        rec.finish()
