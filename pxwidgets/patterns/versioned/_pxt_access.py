"""The versioned pattern's only reach into Pixeltable 0.7.21's private API: a table's store rows and their versions.

Pixeltable has no public row identity and no diff. Its store, however, never changes a row in place on a
data-versioned table: every row version is a store row ``(rowid…, v_min, v_max, col_0, …)`` that is live at table
version ``V`` when ``v_min <= V < v_max``. An update expires the old row version (``v_max`` = the new version) and
inserts a new one with the same rowid; a delete only expires. So the rows that differ between versions ``a < b``
are exactly

- the row versions live at ``a`` and expired by ``b``: ``v_min <= a < v_max <= b`` (removed, or the old side of a
  change), and
- the row versions born after ``a`` and live at ``b``: ``a < v_min <= b < v_max`` (added, or the new side),

matched on the rowid. Both sides are read through the ``v_min`` / ``v_max`` indexes Pixeltable keeps, so a diff
reads only the rows that changed, whatever the table's size. Media columns hold file references in the store: they
are compared as references, never decoded.

The lead moves this module into ``pxwidgets/tables/internals.py``; nothing else in the pattern touches these names.

Example:
    >>> store = store_of(pxt.get_table('demo/photos'))  # doctest: +SKIP
    >>> store.rowid_columns  # doctest: +SKIP
    ['rowid']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt
import sqlalchemy as sql

__all__ = ['StoreColumn', 'StoreFacts', 'connect', 'store_of']


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
        kind = str(col.col_type._type.name.lower())
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
