"""The private Pixeltable access incremental evaluation needs (to be moved into ``pxwidgets.tables.internals``).

- Which table a column reference belongs to (``ColumnRef.col.get_tbl()``), by id, so that a column of another
  table with the same name is told apart.

Example:
    >>> column_ref_owner(other.prediction)  # doctest: +SKIP
    ('3f2c…', 'prediction')
"""

from __future__ import annotations

from typing import Any

import pixeltable as pxt

from pxwidgets.tables.internals import table_id


def column_ref_owner(ref: Any) -> tuple[str, str]:
    """``(table id, column name)`` of a column reference (``tbl.col``)."""
    col = ref.col
    return str(col.get_tbl().id), str(col.name)


def lineage_ids(tbl: pxt.Table) -> set[str]:
    """The ids of a table and of every table it is a view of (their columns are its columns too)."""
    ids = set()
    current: pxt.Table | None = tbl
    while current is not None:
        ids.add(table_id(current))
        current = current.get_base_table()
    return ids
