"""The recordings the harness replays (tests/js/recordings/) fit the contract the real panels declare.

Every recorded request and reply is checked against its command's declared TypedDicts (through ``command_specs``,
with the same checker as tests/protocol/test_contract_agreement.py), every error reply against ``ErrorInfo``; that
a recording still matches what its panel answers is checked by the protocol scenario that wrote it
(tests/support/recording.py). Re-record: ``PXW_RECORD=1 python -m pytest tests/protocol -p no:cacheprovider``.
"""

from __future__ import annotations

import base64
import importlib
import json
from typing import Any

import pytest
from pxw_harness import RECORDINGS

from pxwidgets.panels import PANELS
from pxwidgets.panels.base import command_specs
from pxwidgets.panels.contract import ErrorInfo
from tests.support.contract import conforms
from tests.support.recording import differences


def _panel(module: str) -> Any:
    name = next(cls for cls, path in PANELS.items() if path.endswith(f'.{module}'))
    return getattr(importlib.import_module(PANELS[name]), name)


def recording_problems(module: str, scenarios: dict[str, Any]) -> list[str]:
    """Where a recording of panel ``module`` departs from the shapes its panel declares."""
    specs = command_specs(_panel(module))
    problems = []
    for scenario, data in scenarios.items():
        for i, entry in enumerate(data['entries']):
            where = f'{module}:{scenario}[{i}] {entry["kind"]}'
            spec = specs.get(entry['kind'])
            if spec is None:
                problems.append(f'{where}: the panel declares no such command')
                continue
            problems += [f'{where} request: {p}' for p in conforms(entry['request'], spec.request)]
            if 'error' in entry:
                problems += [f'{where} error: {p}' for p in conforms(entry['error'], ErrorInfo)]
            else:
                problems += [f'{where} reply: {p}' for p in conforms(entry['reply'], spec.reply)]
                for b in entry['buffers']:
                    base64.b64decode(b, validate=True)
    return problems


@pytest.mark.parametrize('module', [m.rsplit('.', 1)[-1] for m in PANELS.values()])
def test_every_panel_has_a_recording_that_fits_its_declared_shapes(module: str) -> None:
    path = RECORDINGS / f'{module}.json'
    assert path.exists(), f'no recording for {module}: add a harness scenario to tests/protocol and re-record'
    scenarios = json.loads(path.read_text())
    assert scenarios and all(s['entries'] for s in scenarios.values())
    assert not recording_problems(module, scenarios)


def test_a_reply_that_drifted_from_its_declaration_is_caught() -> None:
    scenarios = json.loads((RECORDINGS / 'table_browser.json').read_text())
    entry = next(e for e in scenarios['main']['entries'] if e['kind'] == 'count')
    entry['reply'] = {'count': entry['reply']['total']}  # a renamed field
    problems = recording_problems('table_browser', scenarios)
    assert any('$.total: missing' in p for p in problems) and any('$.count: not declared' in p for p in problems)


def test_a_changed_reply_makes_the_recording_stale() -> None:
    stored = json.loads((RECORDINGS / 'stage_builder.json').read_text())['main']
    fresh = json.loads(json.dumps(stored))
    fresh['entries'][0]['reply']['nodes'][0]['rows'] += 1
    assert differences(stored, stored) == []
    (problem,) = differences(stored, fresh)
    assert problem.startswith('reply differs: ["graph", {}, 0]: $.reply.nodes[0].rows')
    fresh['entries'].pop()
    assert any(p.startswith('no longer sent: ["rows"') for p in differences(stored, fresh))
