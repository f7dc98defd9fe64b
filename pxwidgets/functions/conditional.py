"""A conditional expression for Pixeltable, which has none: ``when(condition).then(x).otherwise(y)``.

It builds a call of a UDF defined in this module (one per result type), so a computed column that uses it survives
a kernel restart. Conditions chain: ``when(a).then(x).when(b).then(y).otherwise(z)``.

Example:
    >>> from pxwidgets.functions.conditional import when
    >>> t = pxt.get_table('demo/frames')  # doctest: +SKIP
    >>> t.add_computed_column(busy=when(t.n_faces > 2).then('crowd').otherwise('quiet'))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import PIL.Image
import pixeltable as pxt
from pixeltable import exprs
from pixeltable import type_system as ts

from pxwidgets.errors import InvalidRequestError


@pxt.udf
def if_else_string(condition: bool | None, then: str | None, otherwise: str | None) -> str | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (strings)."""
    return then if condition else otherwise


@pxt.udf
def if_else_int(condition: bool | None, then: int | None, otherwise: int | None) -> int | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (integers)."""
    return then if condition else otherwise


@pxt.udf
def if_else_float(condition: bool | None, then: float | None, otherwise: float | None) -> float | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (floats; integers are converted)."""
    value = then if condition else otherwise
    return None if value is None else float(value)


@pxt.udf
def if_else_bool(condition: bool | None, then: bool | None, otherwise: bool | None) -> bool | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (booleans)."""
    return then if condition else otherwise


@pxt.udf
def if_else_json(condition: bool | None, then: pxt.Json | None, otherwise: pxt.Json | None) -> pxt.Json | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (any JSON value)."""
    return then if condition else otherwise


@pxt.udf
def if_else_image(
    condition: bool | None, then: PIL.Image.Image | None, otherwise: PIL.Image.Image | None
) -> PIL.Image.Image | None:
    """``then`` where ``condition`` holds, else ``otherwise`` (images)."""
    return then if condition else otherwise


_BY_TYPE: tuple[tuple[Callable[[ts.ColumnType], bool], pxt.Function], ...] = (
    (ts.ColumnType.is_string_type, if_else_string),
    (ts.ColumnType.is_int_type, if_else_int),
    (ts.ColumnType.is_float_type, if_else_float),
    (ts.ColumnType.is_bool_type, if_else_bool),
    (ts.ColumnType.is_json_type, if_else_json),
    (ts.ColumnType.is_image_type, if_else_image),
)
"""The ``if_else_<type>`` UDF for each result type, in the order they are tried."""


def _expr(value: Any, what: str) -> exprs.Expr:
    expr = exprs.Expr.from_object(value)
    if expr is None:
        raise InvalidRequestError(f'The {what} value {value!r} is not a Pixeltable expression or a constant.')
    return expr


def _is_null(expr: exprs.Expr) -> bool:
    return isinstance(expr, exprs.Literal) and expr.val is None


def _result_type(then: exprs.Expr, otherwise: exprs.Expr) -> ts.ColumnType:
    if _is_null(then) and _is_null(otherwise):
        raise InvalidRequestError('when(): `then` and `otherwise` cannot both be None.')
    if _is_null(then):
        return otherwise.col_type
    if _is_null(otherwise):
        return then.col_type
    common = then.col_type.supertype(otherwise.col_type)
    if common is None:
        if then.col_type.is_json_type() or otherwise.col_type.is_json_type():
            return ts.JsonType(nullable=True)
        raise InvalidRequestError(
            f'when(): `then` has type {then.col_type} and `otherwise` has type {otherwise.col_type}; '
            'they have no common type.',
            hint='Make both the same type, e.g. both strings.',
        )
    return common


def if_else(condition: Any, then: Any, otherwise: Any) -> exprs.Expr:
    """An expression that is ``then`` where ``condition`` holds and ``otherwise`` elsewhere (also where it is null).

    Args:
        condition: A boolean Pixeltable expression.
        then: An expression or constant.
        otherwise: An expression or constant of a compatible type.

    Returns:
        A call of the ``if_else_<type>`` UDF of this module that fits the values' common type.

    Raises:
        InvalidRequestError: If the condition is not boolean or the values have no common supported type.

    Example:
        >>> e = if_else(t.score > 0.5, 'keep', 'drop')  # doctest: +SKIP
    """
    cond = _expr(condition, 'condition')
    if not cond.col_type.is_bool_type():
        raise InvalidRequestError(f'when(): the condition must be boolean, not {cond.col_type}.')
    then_expr, otherwise_expr = _expr(then, '`then`'), _expr(otherwise, '`otherwise`')
    result = _result_type(then_expr, otherwise_expr)
    udf = next((fn for is_type, fn in _BY_TYPE if is_type(result)), None)
    if udf is None:
        raise InvalidRequestError(
            f'when(): values of type {result} are not supported.',
            hint='Supported: strings, integers, floats, booleans, JSON and images.',
        )
    return udf(cond, then_expr, otherwise_expr)


class When:
    """The builder returned by :func:`when`; call ``.then(value)`` next."""

    def __init__(self, branches: tuple[tuple[Any, Any], ...], condition: Any) -> None:
        self._branches = branches
        self._condition = condition

    def then(self, value: Any) -> Then:
        """The value where the condition holds.

        Example:
            >>> when(t.n > 0).then('some')  # doctest: +SKIP
        """
        return Then((*self._branches, (self._condition, value)))


class Then:
    """A chain of ``(condition, value)`` branches; finish it with ``.otherwise(value)``."""

    def __init__(self, branches: tuple[tuple[Any, Any], ...]) -> None:
        self._branches = branches

    def when(self, condition: Any) -> When:
        """Add another condition, tried when the earlier ones do not hold.

        Example:
            >>> when(t.n > 9).then('many').when(t.n > 0).then('some').otherwise('none')  # doctest: +SKIP
        """
        return When(self._branches, condition)

    def otherwise(self, value: Any) -> exprs.Expr:
        """The value where no condition holds; returns the finished Pixeltable expression.

        Example:
            >>> when(t.n > 0).then('some').otherwise('none')  # doctest: +SKIP
        """
        result = value
        for condition, branch_value in reversed(self._branches):
            result = if_else(condition, branch_value, result)
        return _expr(result, '`otherwise`')


def when(condition: Any) -> When:
    """Start a conditional expression: ``when(condition).then(x).otherwise(y)``.

    Args:
        condition: A boolean Pixeltable expression.

    Returns:
        A builder; ``.then(x)`` and ``.otherwise(y)`` finish it.

    Example:
        >>> t.add_computed_column(label=when(t.n_faces > 0).then('face').otherwise('none'))  # doctest: +SKIP
    """
    return When((), condition)
