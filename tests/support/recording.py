"""Record what the real panels answer, for the JS harness to replay (``tests/js/recordings/<panel>.json``).

A protocol test drives a real panel through a *scenario* (the requests a harness test sends) with a
:class:`Recording` attached; every reply the panel sends — ok or error, binary buffers included (base64) — is kept
with the request it answers and the traits the command changed. When the test ends the recording is compared with
the committed one: with ``PXW_RECORD=1`` it is (re)written, otherwise a difference fails the test, so the harness can
never replay something Python no longer answers::

    PXW_RECORD=1 python -m pytest tests/protocol -p no:cacheprovider   # re-record every scenario

Recordings are normalised so that they diff: temporary paths, wall-clock times and timings are replaced by fixed
values (:func:`normalise`); buffers are compared by count (thumbnail bytes may differ between image libraries).

Example:
    >>> rec = Recording(panel, scenario='main', writes=('add',))  # doctest: +SKIP
    >>> panel.handle_request('graph')  # recorded  # doctest: +SKIP
    >>> rec.finish()  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from ipywidgets import DOMWidget

from pxwidgets.panels.base import Panel

RECORDINGS = Path(__file__).resolve().parents[1] / 'js' / 'recordings'
RECORD_ENV = 'PXW_RECORD'
RERECORD = f'{RECORD_ENV}=1 python -m pytest tests/protocol -p no:cacheprovider'

_TIMING_KEYS = frozenset(
    {'elapsed_ms', 'latency_ms', 'seconds', 'seconds_per_row', 'duration_s', 'ms', 'total_ms', 'duration_ms'}
)
_TIMING_TREES = frozenset({'cost', 'embed_ms'})  # measured times: ConsensusGrid's cost chart, CascadeSearch's
_CLOCK_KEYS = frozenset({'created_at', 'raised_at', 'refreshed_at', 'started_at', 'finished_at', 'at', 'checked_at'})
_EPOCH_KEYS = frozenset({'changed_at'})  # seconds since the epoch (PatternHub's last change of a pattern)
_PATHS = [
    (re.compile(r'/tmp/pytest-of-[^/\s\'"]+/pytest-\d+/'), '/tmp/pytest/'),
    (re.compile(r'/tmp/pxw-test-home-[^/\s\'"]+'), '$PIXELTABLE_HOME'),
    # table ids, e.g. in the keyset cursors the grids send back for the next page
    (re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), 'recorded-uuid'),
]


def panel_traits(panel: Panel) -> dict[str, Any]:
    """The synced view-state traits a panel declares itself (the widget framework's own left out)."""
    own = set(panel.trait_names(sync=True)) - set(DOMWidget.class_trait_names())
    return {name: panel.trait_values()[name] for name in sorted(own) if not name.startswith('_')}


def normalise(value: Any, key: str = '', timing: bool = False) -> Any:
    """``value`` with timings zeroed, wall-clock times fixed and temporary paths made stable."""
    if isinstance(value, dict):
        return {k: normalise(v, k, timing or k in _TIMING_TREES) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v, key, timing) for v in value]
    if (timing or key in _TIMING_KEYS) and isinstance(value, int | float) and not isinstance(value, bool):
        return 0
    if key in _CLOCK_KEYS and isinstance(value, str):
        return '2026-01-01T00:00:00'
    if key in _EPOCH_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return 1767225600.0  # 2026-01-01
    if key == 'fingerprint' and isinstance(value, str):
        return 'recorded-fingerprint'  # a hash of run-specific table ids; the harness compares what it got
    if key == 'token' and isinstance(value, str):
        return 'recorded-token'  # a plan's token hashes run-specific paths; the harness sends back what it got
    if isinstance(value, str):
        for pattern, fixed in _PATHS:
            value = pattern.sub(fixed, value)
    return value


