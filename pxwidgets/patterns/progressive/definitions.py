"""A stage's definition as text: its identity (two equal definitions share it, whichever table handle they were written
against), its readable form, and the columns it reads.

Example:
    >>> readable(t.frame.rotate(90))  # doctest: +SKIP
    'frames.frame.rotate(90)'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pixeltable import exprs, func

from pxwidgets.errors import CodegenError
from pxwidgets.patterns.common.exprcode import ExprWriter, canonical_writer, display_writer, fallback_text

Definition = exprs.Expr | func.GeneratingFunctionCall | None


def _written(
    obj: Definition,
    writer: Callable[[], ExprWriter],
    top: Callable[[ExprWriter, exprs.Expr], str],
    fallback: Callable[[Any], str],
) -> str:
    """``obj`` as ``writer`` writes it (an iterator call, or an expression by the writer's ``top`` method), or
    ``fallback(obj)`` where it cannot be written as code."""
    if obj is None:
        return ''
    w = writer()
    try:
        if isinstance(obj, func.GeneratingFunctionCall):
            return w.iterator_call(obj)
        return top(w, obj)
    except CodegenError:
        return fallback(obj)


def canonical(obj: Definition) -> str:
    """A string two equal definitions share, whichever table handle they were written against."""
    return _written(
        obj, canonical_writer, ExprWriter.expr, lambda o: json.dumps(o.as_dict(), sort_keys=True, default=str)
    )


def view_canonical(
    kind: str,
    base_id: str,
    iterator: func.GeneratingFunctionCall | None,
    predicate: exprs.Expr | None,
    sample: str | None = None,
) -> str:
    """The identity of a view's definition: its kind, its base, its iterator call, filter and sample clause."""
    return f'{kind}@{base_id}:{canonical(iterator)}|{canonical(predicate)}|{sample}'


def column_canonical(table_id: str, expr: exprs.Expr | None) -> str:
    """The identity of a computed column's definition: its table and its expression."""
    return f'column@{table_id}:{canonical(expr)}'


def readable(obj: Definition) -> str:
    """A definition for people (``detect_faces(frames.frame, min_size=40)``)."""
    return _written(obj, display_writer, ExprWriter.top, fallback_text)


def column_refs(*objs: exprs.Expr | func.GeneratingFunctionCall | None) -> list[exprs.ColumnRef]:
    """Every column reference inside expressions and iterator calls."""
    result: list[exprs.ColumnRef] = []
    for obj in objs:
        if obj is None:
            continue
        items: Iterable[exprs.Expr] = (
            [*obj.args, *obj.kwargs.values()] if isinstance(obj, func.GeneratingFunctionCall) else [obj]
        )
        for item in items:
            result.extend(item.subexprs(exprs.ColumnRef))
    return result
