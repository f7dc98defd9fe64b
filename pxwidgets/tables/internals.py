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
- Pixeltable's own row order: a table's rows have no public identity, but every store row has a rowid (one or more
  integer columns; an iterator view adds its position). :func:`rowid_refs` gives them as expressions that
  ``where()``, ``order_by()`` and ``select()`` accept, so pages of a table without a primary key can be fetched by
  key (``where(rowid > last)``) rather than by ``OFFSET``.
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
import uuid
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
    'StoredCatalog',
    'StoredColumn',
    'StoredTable',
    'StringOperator',
    'ViewDefinition',
    'catalog_fingerprint',
    'column_facts',
    'connect',
    'count_live_rows',
    'count_live_rows_where',
    'count_rows_of',
    'fallback_metadata',
    'fold_identifier',
    'is_system_column_name',
    'is_valid_identifier',
    'lineage_ids',
    'read_catalog',
    'read_transaction',
    'requery',
    'rowid_refs',
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


# ---- the catalog as Pixeltable stores it (for listing many tables without opening any) ---------------------------


@dataclass(frozen=True)
class StoredColumn:
    """A user column of a table's current schema, as the catalog stores it (the table's own columns only).

    Attributes:
        id: The column's id in its table (its store column is ``col_<id>`` when it is stored).
        name: The column's name.
        type: Its type family in lower case (``'int'``, ``'string'``, ``'image'``, ``'document'``, …).
        nullable: Whether it accepts ``None``.
        stored: Whether its values are stored.
        computed: Whether it is a computed column.
        functions: The paths of the functions its expression calls (``'pkg.module.fn'``), as stored.
        custom_metadata: Its ``custom_metadata``.
    """

    id: int
    name: str
    type: str
    nullable: bool
    stored: bool
    computed: bool
    functions: tuple[str, ...]
    custom_metadata: Any


@dataclass(frozen=True)
class StoredTable:
    """One live table, view or snapshot, read from the catalog's own tables (no handle is opened).

    Attributes:
        id: The table id (``str(uuid)``).
        path: Its catalog path (``'dir/name'``).
        kind: ``'table'``, ``'view'`` or ``'snapshot'``.
        base_id: The id of the table it is a view (or snapshot) of, or ``None``.
        iterator: The path of its iterator (``'pixeltable.functions.video.frame_iterator'``), or ``None``.
        filtered: Whether it is a filtered view.
        columns: Its own user columns (a view's base columns are its base's).
        custom_metadata: Its table-level ``custom_metadata``.
        indexes: The names of its indexes.
        functions: The paths of every function its columns, indexes and iterator call (index columns included).
        version: Its current version.
        changed_at: When that version was made (seconds since the epoch).
        data_versioned: Whether its store keeps row versions (``v_min``/``v_max``).
        live: Whether no operation is pending on it.
    """

    id: str
    path: str
    kind: str
    base_id: str | None
    iterator: str | None
    filtered: bool
    columns: tuple[StoredColumn, ...]
    custom_metadata: Any
    indexes: tuple[str, ...]
    functions: tuple[str, ...]
    version: int
    changed_at: float
    data_versioned: bool
    live: bool


@dataclass(frozen=True)
class StoredCatalog:
    """Every directory and live table of the catalog, as stored (see :func:`read_catalog`)."""

    dirs: tuple[str, ...]
    tables: tuple[StoredTable, ...]


def _function_paths(node: Any, found: list[str]) -> None:
    """Collect ``fn.path`` (UDFs) and ``fn.fqn`` (iterators) from a serialized expression, depth first."""
    if isinstance(node, dict):
        fn = node.get('fn')
        if isinstance(fn, dict):
            path = fn.get('path') or fn.get('fqn')
            if isinstance(path, str) and path not in found:
                found.append(path)
        for value in node.values():
            _function_paths(value, found)
    elif isinstance(node, list):
        for value in node:
            _function_paths(value, found)


def _paths(dirs: dict[str, tuple[str | None, str]]) -> dict[str, str]:
    """The path of each directory id (the root directory is ``''``)."""
    out: dict[str, str] = {}

    def path_of(dir_id: str) -> str:
        if dir_id in out:
            return out[dir_id]
        parent, name = dirs[dir_id]
        path = '' if parent is None else (f'{path_of(parent)}/{name}' if path_of(parent) else name)
        out[dir_id] = path
        return path

    for dir_id in dirs:
        path_of(dir_id)
    return out


_CATALOG_QUERY = sql.text(
    """
    SELECT t.id, t.dir_id, t.md, s.md -> 'columns', s.md -> 'custom_metadata', v.md -> 'created_at'
    FROM tables t
    JOIN tableschemaversions s ON s.tbl_id = t.id AND s.schema_version = (t.md ->> 'current_schema_version')::bigint
    LEFT JOIN tableversions v ON v.tbl_id = t.id AND v.version = (t.md ->> 'current_version')::bigint
    WHERE t.dir_id IS NOT NULL
    """
)


