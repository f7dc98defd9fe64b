"""Describe a table's columns for display, robustly.

``get_metadata()`` raises on some tables (an embedding index over an Array column, see the notes), and a computed
column whose UDF was defined in a notebook that has since restarted is still listed but cannot be evaluated. Both
must be shown, not crash the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

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
    defined_in: str | None
    problem: str | None
    """Why the column cannot be computed any more (e.g. its UDF is gone after a kernel restart), with the fix."""

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


def describe_columns(table: pxt.Table) -> list[ColumnSpec]:
    """The table's columns (its base's included), in display order, with any problem each one has.

    Works on tables whose ``get_metadata()`` raises: it reads the column objects directly.
    """
    md_cols: dict[str, Any] = {}
    try:
        md_cols = dict(table.get_metadata()['columns'])
    except Exception:  # Pixeltable cannot describe some tables (embedding index on an Array column)
        md_cols = {}
    specs = []
    for col in table._tbl_version_path.columns():
        if col.name is None:
            continue
        md = md_cols.get(col.name, {})
        col_type = col.col_type
        specs.append(
            ColumnSpec(
                name=col.name,
                kind=col_type._type.name.lower(),
                type_text=str(col_type),
                nullable=bool(col_type.nullable),
                computed_with=md.get('computed_with') or (str(col.value_expr) if col.value_expr is not None else None),
                is_stored=bool(col.is_stored),
                is_computed=col.value_expr is not None or bool(md.get('is_computed')),
                is_iterator_col=bool(md.get('is_iterator_col', False)),
                defined_in=md.get('defined_in'),
                problem=_broken_udf_problem(col.value_expr),
            )
        )
    return specs


def column_by_name(specs: list[ColumnSpec], name: str) -> ColumnSpec | None:
    return next((c for c in specs if c.name == name), None)
