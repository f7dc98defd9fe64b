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

import pixeltable as pxt

from pxwidgets.tables.internals import count_rows_of

count = count_rows_of


def failed_rows(table: pxt.Table, column: str) -> int:
    """How many rows of a stored computed column failed (have an ``errortype``)."""
    value = table[column]
    return count(table.where(value.errortype != None), probe=value.errortype)  # noqa: E711 - a Pixeltable predicate


def failed_rows_by_column(table: pxt.Table, columns: list[str]) -> dict[str, int]:
    """Failed rows of several stored computed columns of one table, in one query (only failing rows travel).

    Example:
        >>> failed_rows_by_column(pxt.get_table('demo/frames'), ['faces', 'eyes'])  # doctest: +SKIP
        {'faces': 0, 'eyes': 2}
    """
    if not columns:
        return {}
    if len(columns) == 1:
        return {columns[0]: failed_rows(table, columns[0])}
    types = {f'e{i}': table[c].errortype for i, c in enumerate(columns)}
    any_failed = functools.reduce(operator.or_, [t != None for t in types.values()])  # noqa: E711
    result = table.where(any_failed).select(**types).collect()
    return {c: sum(v is not None for v in result[f'e{i}']) for i, c in enumerate(columns)}