def _stored_table(row: Any, dir_paths: dict[str, str]) -> StoredTable:
    tbl_id, dir_id, md, columns_md, custom_md, created_at = row
    view_md = md.get('view_md')
    dir_path = dir_paths.get(str(dir_id), '')
    name = str(md['name'])
    functions: list[str] = []
    columns = []
    column_md = md.get('column_md') or {}
    dropped = {str(k) for k, c in column_md.items() if c.get('schema_version_drop') is not None}
    for col_id, col in (columns_md or {}).items():
        if str(col_id) in dropped:
            continue
        col_functions: list[str] = []
        _function_paths(col.get('value_expr'), col_functions)
        functions.extend(f for f in col_functions if f not in functions)
        if col.get('name') is None:  # an index's value column
            continue
        columns.append(
            StoredColumn(
                id=int(col_id),
                name=str(col['name']),
                type=str((col.get('col_type') or {}).get('_classname', '')).removesuffix('Type').lower(),
                nullable=bool((col.get('col_type') or {}).get('nullable', True)),
                stored=bool((column_md.get(str(col_id)) or {}).get('stored')),
                computed=col.get('value_expr') is not None,
                functions=tuple(col_functions),
                custom_metadata=col.get('custom_metadata'),
            )
        )
    iterator = None
    if view_md is not None and view_md.get('iterator_call') is not None:
        iterator_functions: list[str] = []
        _function_paths(view_md['iterator_call'], iterator_functions)
        functions.extend(f for f in iterator_functions if f not in functions)
        iterator = iterator_functions[0] if iterator_functions else 'iterator'
    base_versions = (view_md or {}).get('base_versions') or []
    indexes = tuple(
        str(idx['name']) for idx in (md.get('index_md') or {}).values() if idx.get('schema_version_drop') is None
    )
    return StoredTable(
        id=str(tbl_id),
        path=f'{dir_path}/{name}' if dir_path else name,
        kind='table' if view_md is None else ('snapshot' if view_md.get('is_snapshot') else 'view'),
        base_id=str(uuid.UUID(str(base_versions[0][0]))) if base_versions else None,
        iterator=iterator,
        filtered=view_md is not None and view_md.get('predicate') is not None,
        columns=tuple(sorted(columns, key=lambda c: c.name)),
        custom_metadata=custom_md,
        indexes=indexes,
        functions=tuple(functions),
        version=int(md.get('current_version', 0)),
        changed_at=float(created_at or 0.0),
        data_versioned=bool(md.get('is_data_versioned', True)),
        live=int(md.get('tbl_state', 0)) == 0 and md.get('pending_stmt') is None,
    )


def read_catalog() -> StoredCatalog:
    """Every directory and live table of the catalog, read from Pixeltable's own catalog tables in two queries.

    No table handle is opened: ``pxt.get_table()`` rebuilds every computed column's expression, which asks each
    function for its return type, and for ``huggingface.sentence_transformer`` that loads the model (seconds, per
    process). This reads the stored JSON instead: paths, kinds, bases, iterators, columns (with the functions they
    call and their ``custom_metadata``), table ``custom_metadata``, index names, the current version and its time.

    Example:
        >>> [t.path for t in read_catalog().tables if t.kind == 'view']  # doctest: +SKIP
        ['demo/frames']
    """
    from pixeltable.env import Env

    pxt.init()
    with Env.get().engine.connect() as conn:
        dir_rows = conn.execute(sql.text("SELECT id, parent_id, md ->> 'name' FROM dirs")).fetchall()
        table_rows = conn.execute(_CATALOG_QUERY).fetchall()
    dirs = {str(r[0]): (None if r[1] is None else str(r[1]), str(r[2] or '')) for r in dir_rows}
    dir_paths = _paths(dirs)
    tables = tuple(sorted((_stored_table(r, dir_paths) for r in table_rows), key=lambda t: t.path))
    return StoredCatalog(dirs=tuple(sorted(p for p in dir_paths.values() if p)), tables=tables)


def _store_name(table: StoredTable) -> str:
    return f'{"tbl" if table.kind == "table" else "view"}_{uuid.UUID(table.id).hex}'


def _live_clause(table: StoredTable) -> str:
    return f' WHERE v_min <= {int(table.version)} AND v_max > {int(table.version)}' if table.data_versioned else ''


