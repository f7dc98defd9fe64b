"""TableBrowser: any Pixeltable table, view or snapshot, paged, sorted, filtered, with errors, lineage and history.

Example:
    >>> from pxwidgets import TableBrowser
    >>> TableBrowser('demo/photos')  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pixeltable as pxt
import traitlets

from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command
from pxwidgets.panels.cells import encode_page
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


class TableBrowser(Panel):
    """Browse any Pixeltable table, view or snapshot in a notebook, a page at a time.

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

    @command('info')
    def _info(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return summarize(self.path)

    @command('open')
    def _open(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        target = payload.get('path')
        if not isinstance(target, str):
            from pxwidgets.errors import InvalidRequestError

            raise InvalidRequestError('open needs a table path.')
        info = summarize(target)
        self.path = info['path']
        return info

    @command('catalog')
    def _catalog(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'tables': list_catalog('')}

    @command('page')
    def _page(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return encode_page(fetch_page(self.path, PageQuery.from_dict(payload), wait_for_count=False))

    @command('count')
    def _count(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'total': count_rows(self.path, PageQuery.from_dict(payload))}

    @command('lineage')
    def _lineage(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return lineage(self.path).to_dict()

    @command('history')
    def _history(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'versions': list_versions(self.path)}
