"""Server-side row filters: validated against the table's columns, turned into Pixeltable predicates.

Example:
    >>> f = Filter('n', '>', 3)
    >>> f.to_code('t')
    't.n > 3'
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.columns import ColumnSpec, column_by_name

COMPARISONS = ('==', '!=', '<', '<=', '>', '>=')
STRING_OPS = ('contains', 'startswith')
NULL_OPS = ('is_null', 'not_null')
FILTER_OPS = COMPARISONS + STRING_OPS + NULL_OPS

_ORDERED_KINDS = {'int', 'float', 'timestamp', 'date', 'string'}


@dataclass(frozen=True)
class Filter:
    """``column op value``; ``value`` is ignored for ``is_null`` / ``not_null``."""

    column: str
    op: str
    value: Any = None

    @classmethod
    def from_dict(cls, raw: Any) -> Filter:
        if not isinstance(raw, dict) or not isinstance(raw.get('column'), str) or not isinstance(raw.get('op'), str):
            raise InvalidRequestError('A filter needs a column name, an operator and (for most operators) a value.')
        value = raw.get('value')
        if value is not None and not isinstance(value, str | int | float):  # bool is an int
            raise InvalidRequestError(f'A filter value is a string, a number or a boolean, not {type(value).__name__}.')
        return cls(raw['column'], raw['op'], value)

    def validated(self, columns: Sequence[ColumnSpec]) -> Filter:
        """Check the column exists, the operator fits its type and the value has that type; return a coerced copy."""
        spec = column_by_name(list(columns), self.column)
        if spec is None:
            names = ', '.join(c.name for c in columns)
            raise InvalidRequestError(f'Unknown column {self.column!r} in filter.', hint=f'Columns: {names}.')
        if self.op not in FILTER_OPS:
            raise InvalidRequestError(
                f'Unknown filter operator {self.op!r}.', hint=f'Use one of: {", ".join(FILTER_OPS)}.'
            )
        if self.op in NULL_OPS:
            return Filter(self.column, self.op, None)
        if self.op in STRING_OPS and spec.kind != 'string':
            raise InvalidRequestError(f'{self.op!r} applies to text columns; {self.column!r} is {spec.type_text}.')
        if self.op in ('<', '<=', '>', '>=') and spec.kind not in _ORDERED_KINDS:
            raise InvalidRequestError(f'{self.column!r} ({spec.type_text}) cannot be compared with {self.op!r}.')
        if spec.kind not in _ORDERED_KINDS | {'bool'}:
            raise InvalidRequestError(
                f'{self.column!r} ({spec.type_text}) can only be filtered with is_null / not_null.'
            )
        return Filter(self.column, self.op, _coerce(self.value, spec))

    def to_expr(self, table: pxt.Table) -> Any:
        col = table[self.column]
        ops = {
            '==': lambda: col == self.value,
            '!=': lambda: col != self.value,
            '<': lambda: col < self.value,
            '<=': lambda: col <= self.value,
            '>': lambda: col > self.value,
            '>=': lambda: col >= self.value,
            'contains': lambda: col.contains(self.value),
            'startswith': lambda: col.startswith(self.value),
            'is_null': lambda: col == None,  # noqa: E711 - Pixeltable builds an IS NULL predicate from this
            'not_null': lambda: col != None,  # noqa: E711
        }
        return ops[self.op]()

    def to_code(self, var: str) -> str:
        col = f'{var}.{self.column}' if self.column.isidentifier() else f'{var}[{self.column!r}]'
        if self.op == 'is_null':
            return f'{col} == None'
        if self.op == 'not_null':
            return f'{col} != None'
        if self.op in STRING_OPS:
            return f'{col}.{self.op}({self.value!r})'
        value = (
            f'datetime.datetime.fromisoformat({self.value.isoformat()!r})'
            if isinstance(self.value, datetime.datetime)
            else repr(self.value)
        )
        return f'{col} {self.op} {value}'


def _coerce(value: Any, spec: ColumnSpec) -> Any:
    kind = spec.kind
    wrong = InvalidRequestError(
        f'{value!r} is not a valid value for {spec.name!r} ({spec.type_text}).',
    )
    if value is None:
        raise InvalidRequestError(f'The filter on {spec.name!r} needs a value (or use is_null / not_null).')
    if kind == 'int':
        if isinstance(value, bool):
            raise wrong
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise wrong from None
        raise wrong
    if kind == 'float':
        if isinstance(value, bool):
            raise wrong
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise wrong from None
        raise wrong
    if kind == 'bool':
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ('true', 'false'):
            return value.strip().lower() == 'true'
        raise wrong
    if kind == 'string':
        if not isinstance(value, str):
            raise wrong
        return value
    if kind in ('timestamp', 'date'):
        if not isinstance(value, str):
            raise wrong
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidRequestError(
                f'{value!r} is not a valid value for {spec.name!r} ({spec.type_text}).',
                hint='Write dates as ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:30:00.',
            ) from None
        return parsed.date() if kind == 'date' else parsed
    raise wrong
