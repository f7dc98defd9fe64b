"""TableBrowser: any Pixeltable table, view or snapshot, paged, sorted, filtered, with errors, lineage and history.

Example:
    >>> from pxwidgets import TableBrowser
    >>> TableBrowser('demo/photos')  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, TypedDict

import pixeltable as pxt
import traitlets

from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command
from pxwidgets.panels.cells import encode_page
from pxwidgets.panels.contract import (
    ColumnInfo,
    CountReply,
    ExportRequest,
    NoPayload,
    PageReply,
    PageRequest,
)
from pxwidgets.panels.exports import export_command, page_query
from pxwidgets.tables import (
    PageQuery,
    count_rows,
    fetch_page,
    lineage,
    list_catalog,
    list_versions,
    open_table,
    table_path,
)
from pxwidgets.tables.summary import summarize

# ---- message shapes (js/table_browser/contract.ts is generated from them) -------------------------------------------


class ErrorCount(TypedDict):
    column: str
    count: int


class InfoReply(TypedDict):
    """What the header shows about the table on show."""

    path: str
    kind: str
    version: int | None
    comment: str | None
    total_rows: int
    columns: list[ColumnInfo]
    error_counts: list[ErrorCount]
    problems: list[str]


class OpenRequest(TypedDict):
    path: str


class CatalogEntry(TypedDict):
    path: str
    kind: str


class CatalogReply(TypedDict):
    tables: list[CatalogEntry]


class LineageNode(TypedDict):
    path: str
    kind: str
    version: int
    row_count: int | None
    iterator: str | None
    filter: str | None
    is_current: bool
    error: str | None


class LineageEdge(TypedDict):
    source: str
    target: str
    label: str


class LineageReply(TypedDict):
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class VersionInfo(TypedDict):
    version: int
    created_at: str
    user: str | None
    change_type: str
    inserts: int
    updates: int
    deletes: int
    errors: int
    schema_change: str | None


class HistoryReply(TypedDict):
    versions: list[VersionInfo]


class TableBrowser(Panel):
    """Browse any Pixeltable table, view or snapshot in a notebook, a page at a time.

    The next and previous pages are fetched by key (after the last row on screen), so paging deep into a million rows
    costs what the first page costs; "Download CSV" saves every row that matches the filters, in the grid's order
    (streamed a chunk at a time, with progress and Cancel; :func:`pxwidgets.tables.export_csv` from Python).

    Args:
        table: a table handle or its path (``'dir/name'``).
        page_size: rows per page (1–500).

    Raises:
        TableNotFoundError: nothing lives at that path.

    Example:
        >>> browser = TableBrowser('demo/photos', page_size=25)  # doctest: +SKIP
        >>> browser  # displays the panel  # doctest: +SKIP
        >>> browser.page(offset=25).to_pandas()  # the same rows in Python  # doctest: +SKIP
    """

    _esm = esm('table_browser')
    _css = css('table_browser')

    path = traitlets.Unicode('').tag(sync=True)
    """The path of the table on show."""
    page_size = traitlets.Int(25).tag(sync=True)
    """Rows per page."""

    def __init__(self, table: pxt.Table | str, *, page_size: int = 25, **kwargs: Any) -> None:
        path = table_path(open_table(table))
        if not 1 <= page_size <= 500:
            raise ValueError(f'page_size must be from 1 to 500, not {page_size}.')
        super().__init__(path=path, page_size=page_size, **kwargs)

    # ---- Python API (what the panel does, callable from a cell) -------------------------------------------------

    def page(self, offset: int = 0, limit: int | None = None, **query: Any) -> Any:
        """The rows the panel would show, as a :class:`~pxwidgets.tables.Page` (``.to_pandas()`` for a DataFrame)."""
        return fetch_page(self.path, PageQuery(offset=offset, limit=limit or self.page_size, **query))

    # ---- commands -----------------------------------------------------------------------------------------------

    @command('info', request=NoPayload, reply=InfoReply)
    def _info(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return summarize(self.path)

    @command('open', request=OpenRequest, reply=InfoReply)
    def _open(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        target = payload.get('path')
        if not isinstance(target, str):
            from pxwidgets.errors import InvalidRequestError

            raise InvalidRequestError('open needs a table path.')
        info = summarize(target)
        self.path = info['path']
        return info

    @command('catalog', request=NoPayload, reply=CatalogReply)
    def _catalog(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'tables': list_catalog('')}

    @command('page', request=PageRequest, reply=PageReply)
    def _page(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return encode_page(fetch_page(self.path, PageQuery.from_dict(payload), wait_for_count=False))

    @command('count', request=PageRequest, reply=CountReply)
    def _count(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'total': count_rows(self.path, PageQuery.from_dict(payload))}

    _export_csv = export_command(ExportRequest, lambda self, payload: (self.path, page_query(payload)))

    @command('lineage', request=NoPayload, reply=LineageReply)
    def _lineage(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return lineage(self.path).to_dict()

    @command('history', request=NoPayload, reply=HistoryReply)
    def _history(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'versions': list_versions(self.path)}
