"""Facts a Pixeltable handle holds without a catalog round trip: path, id, version, kind, view definition,
indexes, the rowid columns (Pixeltable's own row order), and a query rebuilt in one piece.

Example:
    >>> table_version(pxt.get_table('demo/frames'))  # doctest: +SKIP
    3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pixeltable as pxt
from pixeltable import exprs, func
from pixeltable import type_system as ts


def _version_obj(tbl: pxt.Table) -> Any:
    return tbl._tbl_version_path.tbl_version.get()


def table_path(tbl: pxt.Table) -> str:
    """The catalog path of a handle (``'dir/name'``; a version handle keeps its ``:N``)."""
    return str(tbl._path())


def table_id(tbl: pxt.Table) -> str:
    """The table's catalog id (stable across renames; a view and its base differ)."""
    return str(tbl._id)


def lineage_ids(tbl: pxt.Table) -> set[str]:
    """The ids of a table and of every table it is a view of (their columns are its columns too)."""
    ids = set()
    current: pxt.Table | None = tbl
    while current is not None:
        ids.add(table_id(current))
        current = current.get_base_table()
    return ids


def table_version(tbl: pxt.Table) -> int:
    """The table's current version number, without a catalog round trip."""
    return int(_version_obj(tbl).version)


def table_kind(tbl: pxt.Table) -> str:
    """``'table'``, ``'view'`` or ``'snapshot'``."""
    version = _version_obj(tbl)
    return 'snapshot' if version.is_snapshot else 'view' if version.is_view else 'table'


def type_enum(col_type: ts.ColumnType) -> ts.ColumnType.Type:
    """A column type's ``ColumnType.Type`` member."""
    return col_type._type


def type_kind(col_type: ts.ColumnType) -> str:
    """A column type's family in lower case: ``'image'``, ``'string'``, ``'array'``, ``'json'``, …"""
    return str(col_type._type.name.lower())


def rowid_refs(tbl: pxt.Table) -> list[exprs.Expr]:
    """The rowid columns of a handle, as expressions (Pixeltable's own row order: insertion order within a table).

    Together they identify a row of the table (or view) and are indexed (the store's primary key), so
    ``order_by(*refs)`` is cheap and ``where(ref > last)`` seeks.

    Example:
        >>> t.order_by(*rowid_refs(t)).limit(5).collect()  # doctest: +SKIP
    """
    handle = tbl._tbl_version_path.tbl_version
    return [exprs.RowidRef(handle, i) for i in range(handle.get().num_rowid_columns())]


def requery(query: Any, *, where: exprs.Expr | None, order_by: list[tuple[exprs.Expr, bool]]) -> Any:
    """``query`` (a select over one table, no where/order yet or replaced here) with another where clause and order,
    built as one query object.

    The public chain ``t.where(…).order_by(…).order_by(…).select(…)`` constructs a query object per call, and each
    construction checks in the catalog that its table still exists (a round trip each): a page fetched by key would
    otherwise pay five of them before its one real query.
    """
    return type(query)(
        from_clause=query._from_clause,
        select_list=query.select_list,
        where_clause=where,
        order_by_clause=order_by,
    )


@dataclass
class ViewDefinition:
    """How a view is made: its filter, its iterator call, its sample clause (each may be absent)."""

    predicate: exprs.Expr | None = None
    iterator: func.GeneratingFunctionCall | None = None
    sample: str | None = None


def view_definition(tbl: pxt.Table) -> ViewDefinition:
    """A view's filter and iterator call as Pixeltable objects (empty for a base table)."""
    tv = _version_obj(tbl)
    sample = getattr(tv, 'sample_clause', None)
    return ViewDefinition(
        predicate=getattr(tv, 'predicate', None),
        iterator=getattr(tv, 'iterator_call', None),
        sample=None if sample is None else str(sample),
    )


def index_names(tbl: pxt.Table) -> set[str]:
    """The names of a table's own indexes, read from its handle (no index is described, no model loaded)."""
    return set(tbl._tbl_version_path.tbl_version.get().idxs_by_name)


def index_function(tbl: pxt.Table, index_name: str) -> Any:
    """The string embedding function of one of a table's embedding indexes (what embeds a similarity query)."""
    from pixeltable.type_system import ColumnType

    tv = tbl._tbl_version_path.tbl_version.get()
    info = tv.idxs_by_name.get(index_name)
    if info is None:
        raise LookupError(f'{table_path(tbl)} has no index {index_name!r}')
    return cast(Any, info.idx).embeddings[ColumnType.Type.STRING]


@dataclass(frozen=True)
class ViewFacts:
    """What a row diff of a view or snapshot needs: what it is, and the base version a handle of it sees."""

    kind: str
    """``'view'`` (a filtered or plain view), ``'component'`` (an iterator's view), ``'snapshot'`` (a snapshot
    with its own columns or filter) or ``'pure_snapshot'`` (no store of its own: the base at one version)."""
    base_path: str
    base_version: int
    """The base table's version this handle sees (for a view at version N: the base's version then)."""


def view_facts(tbl: pxt.Table) -> ViewFacts | None:
    """``None`` for a base table (the store facts of a view hold only its own columns; its rows follow from the
    base's)."""
    tvp = tbl._tbl_version_path
    tv = tvp.tbl_version.get()
    if tvp.base is None and not tv.is_snapshot:
        return None
    base_path = str(tbl.get_metadata().get('base') or '').split(':', 1)[0]
    if tvp.base is None:  # a pure snapshot: the base's own version, pinned
        return ViewFacts('pure_snapshot', base_path or tv.name, int(tvp.tbl_version.effective_version or tv.version))
    base = tvp.base.tbl_version
    version = base.effective_version
    kind = 'component' if tv.is_component_view else 'snapshot' if tv.is_snapshot else 'view'
    return ViewFacts(kind, base_path, int(version if version is not None else base.get().version))
