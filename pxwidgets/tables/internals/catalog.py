"""The catalog as Pixeltable stores it, for listing many tables without opening any: directories, tables with their
current schema and version, row counts in one query, and a fingerprint that changes with any of them.

Example:
    >>> [t.path for t in read_catalog().tables if t.kind == 'view']  # doctest: +SKIP
    ['demo/frames']
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt
import sqlalchemy as sql

from pxwidgets.tables.internals.store import connect


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
