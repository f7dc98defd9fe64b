"""Describe a table's columns for display, robustly.

``get_metadata()`` raises on some tables (an embedding index over an Array column, see the notes), and a computed
column whose UDF was defined in a notebook that has since restarted is still listed but cannot be evaluated. Both
must be shown, not crash the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.tables.internals import column_facts, type_kind

MEDIA_KINDS = frozenset({'image', 'video', 'audio', 'document'})
SORTABLE_KINDS = frozenset({'string', 'int', 'float', 'bool', 'timestamp', 'date', 'uuid'})


@dataclass(frozen=True)
class ColumnSpec:
    """One column as a browser shows it.

    Example:
        >>> [c.name for c in describe_columns(pxt.get_table('demo/photos'))]  # doctest: +SKIP
        ['image', 'title']
    """

    name: str
    kind: str
    """'string', 'int', 'float', 'bool', 'timestamp', 'date', 'json', 'array', 'image', 'video', 'audio', ..."""
    type_text: str
    nullable: bool
    computed_with: str | None
    is_stored: bool
    is_computed: bool
    is_iterator_col: bool
    problem: str | None
    """Why the column cannot be computed any more (e.g. its UDF is gone after a kernel restart), with the fix."""
    is_pk: bool = False
    """Part of the table's primary key."""

    @property
    def sortable(self) -> bool:
        return self.kind in SORTABLE_KINDS

    @property
    def is_media(self) -> bool:
        return self.kind in MEDIA_KINDS

    @property
    def records_errors(self) -> bool:
        """Whether Pixeltable keeps ``errortype``/``errormsg`` for this column (stored computed values)."""
        return self.is_computed and self.is_stored

    def to_dict(self) -> dict[str, Any]:
        return {
            'name': self.name,
            'type': self.kind,
            'type_text': self.type_text,
            'computed_with': self.computed_with,
            'is_stored': self.is_stored,
            'is_computed': self.is_computed,
            'sortable': self.sortable,
            'problem': self.problem,
        }


def _broken_udf_problem(value_expr: Any) -> str | None:
    if value_expr is None or getattr(value_expr, 'is_valid', True):
        return None
    detail = ''
    err = getattr(value_expr, 'validation_error', None)
    if err is not None and hasattr(err, 'catalog_error_msg'):
        detail = ' '.join(str(err.catalog_error_msg()).split())
    text = str(value_expr)
    fix = (
        'Existing values can still be read, but inserts into this table fail until it is fixed: define the UDF again '
        'before loading the table (better: move it into an importable module), or drop this column.'
    )
    if '__main__.' in text:
        fix = (
            'The UDF was defined in a notebook cell, so it did not survive the kernel restart. '
            'Run the cell that defines it before opening the table, or move it into a .py module and recreate the '
            'column; otherwise drop the column. Until then, inserts into this table fail.'
        )
    return f'{detail} {fix}'.strip()


def _expression_text(value_expr: Any) -> str | None:
    if value_expr is None:
        return None
    try:
        return str(value_expr.display_str(inline=False))
    except Exception:
        return str(value_expr)


def describe_columns(table: pxt.Table) -> list[ColumnSpec]:
    """The table's columns (its base's included), in display order, with any problem each one has.

    Reads the column objects of the handle (as ``get_metadata()`` does, without its catalog round trips, and without
    its ``KeyError`` on tables with an embedding index over an Array column).
    """
    return [
        ColumnSpec(
            name=fact.name,
            kind=type_kind(fact.col_type),
            type_text=str(fact.col_type),
            nullable=bool(fact.col_type.nullable),
            computed_with=_expression_text(fact.value_expr),
            is_stored=fact.is_stored,
            is_computed=fact.value_expr is not None,
            is_iterator_col=fact.is_iterator_col,
            problem=_broken_udf_problem(fact.value_expr),
            is_pk=fact.is_pk,
        )
        for fact in column_facts(table)
    ]


def column_by_name(specs: list[ColumnSpec], name: str) -> ColumnSpec | None:
    return next((c for c in specs if c.name == name), None)
