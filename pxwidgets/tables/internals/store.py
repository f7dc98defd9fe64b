"""Pixeltable's store tables, read directly: the rows of a data-versioned table (row diffs between versions, and
how the counts of value combinations changed between two versions), counts by table id without opening the table,
failed rows counted in SQL, and one read transaction around several queries.

Every row version is a store row ``(rowid…, v_min, v_max, col_0, …)`` live at table version ``V`` when
``v_min <= V < v_max``; a stored column ``col_<id>`` keeps its error in ``col_<id>_cellmd ->> 'errortype'``.

Example:
    >>> store_counts(table_id(pxt.get_table('rag/docs')))  # doctest: +SKIP
    (3, 3)
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pixeltable as pxt
import sqlalchemy as sql

from pxwidgets.tables.internals.handles import type_kind


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


# ---- counts read from a handle's store in one SQL query (no Pixeltable query built) ----------------------------


def _live(store: sql.Table, tv: Any) -> list[sql.ColumnElement[bool]]:
    """The store rows live at the handle's version (every row of a store that keeps no row versions)."""
    if not tv.is_data_versioned or 'v_min' not in store.c:
        return []
    version = sql.literal(int(tv.version))
    return [store.c.v_min <= version, store.c.v_max > version]


def _store(tbl: pxt.Table) -> tuple[Any, sql.Table] | None:
    tv = tbl._tbl_version_path.tbl_version.get()
    store = tv.store_tbl
    if store is None or store.sa_tbl is None or tv.is_snapshot:
        return None
    return tv, store.sa_tbl


def live_rows_in_store(tbl: pxt.Table) -> int | None:
    """The rows of a table or view at its handle's version, counted in its store (``None``: a snapshot, or a store
    that cannot be read). Same as ``tbl.count()`` without building a Pixeltable query.

    Example:
        >>> live_rows_in_store(pxt.get_table('demo/frames'))  # doctest: +SKIP
        120
    """
    found = _store(tbl)
    if found is None:
        return None
    tv, store = found
    try:
        with connect() as conn:
            return int(
                conn.execute(sql.select(sql.func.count()).select_from(store).where(*_live(store, tv))).scalar_one()
            )
    except sql.exc.SQLAlchemyError:
        return None


def failed_rows_in_store(tbl: pxt.Table, columns: Sequence[str]) -> dict[str, int] | None:
    """How many rows of each stored computed column of a table's own failed (have an ``errortype``), counted in its
    store in one SQL query.

    Building the same count as a Pixeltable query binds every column to the query and compiles an aggregate per
    column (most of a second for a 200-column pipeline on a loaded machine); this reads ``col_<id>_cellmd`` directly.
    ``None`` when one of the columns cannot be counted this way: not a stored column of this table (a base's), no
    cell metadata in the store, or a media column validated on read (its errors appear only when its file is read).

    Example:
        >>> failed_rows_in_store(pxt.get_table('demo/frames'), ['faces', 'eyes'])  # doctest: +SKIP
        {'faces': 0, 'eyes': 2}
    """
    from pixeltable.catalog import MediaValidation

    found = _store(tbl)
    if found is None:
        return None
    tv, store = found
    own = tv.cols_by_name  # the table's own columns (``Column.get_tbl()`` would cost a catalog round trip each)
    counts: list[sql.ColumnElement[Any]] = []
    for name in columns:
        col = own.get(name)
        if col is None or not col.is_stored or not col.stores_cellmd:
            return None
        if col.col_type.is_media_type() and (col._media_validation or tv.media_validation) == MediaValidation.ON_READ:
            return None
        cellmd = store.c.get(col.cellmd_store_name())
        if cellmd is None:
            return None
        counts.append(sql.func.count(cellmd.op('->>')('errortype')))
    if not counts:
        return {}
    try:
        with connect() as conn:
            row = conn.execute(sql.select(*counts).select_from(store).where(*_live(store, tv))).one()
    except sql.exc.SQLAlchemyError:
        return None
    return {name: int(n or 0) for name, n in zip(columns, row, strict=True)}


def has_btree_index(tbl: pxt.Table, column: str) -> bool:
    """Whether the table's own stored ``column`` has a B-tree index (one a range filter on it can use).

    Pixeltable 0.7.21 makes no index unless asked (``has_default_idxs=False``), so a filter on a column without one
    reads every row of the table.

    Example:
        >>> has_btree_index(pxt.get_table('demo/predictions'), 'eval_t')  # doctest: +SKIP
        True
    """
    tv = tbl._tbl_version_path.tbl_version.get()
    col = tv.cols_by_name.get(column)
    return col is not None and tv.supports_idxs and tv.find_btree_index(col) is not None


MAX_VERSION = 9223372036854775807
"""``v_max`` of a store row that is still live."""


