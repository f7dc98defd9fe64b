"""Does a message conform to its declared TypedDict? Required keys present, no undeclared keys, basic JSON types.

Checked recursively through lists, tuples, ``dict[str, X]``, unions, ``Literal`` and nested TypedDicts; ``Any`` and
``object`` accept any value. :class:`~pxwidgets.panels.contract.ErrorDetails` is open: each error adds its own keys.
"""

from __future__ import annotations

import types
import typing
from typing import Any, NotRequired, Required

from pxwidgets.panels.contract import ErrorDetails

OPEN_SHAPES: frozenset[Any] = frozenset({ErrorDetails})
"""TypedDicts whose undeclared keys are allowed."""

_SCALARS: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}


def _fields(td: Any) -> dict[str, tuple[Any, bool]]:
    out: dict[str, tuple[Any, bool]] = {}
    for klass in reversed(td.__mro__):
        if not typing.is_typeddict(klass):
            continue
        total = getattr(klass, '__total__', True)
        for name, hint in typing.get_type_hints(klass, include_extras=True).items():
            origin = typing.get_origin(hint)
            required = True if origin is Required else False if origin is NotRequired else total
            inner = typing.get_args(hint)[0] if origin in (Required, NotRequired) else hint
            out[name] = (inner, required)
    return out


def _name(tp: Any) -> str:
    return getattr(tp, '__name__', None) or str(tp)


def conforms(value: Any, tp: Any, where: str = '$') -> list[str]:
    """Every place where ``value`` does not fit ``tp`` (an empty list when it fits)."""
    if tp is Any or tp is object:
        return []
    if typing.is_typeddict(tp):
        if not isinstance(value, dict):
            return [f'{where}: expected an object for {tp.__name__}, got {type(value).__name__}']
        problems = []
        fields = _fields(tp)
        for name, (inner, required) in fields.items():
            if name not in value:
                if required:
                    problems.append(f'{where}.{name}: missing ({tp.__name__})')
                continue
            problems += conforms(value[name], inner, f'{where}.{name}')
        if tp not in OPEN_SHAPES:
            problems += [f'{where}.{k}: not declared in {tp.__name__}' for k in value if k not in fields]
        return problems
    if tp is None or tp is type(None):
        return [] if value is None else [f'{where}: expected null, got {value!r:.60}']
    if tp in _SCALARS:
        ok = isinstance(value, _SCALARS[tp]) and (tp is bool or not isinstance(value, bool))
        return [] if ok else [f'{where}: expected {tp.__name__}, got {type(value).__name__} {value!r:.60}']
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        results = [conforms(value, option, where) for option in args]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is typing.Literal:
        return [] if value in args else [f'{where}: expected one of {args}, got {value!r:.60}']
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            return [f'{where}: expected an array ({_name(tp)}), got {type(value).__name__}']
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                return [f'{where}: expected {len(args)} items, got {len(value)}']
            return [
                p for i, (v, a) in enumerate(zip(value, args, strict=True)) for p in conforms(v, a, f'{where}[{i}]')
            ]
        item = args[0] if args else Any
        return [p for i, v in enumerate(value) for p in conforms(v, item, f'{where}[{i}]')]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return [f'{where}: expected an object ({_name(tp)}), got {type(value).__name__}']
        item = args[1] if len(args) == 2 else Any
        return [p for k, v in value.items() for p in conforms(v, item, f'{where}.{k}')]
    raise TypeError(f'{where}: conforms() does not know how to check {tp!r}')
