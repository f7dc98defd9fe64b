"""Every command declares its message shapes once, in Python, and what the kernel really sends fits them.

Each ``@command`` names request and reply TypedDicts; the TypeScript the panels compile against is generated from
those same TypedDicts (``scripts/contract_ts.py``; ``test_contract_generation.py`` fails when it is stale), so here we
check that every declared shape reaches the generated file, and that real replies — sent by real panels over real
Pixeltable, and the ones recorded for the JavaScript harness in ``tests/js/recordings/`` — conform to the declaration
(field presence, no undeclared fields, basic JSON types).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

import pytest

from pxwidgets.panels import PANELS
from pxwidgets.panels.base import command_specs
from pxwidgets.panels.contract import ErrorInfo
from tests.support.contract import conforms

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / 'js'
RECORDINGS = ROOT / 'tests' / 'js' / 'recordings'


def _panels() -> list[tuple[str, str]]:
    return [(name, module) for name, module in PANELS.items() if importlib.util.find_spec(module) is not None]


def _panel_class(name: str) -> Any:
    return getattr(importlib.import_module(PANELS[name]), name)


def _exported(path: Path) -> set[str]:
    return set(re.findall(r'^export (?:interface|type) (\w+)', path.read_text(), re.MULTILINE))


@pytest.mark.parametrize(('panel', 'module'), _panels())
def test_every_command_names_typeddicts_that_its_typescript_declares(panel: str, module: str) -> None:
    cls = getattr(importlib.import_module(module), panel)
    generated = JS / module.rsplit('.', 1)[-1] / 'contract.ts'
    assert generated.is_file(), f'{panel}: its message types belong in {generated.relative_to(ROOT)} (generated)'
    declared = _exported(generated) | _exported(JS / 'lib' / 'contract.ts')
    specs = command_specs(cls)
    assert specs, f'{panel} declares no commands'
    problems = []
    for kind, spec in sorted(specs.items()):
        for role, td in (('request', spec.request), ('reply', spec.reply)):
            if not isinstance(td, type) or not typing.is_typeddict(td):
                problems.append(f'{kind}: its {role} is not a TypedDict ({td!r})')
            elif td.__name__ not in declared:
                problems.append(f'{kind}: {td.__name__} ({role}) is in neither {generated.name} nor lib/contract.ts')
    assert not problems, f'{panel}:\n' + '\n'.join(problems)


# ---- conformance: the checker itself ---------------------------------------------------------------------------


class Inner(TypedDict):
    x: int
    tag: Literal['a', 'b']


class Outer(TypedDict):
    items: list[Inner]
    scores: dict[str, float]
    box: tuple[float, float]
    note: NotRequired[str | None]


def test_the_checker_catches_missing_undeclared_and_mistyped_fields() -> None:
    good = {'items': [{'x': 1, 'tag': 'a'}], 'scores': {'m': 1}, 'box': [0.5, 2], 'note': None}
    assert conforms(good, Outer) == []
    assert conforms({**good, 'extra': 1}, Outer) == ['$.extra: not declared in Outer']
    assert conforms({k: v for k, v in good.items() if k != 'scores'}, Outer) == ['$.scores: missing (Outer)']
    assert conforms({**good, 'items': [{'x': '1', 'tag': 'a'}]}, Outer) == ["$.items[0].x: expected int, got str '1'"]
    assert conforms({**good, 'items': [{'x': True, 'tag': 'a'}]}, Outer) == [
        '$.items[0].x: expected int, got bool True'
    ]
    assert conforms({**good, 'items': [{'x': 1, 'tag': 'c'}]}, Outer) == [
        "$.items[0].tag: expected one of ('a', 'b'), got 'c'"
    ]
    assert conforms({**good, 'scores': {'m': 'high'}}, Outer) == ["$.scores.m: expected float, got str 'high'"]
    assert conforms({**good, 'box': [1.0]}, Outer) == ['$.box: expected 2 items, got 1']
    assert conforms({**good, 'note': 3}, Outer) != []


def test_error_details_are_open_but_their_params_are_checked() -> None:
    error = {'message': 'no', 'code': 'invalid_parameter', 'details': {'params': [{'param': 'n', 'message': 'x'}]}}
    assert conforms({**error, 'details': {**error['details'], 'dependents': ['a']}}, ErrorInfo) == []
    assert conforms({**error, 'details': {'params': [{'param': 'n'}]}}, ErrorInfo) == [
        '$.details.params[0].message: missing (ParamError)'
    ]


# ---- conformance: real replies -----------------------------------------------------------------------------------


def _check(panel: Any, kind: str, payload: dict[str, Any] | None = None) -> Any:
    spec = command_specs(type(panel))[kind]
    assert conforms(payload or {}, spec.request) == [], (kind, conforms(payload or {}, spec.request))
    reply = panel.handle_request(kind, payload or {})
    assert reply['ok'], (kind, reply.get('error'))
    assert conforms(reply['payload'], spec.reply) == [], (kind, conforms(reply['payload'], spec.reply))
    return reply['payload']


def test_real_replies_conform_to_the_declared_shapes(pxt_dir: str) -> None:
    """What the kernel really sends fits the declared reply (the harness recordings are checked against the same)."""
    import pixeltable as pxt

    from pxwidgets import StageBuilder, TableBrowser

    t = pxt.create_table(f'{pxt_dir}/words', {'n': pxt.Int, 'word': pxt.String})
    t.insert([{'word': w, 'n': i} for i, w in enumerate(['a', 'bb', 'ccc'])])
    browser = TableBrowser(t)
    page = {'offset': 0, 'limit': 2, 'order_by': {'column': 'n', 'asc': False}, 'filters': [], 'errors_only': False}
    for kind, payload in [
        ('info', {}),
        ('catalog', {}),
        ('page', page),
        ('count', page),
        ('lineage', {}),
        ('history', {}),
        ('open', {'path': f'{pxt_dir}/words'}),
    ]:
        _check(browser, kind, payload)
    builder = StageBuilder(t)
    _check(builder, 'graph')
    _check(builder, 'transforms', {'after': 'words'})
    draft = {'after': 'words', 'transform': 'keep_if', 'params': {'op': '>', 'value': 0}, 'name': 'some'}
    _check(builder, 'preview', {**draft, 'n': 2})
    _check(builder, 'add', draft)
    _check(builder, 'rows', {**page, 'order_by': None, 'stage': 'some'})
    _check(builder, 'count', {**page, 'order_by': None, 'stage': 'some'})
    plan = _check(builder, 'drop_plan', {'stage': 'some'})['plan']
    _check(builder, 'code', {'stage': 'some'})
    _check(builder, 'drop', {'stage': 'some', 'expect': plan})
    refused = builder.handle_request('add', {**draft, 'params': {'op': 'bogus', 'value': 0}})
    assert not refused['ok'] and conforms(refused['error'], ErrorInfo) == []


# ---- conformance: the replies recorded for the JavaScript harness -------------------------------------------------


def _recordings() -> list[Any]:
    files = sorted(RECORDINGS.glob('*.json')) if RECORDINGS.is_dir() else []
    return [pytest.param(f, id=f.stem) for f in files] or [
        pytest.param(None, marks=pytest.mark.skip(reason='no recordings in tests/js/recordings/ yet'))
    ]


@pytest.mark.parametrize('recording', _recordings())
def test_recorded_replies_conform_to_the_declared_shapes(recording: Path) -> None:
    problems = []
    for scenario, data in json.loads(recording.read_text()).items():
        specs = command_specs(_panel_class(data['panel']))
        for i, entry in enumerate(data['entries']):
            where = f'{scenario}[{i}] {entry["kind"]}'
            spec = specs.get(entry['kind'])
            if spec is None:
                problems.append(f'{where}: {data["panel"]} has no such command')
                continue
            problems += [f'{where} request: {p}' for p in conforms(entry.get('request') or {}, spec.request)]
            if 'reply' in entry:
                problems += [f'{where} reply: {p}' for p in conforms(entry['reply'], spec.reply)]
            if 'error' in entry:
                problems += [f'{where} error: {p}' for p in conforms(entry['error'], ErrorInfo)]
    assert not problems, f'{recording.name}:\n' + '\n'.join(problems)