def count_live_rows(tables: Sequence[StoredTable]) -> dict[str, int | None]:
    """The number of rows of each table (by id) at its current version, counted in its store in one query.

    Snapshots are not counted (``None``); a table whose store cannot be read (dropped meanwhile) counts ``None``.

    Example:
        >>> count_live_rows(read_catalog().tables)  # doctest: +SKIP
        {'9f1…': 120, …}
    """
    countable = [t for t in tables if t.kind != 'snapshot' and t.live]
    out: dict[str, int | None] = {t.id: None for t in tables}
    if not countable:
        return out
    parts = [
        f"SELECT '{t.id}' AS id, count(*) AS n FROM {_store_name(t)}{_live_clause(t)}"  # ids are UUIDs: no injection
        for t in countable
    ]
    with connect() as conn:
        try:
            for tbl_id, n in conn.execute(sql.text(' UNION ALL '.join(parts))).fetchall():
                out[str(tbl_id)] = int(n)
            return out
        except sql.exc.SQLAlchemyError:
            conn.rollback()
        for table, part in zip(countable, parts, strict=True):  # one of them vanished: count the others one by one
            try:
                out[table.id] = int(conn.execute(sql.text(part)).fetchall()[0][1])
            except sql.exc.SQLAlchemyError:
                conn.rollback()
    return out


def count_live_rows_where(table: StoredTable, equal: dict[str, Any]) -> int | None:
    """How many current rows of ``table`` have ``column == value`` for every item of ``equal`` (one SQL count).

    For the small tables a pattern owns (a run registry: failed runs), without opening a handle. ``None`` when a
    column is missing or the store cannot be read.
    """
    by_name = {c.name: c for c in table.columns}
    ids = {}
    for col_name in equal:
        col = by_name.get(col_name)
        if col is None or not col.stored:
            return None
        ids[col_name] = col.id
    clause = _live_clause(table)
    conditions = [f'col_{ids[name]} = :v{i}' for i, name in enumerate(equal)]
    where = ' AND '.join(conditions)
    text = f'SELECT count(*) FROM {_store_name(table)}' + (f'{clause} AND {where}' if clause else f' WHERE {where}')
    params = {f'v{i}': value for i, value in enumerate(equal.values())}
    with connect() as conn:
        try:
            return int(conn.execute(sql.text(text), params).scalar_one())
        except sql.exc.SQLAlchemyError:
            return None


_FINGERPRINT_QUERY = sql.text(
    """
    SELECT md5(coalesce(string_agg(id::text || ':' || coalesce(dir_id::text, '-') || ':' || (md ->> 'current_version')
                                   || ':' || (md ->> 'name'), ',' ORDER BY id), '')),
           (SELECT md5(coalesce(string_agg(id::text || ':' || coalesce(parent_id::text, '-') || ':' || (md ->> 'name'),
                                           ',' ORDER BY id), '')) FROM dirs)
    FROM tables
    """
)


def catalog_fingerprint() -> str:
    """A short text that changes whenever a table or directory is created, dropped, renamed, moved or gets a new
    version (one small query; a panel polls it to know when to read the catalog again).

    Example:
        >>> before = catalog_fingerprint(); pxt.create_table('demo/new', {'a': pxt.Int})  # doctest: +SKIP
        >>> catalog_fingerprint() != before  # doctest: +SKIP
        True
    """
    pxt.init()
    with connect() as conn:
        tables, dirs = conn.execute(_FINGERPRINT_QUERY).fetchone() or ('', '')
    return f'{str(tables)[:16]}{str(dirs)[:16]}'


# ---- facts about a table read from the store without opening it (opening can load an embedding model) ------------


def store_counts(table_id: str) -> tuple[int, int]:
    """Live rows of a table or view and distinct values of its first row-id column (for an iterator view over a
    table: how many base rows have rows), read from the store by the table's id, without opening the table.

    Example:
        >>> store_counts(table_id(pxt.get_table('rag/docs')))  # doctest: +SKIP
        (3, 3)
    """
    import uuid

    hex_id = uuid.UUID(table_id).hex
    with connect() as conn:
        names = [
            r[0]
            for r in conn.execute(
                sql.text('select table_name from information_schema.tables where table_name in (:t, :v)'),
                {'t': f'tbl_{hex_id}', 'v': f'view_{hex_id}'},
            )
        ]
        if not names:
            raise LookupError(f'no store table for table id {table_id}')
        store = sql.Table(names[0], sql.MetaData(), autoload_with=conn)
        live = store.c.v_max == sql.literal(9223372036854775807) if 'v_max' in store.c else sql.true()
        first = store.c[next(c.name for c in store.columns if c.name.startswith('rowid'))]
        row = conn.execute(sql.select(sql.func.count(), sql.func.count(sql.distinct(first))).where(live)).one()
    return int(row[0]), int(row[1])


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
