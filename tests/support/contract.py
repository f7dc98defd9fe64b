"""Does a message conform to its declared TypedDict? (required keys present, no undeclared keys, recursively)."""

from __future__ import annotations

import types
import typing
from typing import Any, NotRequired, Required


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


def conforms(value: Any, tp: Any, where: str = '$') -> list[str]:
    """Every place where ``value`` does not fit ``tp`` (only TypedDict structure is checked, plus lists/unions)."""
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
        problems += [f'{where}.{k}: not declared in {tp.__name__}' for k in value if k not in fields]
        return problems
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return []
        results = [conforms(value, o, where) for o in options if o is not type(None)]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp) or (Any,)
        return [p for i, v in enumerate(value) for p in conforms(v, item, f'{where}[{i}]')]
    return []
