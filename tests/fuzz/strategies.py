"""Hypothesis strategies for panel payloads: derived from a command's request TypedDict, mixed with hostile ones.

``payloads(td, known)`` draws, in about equal parts: a payload of the declared shape (``known`` strings — real stage,
model, level names — mixed into every string field so that the commands get past their first check), the same with
one field of a wrong type, with a required key missing, with undeclared keys, or a JSON object of anything.
Every string may be SQL-looking, markup or script, unicode, very long or empty; every number huge, negative, NaN or
infinite.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from tests.support.contract import _fields

FIGURES: dict[str, tuple[int, int]] = {}
"""Per panel command: examples run and examples served (not refused) in this session (printed at the end)."""

HOSTILE_TEXT: tuple[str, ...] = (
    '',
    ' ',
    '\n\t',
    "'; DROP TABLE tables; --",
    '1 OR 1=1',
    '" OR ""="',
    "Robert'); DELETE FROM dirs;--",
    '<img src=x onerror=window.__pwned=1>',
    '<script>window.__pwned=1</script>',
    '"><svg onload=window.__pwned=1>',
    'javascript:window.__pwned=1',
    '{{7*7}}${7*7}',
    '%s%n%x',
    '../../../../etc/passwd',
    '/',
    'a/b/c',
    'ünïcødé ✓ 漢字 🚀 \u202etxet',
    '\x00nul',
    '\ud7ff\ufffe',
    '\ud800 lone surrogate',
    'None',
    'null',
    'NaN',
    '-1',
    '__class__',
    '_pxw_command',
    'x' * 5000,
    '𝔘' * 2000,
)

HUGE_INTS: tuple[int, ...] = (0, -1, 1, 2**31, -(2**31), 2**63, -(2**63) - 1, 10**30, -(10**30))
ODD_FLOATS: tuple[float, ...] = (float('nan'), float('inf'), float('-inf'), -0.0, 1e308, -1e308, 5e-324)


def texts(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """A string: a known good one, a hostile one, or random unicode."""
    options = [st.sampled_from(HOSTILE_TEXT), st.text(max_size=40)]
    if known:
        options.insert(0, st.sampled_from(sorted(set(known))))
    return st.one_of(*options)


def ints() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(min_value=-3, max_value=40), st.sampled_from(HUGE_INTS), st.integers())


def floats() -> st.SearchStrategy[float]:
    return st.one_of(st.floats(min_value=-2, max_value=2), st.sampled_from(ODD_FLOATS), st.floats())


def json_values(known: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Any JSON-like value (NaN and infinities included, as a careless client might send)."""
    scalars = st.one_of(st.none(), st.booleans(), ints(), floats(), texts(known))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts(known), inner, max_size=4)),
        max_leaves=8,
    )


def typed(tp: Any, known: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Values of the declared type ``tp`` (a TypedDict, scalar, list, dict, union, Literal, Any)."""
    if tp is Any or tp is object:
        return json_values(known)
    if typing.is_typeddict(tp):
        fields = _fields(tp)
        return st.fixed_dictionaries(
            {k: typed(v, known) for k, (v, req) in fields.items() if req},
            optional={k: typed(v, known) for k, (v, req) in fields.items() if not req},
        )
    if tp is None or tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return ints()
    if tp is float:
        return floats()
    if tp is str:
        return texts(known)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(typed(a, known) for a in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (list, tuple, Sequence):
        return st.lists(typed(args[0] if args else Any, known), max_size=5)
    if origin is dict or tp is dict:
        return st.dictionaries(texts(known), typed(args[1] if len(args) == 2 else Any, known), max_size=4)
    raise TypeError(f'no strategy for {tp!r}')


@st.composite
def payloads(draw: st.DrawFn, td: Any, known: Sequence[str] = ()) -> Any:
    """A payload for a command whose request is ``td``: declared, mistyped, incomplete, padded, or junk."""
    mode = draw(st.sampled_from(('declared', 'wrong_type', 'missing', 'extra', 'junk', 'not_an_object')))
    if mode == 'junk':
        return draw(st.dictionaries(texts(known), json_values(known), max_size=6))
    if mode == 'not_an_object':
        return draw(st.one_of(st.lists(json_values(known), min_size=1, max_size=3), texts(known), ints()))
    payload: dict[str, Any] = draw(typed(td, known))
    fields = _fields(td)
    if mode == 'wrong_type' and fields:
        key = draw(st.sampled_from(sorted(fields)))
        payload[key] = draw(json_values(known))
    elif mode == 'missing':
        required = sorted(k for k, (_, req) in fields.items() if req and k in payload)
        if required:
            del payload[draw(st.sampled_from(required))]
    elif mode == 'extra':
        payload.update(draw(st.dictionaries(texts(known), json_values(known), min_size=1, max_size=3)))
    return payload
