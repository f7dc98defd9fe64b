"""A table's metadata in ``get_metadata()``'s shape, read from the handle's column objects (no index described, no
model loaded, no ``KeyError`` on an index over an Array column).

Example:
    >>> table_metadata(pxt.get_table('demo/frames'))['columns']['frame']['is_stored']  # doctest: +SKIP
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pixeltable as pxt
from pixeltable import exprs
from pixeltable import type_system as ts

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.internals.handles import table_path, view_definition


@dataclass(frozen=True)
class ColumnFacts:
    """One column of a handle, read from the column object (no catalog round trip)."""

    name: str
    col_type: ts.ColumnType
    value_expr: exprs.Expr | None
    is_stored: bool
    is_iterator_col: bool
    is_pk: bool
    defined_in: str
    custom_metadata: Any
    comment: str | None
    version_added: int


def _level_names(tvp: Any) -> dict[Any, str]:
    """The name of each table along a version path (the view, its base, …), by table id: one lookup per level."""
    names: dict[Any, str] = {}
    level = tvp
    while level is not None:
        names[level.tbl_id] = str(level.tbl_version.get().name)
        level = level.base
    return names


def column_facts(tbl: pxt.Table) -> list[ColumnFacts]:
    """Every column of a handle (its bases' included), in display order.

    Unlike ``get_metadata()`` this never raises on embedding indexes, never loads a model, and looks each table of the
    chain up once (not once per column).
    """
    tvp = tbl._tbl_version_path
    version = tvp.tbl_version.get()
    names = _level_names(tvp)
    facts = []
    for col in tvp.columns():
        if col.name is None:
            continue
        try:
            is_iterator_col = version.iterator_call is not None and bool(version.is_iterator_column(col))
        except Exception:
            is_iterator_col = False
        owner = names.get(col.tbl_handle.id)
        facts.append(
            ColumnFacts(
                name=col.name,
                col_type=col.col_type,
                value_expr=col.value_expr if col.is_computed else None,
                is_stored=bool(col.is_stored),
                is_iterator_col=is_iterator_col,
                is_pk=bool(col.is_pk),
                defined_in=owner if owner is not None else str(col.get_tbl().name),
                custom_metadata=col.custom_metadata,
                comment=col.comment,
                version_added=int(col.schema_version_add),
            )
        )
    return facts


def fallback_metadata(tbl: pxt.Table) -> dict[str, Any]:
    """The parts of ``get_metadata()`` pxwidgets needs, read from the handle (never describes indexes)."""
    tvp = tbl._tbl_version_path
    base = tbl.get_base_table()
    columns: dict[str, dict[str, Any]] = {}
    facts = column_facts(tbl)
    for fact in facts:
        columns[fact.name] = {
            'name': fact.name,
            'type_': repr(fact.col_type),
            'version_added': fact.version_added,
            'is_stored': fact.is_stored,
            'is_computed': fact.value_expr is not None,
            'computed_with': fact.value_expr.display_str(inline=False) if fact.value_expr is not None else None,
            'defined_in': fact.defined_in,
            'comment': fact.comment,
            'custom_metadata': fact.custom_metadata,
            'is_iterator_col': fact.is_iterator_col,
        }
    is_snapshot = bool(tvp.is_snapshot())
    definition = view_definition(tbl)
    return {
        'id': tbl._id,
        'name': tbl._name(),
        'path': table_path(tbl),
        'kind': 'snapshot' if is_snapshot else ('view' if base is not None else 'table'),
        'is_snapshot': is_snapshot,
        'base': None if base is None else table_path(base),
        'columns': columns,
        'comment': tbl._get_comment(),
        'custom_metadata': tbl._get_custom_metadata(),
        'primary_key': [f.name for f in facts if f.is_pk] or None,
        'version': tbl._get_version(),
        'iterator_call': definition.iterator.display_str() if definition.iterator is not None else None,
        'view_filter': str(definition.predicate) if definition.predicate is not None else None,
    }


def try_table_metadata(tbl: pxt.Table) -> tuple[dict[str, Any] | None, str | None]:
    """``(metadata, None)``, or ``(None, why)`` where Pixeltable cannot describe the table at all.

    Read from the handle first (:func:`fallback_metadata`): ``get_metadata()`` describes every embedding index by
    calling its embedding function, which loads the model (seconds, for a panel that only shows metadata), and raises
    ``KeyError`` on an index over an Array column. ``get_metadata()`` is the fallback.
    """
    try:
        return fallback_metadata(tbl), None
    except Exception as exc:
        try:
            return dict(tbl.get_metadata()), None
        except Exception:
            return None, f'Pixeltable could not describe this table ({type(exc).__name__}: {exc}).'


def table_metadata(tbl: pxt.Table) -> dict[str, Any]:
    """The table's metadata in ``get_metadata()``'s shape, without describing indexes (see :func:`try_table_metadata`).

    Raises:
        InvalidRequestError: If neither works.

    Example:
        >>> table_metadata(pxt.get_table('demo/frames'))['kind']  # doctest: +SKIP
        'view'
    """
    md, error = try_table_metadata(tbl)
    if md is None:
        raise InvalidRequestError(error or 'Pixeltable could not describe this table.')
    return md