class Recording:
    """The replies ``panel`` sends from now on, as scenario ``scenario`` of ``tests/js/recordings/<module>.json``.

    ``writes`` names the commands that change the kernel's state: each successful one starts a new *epoch*, and the
    harness answers a request with the reply recorded in the latest epoch it has reached (so a ``graph`` asked
    after an ``add`` shows the added stage). ``replace`` maps run-specific strings (a random directory name) to
    fixed ones.
    """

    def __init__(
        self,
        panel: Panel,
        scenario: str = 'main',
        *,
        writes: tuple[str, ...] = (),
        replace: dict[str, str] | None = None,
    ) -> None:
        self.panel = panel
        self.module = type(panel).__module__.rsplit('.', 1)[-1]
        self.scenario = scenario
        self.writes = writes
        self.replace = dict(replace or {})
        self.entries: list[dict[str, Any]] = []
        self.epoch = 0
        self._lock = threading.Lock()
        self.traits = self._clean(panel_traits(panel))
        original = panel._dispatch

        def dispatch(request: dict[str, Any], send: Any, *, run_inline: bool) -> None:
            before = panel_traits(panel)

            def capture(msg: dict[str, Any], buffers: list[bytes]) -> None:
                if msg.get('type') == 'response':
                    after = panel_traits(panel)
                    changed = {k: v for k, v in after.items() if before.get(k) != v}
                    self._add(request, msg, buffers, changed)
                send(msg, buffers)

            original(request, capture, run_inline=run_inline)

        panel._dispatch = dispatch  # type: ignore[method-assign]

    def _clean(self, value: Any) -> Any:
        text = json.dumps(normalise(value))
        for old, new in self.replace.items():
            text = text.replace(old, new)
        return json.loads(text)

    def _add(self, request: dict[str, Any], msg: dict[str, Any], buffers: list[bytes], traits: dict[str, Any]) -> None:
        kind = request.get('kind')
        entry: dict[str, Any] = {'kind': kind, 'request': request.get('payload') or {}, 'epoch': self.epoch}
        if msg['ok']:
            entry['reply'] = msg['payload']
            entry['buffers'] = [base64.b64encode(bytes(b)).decode('ascii') for b in buffers]
        else:
            entry['error'] = msg['error']
        if traits:
            entry['traits'] = traits
        entry = self._clean(entry)
        with self._lock:
            write = msg['ok'] and kind in self.writes
            if write:
                entry['write'] = True
            same = [e for e in self.entries if _key(e) == _key(entry)]
            if not same or write:
                self.entries.append(entry)
            if write:
                self.epoch += 1

    def data(self) -> dict[str, Any]:
        return {'panel': type(self.panel).__name__, 'traits': self.traits, 'entries': self.entries}

    def finish(self) -> None:
        """Write the recording (``PXW_RECORD=1``) or check that the committed one is what the panel answers now."""
        path = RECORDINGS / f'{self.module}.json'
        if os.environ.get(RECORD_ENV):
            RECORDINGS.mkdir(parents=True, exist_ok=True)
            with open(Path(tempfile.gettempdir()) / 'pxw-recordings.lock', 'w') as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                stored = json.loads(path.read_text()) if path.exists() else {}
                stored[self.scenario] = self.data()
                path.write_text(json.dumps(dict(sorted(stored.items())), indent=1, ensure_ascii=False) + '\n')
            return
        stored = json.loads(path.read_text()).get(self.scenario) if path.exists() else None
        if stored is None:
            raise AssertionError(f'no recording {path.name}:{self.scenario}; record it with: {RERECORD}')
        problems = differences(stored, self.data())
        if problems:
            shown = '\n'.join(problems[:10])
            raise AssertionError(
                f'{path.name}:{self.scenario} no longer matches what {self.data()["panel"]} answers:\n{shown}\n'
                f're-record with: {RERECORD}'
            )


def _key(entry: dict[str, Any]) -> str:
    return json.dumps([entry['kind'], entry['request'], entry['epoch']])


MEASURED_KEYS = frozenset({'compute_seconds'})
"""Reply fields holding a measured duration: compared as "a number" or null, never by value."""


def _unmeasured(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ('<measured>' if isinstance(v, (int, float)) else v) if k in MEASURED_KEYS else _unmeasured(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_unmeasured(v) for v in value]
    return value


def _comparable(entry: dict[str, Any]) -> dict[str, Any]:
    return _unmeasured({**entry, 'buffers': len(entry.get('buffers', []))})


def differences(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Where a committed recording and a fresh one differ (buffers compared by count)."""
    problems = []
    if stored.get('traits') != fresh['traits']:
        problems.append(f'initial traits: {stored.get("traits")} ≠ {fresh["traits"]}')
    old = {_key(e): _comparable(e) for e in stored.get('entries', [])}
    new = {_key(e): _comparable(e) for e in fresh['entries']}
    problems += [f'no longer sent: {k}' for k in old if k not in new]
    problems += [f'not recorded: {k}' for k in new if k not in old]
    for k in old.keys() & new.keys():
        if old[k] != new[k]:
            problems.append(f'reply differs: {k}: {_first_difference(old[k], new[k])}')
    return problems


def _first_difference(a: Any, b: Any, where: str = '$') -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in [*a, *(k for k in b if k not in a)]:
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f'{where}.{k}')
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f'{where}[{i}]')
    return f'{where}: {json.dumps(a)[:120]} ≠ {json.dumps(b)[:120]}'