def _inserted_since(conn: sql.engine.Connection, tv: Any, since: int) -> int | None:
    """How many rows were inserted after table version ``since`` when nothing was updated or deleted since (from
    the version history, one query by its primary key), else ``None``."""
    rows = conn.execute(
        sql.text('select md from tableversions where tbl_id = :t and version > :v'),
        {'t': tv.id, 'v': int(since)},
    ).all()
    total = 0
    for (md,) in rows:
        stats = ((md or {}).get('update_status') or {}).get('row_count_stats')
        if not stats or stats.get('upd_rows') or stats.get('del_rows'):
            return None
        total += int(stats.get('ins_rows') or 0)
    return total


def changed_buckets(tbl: pxt.Table, column: str, width: int, since: int) -> set[int | None] | None:
    """``floor(column / width)`` of every row version made or ended after table version ``since`` (rows inserted,
    updated — old and new values — or deleted since then), read from the store; ``None`` stands for rows without a
    value. ``None`` when the store cannot tell: a snapshot, a store without row versions, a column that is not a
    stored column of the table's own, or a version older than ``since`` (after a revert).

    When the version history says only rows were inserted since then, the new rows are the ones with the highest
    row ids (Pixeltable numbers rows in insertion order): a backward scan of the row-id index reads just them
    (checked: one row more than the history counts sends it to the general query). Otherwise two queries, one per
    version index (``v_min``, ``v_max``), which Postgres cannot combine well from one ``OR``.

    Example:
        >>> changed_buckets(pxt.get_table('demo/predictions'), 'eval_t', 3600, since=12)  # doctest: +SKIP
        {491093}
    """
    found = _store(tbl)
    if found is None:
        return None
    tv, store = found
    col = tv.cols_by_name.get(column)
    if not tv.is_data_versioned or 'v_min' not in store.c or col is None or not col.is_stored:
        return None
    if int(tv.version) < since or col.store_name() not in store.c:
        return None
    value = store.c[col.store_name()]
    newer = sql.literal(int(since))
    bucket = sql.func.floor(value / sql.literal(float(width)))
    made = sql.select(bucket.label('b')).where(store.c.v_min > newer)
    ended = sql.select(bucket.label('b')).where(store.c.v_max > newer, store.c.v_max < sql.literal(MAX_VERSION))
    rowids = [c.name for c in store.c if c.name.startswith('rowid')]
    try:
        with connect() as conn:
            inserted = _inserted_since(conn, tv, since) if rowids == ['rowid'] else None
            rows = None
            if inserted is not None:
                latest = made.order_by(store.c.rowid.desc()).limit(inserted + 1)
                rows = conn.execute(latest).all()
                if len(rows) > inserted:  # not only the latest rows: ask in general
                    rows = None
            if rows is None:
                rows = conn.execute(sql.union(made, ended)).all()
    except sql.exc.SQLAlchemyError:
        return None
    return {None if r[0] is None else int(r[0]) for r in rows}


def _sql_value(expr: Any, store: sql.Table) -> sql.ColumnElement[Any] | None:
    """``expr`` as SQL over ``store`` alone, or None: an unstored computed column is replaced by its expression (as
    Pixeltable's planner does), and the result must be SQL that reads no other table (a view's base) and whose values
    come back from the database as Pixeltable returns them (int, float, string or bool; not JSON, media, arrays or
    timestamps, which Pixeltable converts)."""
    from pixeltable import exprs

    kind = expr.col_type
    if not (kind.is_int_type() or kind.is_float_type() or kind.is_string_type() or kind.is_bool_type()):
        return None
    resolved = expr.resolve_computed_cols()
    try:
        element = exprs.SqlElementCache().get(resolved)
    except AssertionError:  # a column whose metadata cannot give an SQL column here
        return None
    if element is None:
        return None
    read = [c for c in sql.sql.visitors.iterate(element) if isinstance(c, sql.Column)]
    if not read or any(c.table is not store and getattr(c.table, 'name', None) != store.name for c in read):
        return None
    return cast(sql.ColumnElement[Any], element)


@dataclass(frozen=True)
class RowVersionCounts:
    """How the counts of value combinations changed between two table versions (see :func:`row_version_counts`)."""

    delta: dict[tuple[Any, ...], int]
    """``{(value of each expression, …): rows gained (or lost, negative)}``; unchanged combinations left out."""
    read: int
    """How many row versions were read (made or ended between the two versions)."""
    newest_rowid: int | None
    """The largest (first) rowid of the row versions made between the two (None: none made)."""


