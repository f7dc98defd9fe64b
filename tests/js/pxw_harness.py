"""A page that renders a panel bundle over a fake anywidget model, served to Chromium through ``page.route``.

``harness/index.html?entry=NAME`` renders ``static/NAME.js`` over a fake model built on ``harness/fake_anywidget.js``.
With ``replay=SCENARIO`` (``Harness.replay``; the only kind for the four newer panels) the fake is
``harness/replay.js``: it answers every request with the reply the real Python panel gave to the same request, as
recorded by the protocol tests into ``recordings/NAME.json`` (re-record with ``PXW_RECORD=1 python -m pytest
tests/protocol``); a request with no recorded reply fails the test. The TableBrowser and the StageBuilder also have
hand-written fakes (``harness/fake_model.js``, ``harness/stage_builder_fake.js``) for what a recording cannot stage:
hostile strings, a 50-stage graph, held replies. Tests drive the panel with real clicks and read what it sent from
``window.__fake``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from playwright.sync_api import Locator, Page, Route, expect

from pxwidgets.panels import PANELS

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / 'pxwidgets' / 'static'
HARNESS = Path(__file__).resolve().parent / 'harness'
RECORDINGS = Path(__file__).resolve().parent / 'recordings'
BASE = 'http://pxw.test'
SCREENSHOTS = ROOT / 'test-results' / 'screenshots'
ENTRIES = tuple(module.rsplit('.', 1)[-1] for module in PANELS.values())  # one bundle per panel


def _serve(route: Route) -> None:
    path = urlparse(route.request.url).path
    if path in ('/', '/index.html'):
        path = '/harness/index.html'
    for prefix, folder in (('/static/', STATIC), ('/harness/', HARNESS), ('/recordings/', RECORDINGS)):
        if path.startswith(prefix):
            file = (folder / path[len(prefix) :]).resolve()
            if file.is_file() and folder.resolve() in file.parents:
                route.fulfill(path=file)
                return
    route.fulfill(status=404, body=f'not found: {path}')


def recorded(
    entry: str, kind: str, request: dict[str, Any] | None = None, *, epoch: int | None = None, scenario: str = 'main'
) -> dict[str, Any]:
    """The recorded entry of ``entry``'s recording answering ``kind`` with ``request`` (in ``epoch``; else the last
    one): what the real panel replied, to compare with what the harness page shows."""
    import json

    entries = json.loads((RECORDINGS / f'{entry}.json').read_text())[scenario]['entries']
    found = [
        e
        for e in entries
        if e['kind'] == kind and (request is None or e['request'] == request) and epoch in (None, e['epoch'])
    ]
    assert found, f'{entry}.json:{scenario} has no {kind} {request}'
    return dict(found[-1])


class Harness:
    """One harness page: open it, then click around and inspect what the panel sent."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.entry = ''

        self.errors: list[str] = []
        page.on('pageerror', lambda exc: self.errors.append(str(exc)))
        page.route(f'{BASE}/**', _serve)

    def goto(self, entry: str, *, width: int = 1280, height: int = 900, **params: str | int) -> Harness:
        """Load the harness page for ``entry`` with query ``params`` and wait until the panel has rendered."""
        self.page.set_viewport_size({'width': width, 'height': height})
        self.entry = entry
        self.page.goto(f'{BASE}/?{urlencode({"entry": entry, **params})}')
        self.page.wait_for_function('window.__ready || window.__harnessError', timeout=10_000)
        problem = self.page.evaluate('window.__harnessError || null')
        assert problem is None, problem
        return self

    def replay(self, entry: str, scenario: str = 'main', *, theme: str = 'light') -> Harness:
        """Load ``entry`` over the replies recorded from the real panel (scenario ``scenario`` of its recording)."""
        return self.goto(entry, replay=scenario, theme=theme)

    def shows_recorded_error(self, kind: str, count: int = 1, *, code: str) -> dict[str, Any]:
        """Wait for the ``count``-th ``kind`` request, check that the real panel refused it with ``code`` and that the
        error area shows the kernel's message; return the recorded error."""
        sent = self.wait_requests(kind, count)
        error = recorded(self.entry, kind, sent)['error']
        assert error['code'] == code, error
        expect(self.by_id('pxw-error-message')).to_have_text(error['message'])
        return dict(error)

    def unrecorded(self) -> list[dict[str, Any]]:
        """The requests the replayed recording had no reply for (each one fails the test)."""
        return list(self.page.evaluate('window.__fake && window.__fake.unrecorded || []'))

    def open(self, *, theme: str = 'light', page_size: int = 10, fail: str = '') -> Harness:
        """Load the TableBrowser; ``fail`` names requests (comma-separated) whose first call gets an error reply."""
        self.goto('table_browser', theme=theme, page_size=page_size, fail=fail)
        self.rows().first.wait_for()
        return self

    # ---- reading the page ----------------------------------------------------------------------------------------

    def by_id(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def rows(self, grid: str = 'pxw-grid') -> Locator:
        return self.page.locator(f'[data-testid="{grid}"] tbody tr')

    def cell(self, row: int, column: str, grid: str = 'pxw-grid') -> Locator:
        return self.rows(grid).nth(row).locator(f'[data-testid="pxw-cell"][data-column="{column}"]')

    def column_values(self, column: str, grid: str = 'pxw-grid') -> list[str]:
        cells = f'[data-testid="{grid}"] [data-testid="pxw-cell"][data-column="{column}"]'
        return self.page.locator(cells).all_inner_texts()

    # ---- what the panel sent -------------------------------------------------------------------------------------

    def requests(self, kind: str) -> list[dict[str, Any]]:
        sent = self.page.evaluate('window.__fake.sent')
        return [m['payload'] for m in sent if m.get('type') == 'request' and m.get('kind') == kind]

    def last(self, kind: str) -> dict[str, Any]:
        found = self.requests(kind)
        assert found, f'no {kind!r} request was sent'
        return found[-1]

    def wait_requests(self, kind: str, count: int) -> dict[str, Any]:
        """Wait until ``count`` requests of ``kind`` were sent; return the last."""
        self.page.wait_for_function(
            '([k, n]) => window.__fake.sent.filter(m => m.type === "request" && m.kind === k).length >= n',
            arg=[kind, count],
            timeout=5_000,
        )
        return self.last(kind)

    def fail_next(self, kind: str, message: str, code: str = 'invalid', hint: str | None = None) -> None:
        """The next ``kind`` request gets an error reply ``{message, code, hint}``."""
        error = {'message': message, 'code': code, **({'hint': hint} if hint else {})}
        self.page.evaluate('([k, e]) => { window.__fake.failNext[k] = e }', [kind, error])

    def fail_next_with(self, kind: str, exc: BaseException) -> dict[str, Any]:
        """The next ``kind`` request gets the error reply the real kernel sends for ``exc`` (returned)."""
        from pxwidgets.panels.base import error_info

        error = dict(error_info(exc))
        self.page.evaluate('([k, e]) => { window.__fake.failNext[k] = e }', [kind, error])
        return error

    def contract_problems(self) -> list[str]:
        """Where the fake's replies so far differ from the reply shapes the real panel declares."""
        from pxwidgets.panels.base import command_specs
        from tests.support.contract import conforms

        if not self.entry:
            return []
        name = next(cls for cls, module in PANELS.items() if module.endswith(f'.{self.entry}'))
        specs = command_specs(getattr(importlib.import_module(PANELS[name]), name))
        replies = self.page.evaluate('window.__fake ? window.__fake.replies : []')
        problems = []
        for reply in replies:
            spec = specs.get(reply['kind'])
            if spec is None:
                problems.append(f'the fake answers {reply["kind"]!r}, which the real panel does not declare')
            elif spec.reply is not None:
                problems += [f'{reply["kind"]}: {p}' for p in conforms(reply['payload'], spec.reply)]
        return problems

    def fake(self, script: str, arg: Any = None) -> Any:
        """Run ``script`` (a function of (fake, arg)) against the fake model."""
        return self.page.evaluate(f'([arg]) => ({script})(window.__fake, arg)', [arg])

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = SCREENSHOTS / name
        self.page.locator('#host').screenshot(path=str(out), animations='disabled')
        return out
