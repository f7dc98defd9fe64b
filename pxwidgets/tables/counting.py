"""Row counts that work on every table, including where Pixeltable's SQL ``count()`` refuses.

Pixeltable 0.7.21 refuses ``count()`` on a query filtered by a media column's ``errortype`` when that column is
validated on read (``media_validation='on_read'``): "query plan contains a non-SQL node". Those counts fall back to
selecting one small value per matching row.

Example:
    >>> failed_rows(pxt.get_table('demo/photos'), 'thumbnail')  # doctest: +SKIP
    3
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import pixeltable as pxt
from pixeltable.functions import count as pxt_count

from pxwidgets.tables.internals import (
    count_rows_of,
    failed_rows_in_store,
    live_rows_in_store,
    read_transaction,
    table_id,
    table_version,
)
from pxwidgets.tables.lru import LruCache

count = count_rows_of


def failed_rows(table: pxt.Table, column: str) -> int:
    """How many rows of a stored computed column failed (have an ``errortype``)."""
    value = table[column]
    return count(table.where(value.errortype != None), probe=value.errortype)  # noqa: E711 - a Pixeltable predicate


_failed: LruCache[dict[str, int]] = LruCache(64)
"""Failed rows by (table, version, columns): unchanged while the table's version is unchanged."""


def failed_rows_by_column(table: pxt.Table, columns: list[str]) -> dict[str, int]:
    """Failed rows of several stored computed columns of one table, in one query (one row of counts; cached per table
    version).

    Example:
        >>> failed_rows_by_column(pxt.get_table('demo/frames'), ['faces', 'eyes'])  # doctest: +SKIP
        {'faces': 0, 'eyes': 2}
    """
    if not columns:
        return {}
    key = (table_id(table), table_version(table), tuple(columns))
    cached = _failed.get(key)
    if cached is not None:
        return dict(cached)
    found = failed_rows_in_store(table, columns)  # one SQL count over the store: no Pixeltable query to build
    if found is None:
        found = _failed_rows_by_query(table, columns)
    _failed.put(key, found)
    return dict(found)


def live_rows(table: pxt.Table) -> int:
    """The rows of a table or view (``table.count()``, counted in its store where it can be).

    Example:
        >>> live_rows(pxt.get_table('demo/frames'))  # doctest: +SKIP
        120
    """
    found = live_rows_in_store(table)
    return int(table.count()) if found is None else found


def _failed_rows_by_query(table: pxt.Table, columns: list[str]) -> dict[str, int]:
    if len(columns) == 1:
        return {columns[0]: failed_rows(table, columns[0])}
    # each in one read transaction: outside one, binding each column to the query revalidates the table in the catalog
    # (a round trip per column: seconds for a 200-column pipeline)
    try:  # COUNT(errortype) per column, in SQL: one row comes back
        with read_transaction([table]):
            items: dict[str, Any] = {f'e{i}': pxt_count(table[c].errortype) for i, c in enumerate(columns)}  # type: ignore[call-arg]
            counts = table.select(**items).collect()
        found = {c: int(counts[0][f'e{i}'] or 0) for i, c in enumerate(columns)}
    except Exception:  # Pixeltable cannot count some errors in SQL (JSON or array values, media validated on read)
        with read_transaction([table]):  # only the failing rows travel
            types = {f'e{i}': table[c].errortype for i, c in enumerate(columns)}
            any_failed = functools.reduce(operator.or_, [t != None for t in types.values()])  # noqa: E711
            result = table.where(any_failed).select(**types).collect()
        found = {c: sum(v is not None for v in result[f'e{i}']) for i, c in enumerate(columns)}
    return found