def row_version_counts(
    tbl: pxt.Table, exprs: Sequence[Any], since: int, until: int, *, deletes: bool = True
) -> RowVersionCounts | None:
    """How the number of rows with each combination of the values of ``exprs`` changed from table version ``since``
    to ``until`` (rows inserted, updated — their old values out, their new ones in — and deleted), from the row
    versions in the store, grouped in one SQL query (one result row per changed combination). The counts at
    ``until`` are those at ``since`` plus these.

    A row version is live at version ``V`` when ``v_min <= V < v_max``: the rows live at ``until`` and not at
    ``since`` count +1 (``since < v_min <= until < v_max``), those live at ``since`` and not at ``until`` count -1
    (``v_min <= since < v_max <= until``); one made and ended between the two counts in neither.

    The row versions made are found through the store's index on ``v_min`` (new row versions are appended to the
    store). Those ended are scattered over it, and ``v_max`` has no index that finds them: with ``deletes=False``
    (no row deleted in between: the caller read it in the table's history) every one of them has a successor with
    the same rowid, found through the index on ``(rowid, v_min, v_max)``; with deletes the whole store is read (one
    scan, no grouping of every row).

    ``None`` when the store cannot tell: a snapshot, a view (its base's columns live in another store), a store
    without row versions or without a single rowid column, a handle older than ``until``, ``since > until``, an
    expression that is not SQL over this table's store (an unstored column computed in Python) or whose values
    Pixeltable converts, or any database error. The caller must know that no schema change happened in
    ``(since, until]`` (the table's history says so): adding a computed column writes its values into the existing
    row versions in place.

    Example:
        >>> row_version_counts(t, [t.truth, t.a], since=12, until=14, deletes=False).delta  # doctest: +SKIP
        {(3, 3): -40, (3, 5): 40}
    """
    found = _store(tbl)
    if found is None or since > until:
        return None
    tv, store = found
    if not tv.is_data_versioned or tv.is_view or 'v_min' not in store.c or int(tv.version) < until:
        return None
    keys = [_sql_value(e, store) for e in exprs]
    rowids = [c for c in store.columns if c.name.startswith('rowid')]
    if len(rowids) != 1 or any(k is None for k in keys):
        return None
    query = _delta_query([cast(sql.ColumnElement[Any], k) for k in keys], store, rowids[0], (since, until), deletes)
    try:
        with connect() as conn:
            rows = conn.execute(query).all()
    except sql.exc.SQLAlchemyError:
        return None
    width = len(keys)
    newest = [int(r[width + 2]) for r in rows if r[width + 2] is not None]
    return RowVersionCounts(
        {tuple(r[:width]): int(r[width]) for r in rows if int(r[width])},
        sum(int(r[width + 1]) for r in rows),
        max(newest) if newest else None,
    )


def _delta_query(
    keys: list[sql.ColumnElement[Any]], store: sql.Table, rowid: Any, versions: tuple[int, int], deletes: bool
) -> sql.Select[Any]:
    """``(k0, …, sum of +1 made / -1 ended, row versions read, largest rowid made)`` per combination (see
    :func:`row_version_counts`)."""
    old, new = sql.literal(int(versions[0])), sql.literal(int(versions[1]))
    v_min, v_max = store.c.v_min, store.c.v_max
    made = sql.and_(v_min > old, v_min <= new, v_max > new)
    names = [f'k{i}' for i in range(len(keys))]
    if deletes:  # one pass over the store: the row versions made or ended
        ended = sql.and_(v_min <= old, v_max > old, v_max <= new)
        changed = (
            sql.select(*[k.label(n) for k, n in zip(keys, names, strict=True)], rowid.label('r'))
            .add_columns(sql.case((v_min > old, 1), else_=-1).label('n'))
            .where(sql.or_(made, ended))
            .subquery('changed')
        )
    else:  # the row versions made, and the ones they replaced (same rowid, live at ``old``)
        born = sql.select(*[k.label(n) for k, n in zip(keys, names, strict=True)], rowid.label('r')).where(made)
        born_cte = born.cte('made')
        prior = store.alias('prior')
        adapt = sql.sql.util.ClauseAdapter(prior).traverse
        replaced = (
            sql.select(*[adapt(k).label(n) for k, n in zip(keys, names, strict=True)], sql.null().label('r'))
            .add_columns(sql.literal(-1).label('n'))
            .select_from(prior.join(born_cte, prior.c[rowid.name] == born_cte.c.r))
            .where(prior.c.v_min <= old, prior.c.v_max > old, prior.c.v_max <= new)
        )
        kept = sql.select(*[born_cte.c[n] for n in names], born_cte.c.r, sql.literal(1).label('n'))
        changed = sql.union_all(kept, replaced).subquery('changed')
    cols = [changed.c[n] for n in names]
    return sql.select(
        *cols, sql.func.sum(changed.c.n), sql.func.count(), sql.func.max(sql.case((changed.c.n > 0, changed.c.r)))
    ).group_by(*cols)
