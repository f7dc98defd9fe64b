"""Python and TypeScript declare the same message shapes for every command of every panel.

Each ``@command`` names its request and reply TypedDicts; TypeScript must declare interfaces of the same names, with
the same fields and the same optionality (``NotRequired`` ↔ ``?``), in ``js/lib/`` or in the panel's
own ``js/<panel>/``.
Nested TypedDicts (a reply's list of nodes, say) are checked too. Field *types* are not compared — names and presence
are what drift silently.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import typing
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pytest

from pxwidgets.panels import PANELS
from pxwidgets.panels.base import command_specs

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / 'js'

_INTERFACE = re.compile(r'export interface (\w+)(?:<[^>{]*>)?(?:\s+extends\s+([\w, <>]+))?\s*\{')
_FIELD = re.compile(r'^\s*(?:readonly\s+)?(\w+)(\?)?\s*:')


def ts_interfaces(files: list[Path]) -> dict[str, dict[str, bool]]:
    """``{interface: {field: required}}`` of every exported interface in ``files`` (``extends`` merged in)."""
    raw: dict[str, tuple[dict[str, bool], list[str]]] = {}
    for file in files:
        text = file.read_text()
        for match in _INTERFACE.finditer(text):
            depth, i = 1, match.end()
            body_start = i
            while depth and i < len(text):
                depth += {'{': 1, '}': -1}.get(text[i], 0)
                i += 1
            fields: dict[str, bool] = {}
            level = 0
            for line in text[body_start : i - 1].splitlines():
                stripped = line.strip()
                if level == 0 and not stripped.startswith(('//', '/*', '*')):
                    field = _FIELD.match(line)
                    if field:
                        fields[field.group(1)] = field.group(2) is None
                level += line.count('{') - line.count('}')
            bases = [b.strip().split('<')[0] for b in (match.group(2) or '').split(',') if b.strip()]
            raw[match.group(1)] = (fields, bases)

    def resolve(name: str) -> dict[str, bool]:
        fields, bases = raw[name]
        merged: dict[str, bool] = {}
        for base in bases:
            if base in raw:
                merged.update(resolve(base))
        return {**merged, **fields}

    return {name: resolve(name) for name in raw}


def py_fields(td: Any) -> dict[str, bool]:
    """``{field: required}`` of a TypedDict (read from its hints: string annotations hide ``NotRequired``)."""
    out: dict[str, bool] = {}
    for klass in reversed(td.__mro__):
        if not typing.is_typeddict(klass):
            continue
        total = getattr(klass, '__total__', True)
        for name, hint in typing.get_type_hints(klass, include_extras=True).items():
            origin = typing.get_origin(hint)
            out[name] = True if origin is typing.Required else False if origin is NotRequired else total
    return out


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def nested_typeddicts(td: Any, seen: set[Any] | None = None) -> list[Any]:
    """``td`` and every TypedDict its fields refer to (through lists, unions, dicts)."""
    seen = set() if seen is None else seen
    if td in seen:
        return []
    seen.add(td)
    found = [td]
    hints = typing.get_type_hints(td, include_extras=False)
    stack = list(hints.values())
    while stack:
        tp = stack.pop()
        if _is_typeddict(tp):
            found += nested_typeddicts(tp, seen)
        stack.extend(typing.get_args(tp))
    return found


class Inner(TypedDict):
    x: int


class Outer(TypedDict):
    items: list[Inner]
    note: NotRequired[str]


def _panels() -> list[tuple[str, str]]:
    return [(name, module) for name, module in PANELS.items() if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize(('panel', 'module'), _panels())
def test_every_command_declares_shapes_that_typescript_declares_alike(panel: str, module: str) -> None:
    cls = getattr(importlib.import_module(module), panel)
    folder = JS / module.rsplit('.', 1)[-1]
    assert folder.is_dir(), f'{panel}: its JavaScript belongs in {folder.relative_to(ROOT)}/'
    interfaces = ts_interfaces([*sorted((JS / 'lib').glob('*.ts')), *sorted(folder.glob('*.ts'))])
    specs = command_specs(cls)
    assert specs, f'{panel} declares no commands'
    problems = []
    for kind, spec in sorted(specs.items()):
        for role, td in (('request', spec.request), ('reply', spec.reply)):
            if td is None:
                problems.append(f'{kind}: no {role} TypedDict declared')
                continue
            for shape in nested_typeddicts(td):
                name = 'Filter' if shape.__name__ == 'FilterSpec' else shape.__name__
                ts = interfaces.get(name)
                if ts is None:
                    problems.append(f'{kind} {role}: TypeScript declares no interface {name}')
                elif ts != py_fields(shape):
                    problems.append(f'{kind} {role}: {name} differs: Python {py_fields(shape)} ≠ TypeScript {ts}')
    assert not problems, f'{panel}:\n' + '\n'.join(problems)


def test_the_parser_reads_fields_optionality_and_extends(tmp_path: Path) -> None:
    source = tmp_path / 'x.ts'
    source.write_text(
        'export interface A {\n  a: string;\n  // note: not a field\n  b?: { inner: number } | null;\n}\n'
        'export interface B extends A {\n  c: number[];\n}\n'
    )
    assert ts_interfaces([source]) == {'A': {'a': True, 'b': False}, 'B': {'a': True, 'b': False, 'c': True}}

    assert py_fields(Outer) == {'items': True, 'note': False}
    assert [t.__name__ for t in nested_typeddicts(Outer)] == ['Outer', 'Inner']


def test_a_drifted_field_is_caught(tmp_path: Path) -> None:
    from pxwidgets.panels.contract import CountReply

    source = tmp_path / 'x.ts'
    source.write_text('export interface CountReply {\n  count: number;\n}\n')
    assert ts_interfaces([source])['CountReply'] != py_fields(CountReply)


def _check(panel: Any, kind: str, payload: dict[str, Any] | None = None) -> Any:
    from tests.support.contract import conforms

    reply = panel.handle_request(kind, payload or {})
    assert reply['ok'], (kind, reply.get('error'))
    spec = command_specs(type(panel))[kind]
    assert conforms(reply['payload'], spec.reply) == [], (kind, conforms(reply['payload'], spec.reply))
    return reply['payload']


def test_real_replies_conform_to_the_declared_shapes(pxt_dir: str) -> None:
    """What the kernel really sends fits the declared reply (the harness fakes are checked against the same)."""
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
