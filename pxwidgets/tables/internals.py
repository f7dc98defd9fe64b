"""The one place pxwidgets reaches into Pixeltable 0.7.21's private API, and works around its known faults.

Everything else in pxwidgets uses Pixeltable's public API and the functions here. When Pixeltable changes, this is
the module to fix. What is here, and why:

- ``get_metadata()`` raises ``KeyError: <Type.ARRAY: 6>`` once a table has an embedding index over an Array column,
  and it costs several catalog round trips (and loads the embedding model when an index is described):
  :func:`table_metadata` falls back to :func:`fallback_metadata`, and :func:`column_facts` reads the column objects.
- A view's filter and iterator call exist as expressions only in the table version (``view_definition``).
- ``count()`` refuses queries filtered by a media column's ``errortype`` when that column is validated on read
  ("query plan contains a non-SQL node"): :func:`count_rows_of` counts those rows another way.
- The table version, id and path of a handle (for caches keyed by version).
- One read transaction around several queries (``read_transaction``): each query otherwise revalidates the catalog.
- Identifier rules and operator enums, from Pixeltable's internal modules.
- The store rows of a data-versioned table (``store_of``, ``connect``): Pixeltable has no public row identity and
  no diff, but its store never changes a row in place: every row version is a store row ``(rowid…, v_min, v_max,
  col_0, …)`` live at table version ``V`` when ``v_min <= V < v_max``, so the rows that differ between versions
  ``a < b`` are those expired in ``(a, b]`` and those born in ``(a, b]``, matched on the rowid (see
  ``pxwidgets.patterns.versioned.rowdiff``).

Example:
    >>> md = table_metadata(pxt.get_table('demo/frames'))  # doctest: +SKIP
    >>> md['columns']['frame']['is_stored']  # doctest: +SKIP
    False
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pixeltable as pxt
import sqlalchemy as sql
from pixeltable import exprs, func
from pixeltable import type_system as ts
from pixeltable.catalog.globals import fold_identifier, is_system_column_name, is_valid_identifier
from pixeltable.exprs.globals import ArithmeticOperator, ComparisonOperator, LogicalOperator, StringOperator

from pxwidgets.errors import InvalidRequestError

__all__ = [
    'ArithmeticOperator',
    'ColumnFacts',
    'ComparisonOperator',
    'LogicalOperator',
    'StoreColumn',
    'StoreFacts',
    'StringOperator',
    'ViewDefinition',
    'column_facts',
    'connect',
    'count_rows_of',
    'fallback_metadata',
    'fold_identifier',
    'is_system_column_name',
    'is_valid_identifier',
    'lineage_ids',
    'read_transaction',
    'store_of',
    'table_id',
    'table_kind',
    'table_metadata',
    'table_path',
    'table_version',
    'try_table_metadata',
    'type_enum',
    'type_kind',
    'view_definition',
]


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


def count_rows_of(query: Any, *, probe: Any) -> int:
    """``query.count()``, or the number of rows of ``query.select(probe)`` where Pixeltable cannot count in SQL.

    Pixeltable 0.7.21 refuses ``count()`` on a query filtered by a media column's ``errortype`` when that column is
    validated on read ("query plan contains a non-SQL node").
    """
    try:
        return int(query.count())
    except pxt.Error as exc:
        if 'non-SQL node' not in str(exc):
            raise
        return len(query.select(probe).collect())


# ---- the store rows of a data-versioned table (row diffs between versions) ------------------------------------


@dataclass(frozen=True)
class StoreColumn:
    """A user column of one table version, as the store keeps it."""

    id: int
    name: str
    type_text: str
    kind: str  # 'image', 'string', 'json', … (lower-case type family)
    is_media: bool
    is_stored: bool
    is_computed: bool
    store_name: str | None  # None when the column is not stored (computed on read)
    cellmd_name: str | None = None
    """The store column of the cell's metadata: its error, or the file of an array/JSON value kept outside the
    database (the value column is NULL then)."""


@dataclass(frozen=True)
class StoreFacts:
    """What a row diff needs about one table: its store table, rowid columns and the columns of a version."""

    table: sql.Table
    rowid_columns: list[str]
    data_versioned: bool
    is_view: bool
    columns: list[StoreColumn]

    def column(self, name: str) -> sql.ColumnElement[Any]:
        return self.table.c[name]


def _user_columns(tbl: pxt.Table, own_only: bool) -> list[StoreColumn]:
    tvp = tbl._tbl_version_path
    own = tvp.tbl_version.get()
    out = []
    for col in tvp.columns():
        if col.name is None:
            continue
        if own_only and col.get_tbl().id != own.id:
            continue
        kind = type_kind(col.col_type)
        stored = bool(col.is_stored)
        out.append(
            StoreColumn(
                id=int(col.id),
                name=str(col.name),
                type_text=str(col.col_type),
                kind=kind,
                is_media=bool(col.col_type.is_media_type()),
                is_stored=stored,
                is_computed=bool(col.is_computed),
                store_name=col.store_name() if stored else None,
                cellmd_name=col.cellmd_store_name() if stored and col.stores_cellmd else None,
            )
        )
    return out


def store_of(tbl: pxt.Table) -> StoreFacts:
    """The store facts of a table handle (a versioned handle ``'dir/t:N'`` gives that version's columns)."""
    tv = tbl._tbl_version_path.tbl_version.get()
    store = tv.store_tbl
    assert store is not None and store.sa_tbl is not None
    sa_tbl = store.sa_tbl
    return StoreFacts(
        table=sa_tbl,
        rowid_columns=[c.name for c in store.rowid_columns()],
        data_versioned=bool(tv.is_data_versioned),
        is_view=bool(tv.is_view),
        columns=[
            c if c.cellmd_name is None or c.cellmd_name in sa_tbl.c else dataclasses.replace(c, cellmd_name=None)
            for c in _user_columns(tbl, own_only=True)
            if c.store_name is None or c.store_name in sa_tbl.c
        ],
    )


def connect() -> sql.engine.Connection:
    """A read-only connection to Pixeltable's database (the caller closes it)."""
    from pixeltable.env import Env

    return Env.get().engine.connect()


# ---- one read transaction around several queries ----------------------------------------------------------------


@contextlib.contextmanager
def read_transaction(tables: Sequence[pxt.Table]) -> Iterator[None]:
    """One read-only catalog transaction around the block, over ``tables`` (their metadata is refreshed first).

    Without it every column reference of every query re-validates the catalog (~100 ms for a similarity query over
    one level here, ~12 ms inside it). Every table the block reads must be listed (or be a base of one listed):
    Pixeltable refuses to load changed metadata in the middle of a transaction.

    Example:
        >>> with read_transaction([sections, paragraphs]):  # doctest: +SKIP
        ...     hits = [level.order_by(sim).limit(5).collect() for level in (sections, paragraphs)]
    """
    from pixeltable.runtime import get_runtime

    paths = [cast(Any, t)._tbl_version_path for t in tables]  # typed as a column lookup by Table.__getattr__
    with get_runtime().catalog.begin_xact(for_write=False, read_tvps=paths):
        yield


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
