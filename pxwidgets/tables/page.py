"""What a page is: the query that asks for it (a window of a table after filtering and sorting) and the rows it
holds (values, thumbnails, media references, failed cells).

Example:
    >>> q = PageQuery.from_dict({'offset': 20, 'limit': 20, 'order_by': {'column': 'title', 'asc': True}})
    >>> q.order_by
    ('title', True)
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import PIL.Image

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.columns import ColumnSpec
from pxwidgets.tables.filters import Filter
from pxwidgets.tables.thumbnails import Thumbnail

MAX_LIMIT = 500


@dataclass(frozen=True)
class PageQuery:
    """Which rows to fetch: a window of the table after filtering and sorting."""

    offset: int = 0
    limit: int = 50
    order_by: tuple[str, bool] | None = None
    """(column, ascending)"""
    filters: tuple[Filter, ...] = ()
    errors_only: bool = False
    """Only rows where at least one computed column failed."""
    columns: tuple[str, ...] | None = None
    """Only these columns, in this order (default: every column). Filters and sorting may use any column."""
    after: str | None = None
    """The cursor of the last row of the page before this one (``Page.cursor['last']``): fetch by key."""
    before: str | None = None
    """The cursor of the first row of the page after this one (``Page.cursor['first']``): fetch by key."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PageQuery:
        """Build a query from a panel request, refusing malformed fields with a clear message."""
        offset, limit = raw.get('offset', 0), raw.get('limit', 50)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidRequestError(f'offset must be a non-negative integer, not {offset!r}.')
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f'limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}.')
        order = raw.get('order_by')
        order_by = None
        if order:
            if not isinstance(order, dict) or not isinstance(order.get('column'), str):
                raise InvalidRequestError('order_by must be {"column": name, "asc": true|false}.')
            order_by = (order['column'], bool(order.get('asc', True)))
        filters = raw.get('filters') or []
        if not isinstance(filters, list):
            raise InvalidRequestError('filters must be a list.')
        cursors = {name: raw.get(name) for name in ('after', 'before')}
        for name, token in cursors.items():
            if token is not None and not isinstance(token, str):
                raise InvalidRequestError(f'{name} must be a page cursor (a string) or null.')
        columns = raw.get('columns')
        if columns is not None and (
            not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns)
        ):
            raise InvalidRequestError('columns must be a non-empty list of column names.')
        return cls(
            offset,
            limit,
            order_by,
            tuple(Filter.from_dict(f) for f in filters),
            bool(raw.get('errors_only')),
            tuple(columns) if columns is not None else None,
            cursors['after'],
            cursors['before'],
        )


@dataclass(frozen=True)
class CellError:
    """A computed value that failed for this row."""

    errortype: str
    errormsg: str


@dataclass(frozen=True)
class MediaRef:
    """A media file shown by name (documents, audio)."""

    kind: str
    path: str


@dataclass
class Page:
    """One page of rows. Values are Python objects; images and videos are :class:`Thumbnail`, failures
    :class:`CellError`."""

    path: str
    columns: list[ColumnSpec]
    rows: list[list[Any]]
    offset: int
    limit: int
    total: int | None
    """Matching rows; ``None`` while still being counted (see ``fetch_page(wait_for_count=False)``)."""
    elapsed_ms: float
    code: str
    problems: list[str] = field(default_factory=list)
    cursor: dict[str, str] | None = None
    """The keys of the page's first and last row (``{'first': …, 'last': …}``): pass ``last`` as the next page's
    ``PageQuery.after`` (``first`` as the previous page's ``before``) to fetch it by key, not by offset."""
    fetched_by: str = 'offset'
    """How the rows were found: ``'key'`` (after/before a cursor), ``'offset from the end'`` (``OFFSET`` in the
    reversed order, for pages nearer the end) or ``'offset'``. See :mod:`pxwidgets.tables.keyset` for their costs."""
    pandas_code: str = ''
    """The whole filtered, sorted result as a DataFrame (what "Download CSV" exports): the lines that follow ``code``'s
    ``t = pxt.get_table(…)``."""

    def to_pandas(self) -> pd.DataFrame:
        """The page as a DataFrame (thumbnails as PIL images, failures as their error message)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Thumbnail):
                return PIL.Image.open(io.BytesIO(value.data))
            if isinstance(value, CellError):
                return f'{value.errortype}: {value.errormsg}'
            if isinstance(value, MediaRef):
                return value.path
            return value

        return pd.DataFrame([[plain(v) for v in row] for row in self.rows], columns=[c.name for c in self.columns])
