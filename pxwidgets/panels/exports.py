"""The 'export_csv' command every grid panel offers: the next chunk of its grid's CSV, with progress and Cancel.

A panel declares it in one line with :func:`export_command`, naming the table and the rows its grid shows for a
request (the grid's own page query: a :class:`~pxwidgets.tables.PageQuery`, or a pattern's
:data:`~pxwidgets.tables.export.RowSource`). The browser asks chunk after chunk (each after the previous one's cursor)
and assembles them into a file (``js/lib/export.ts``, ``CsvExport``); the kernel holds one chunk at a time. A Cancel
click stops the chunk that is running; the browser then asks for no more.

Example:
    >>> class MyPanel(Panel):  # doctest: +SKIP
    ...     _export_csv = export_command(ExportRequest, lambda self, payload: (self.path, page_query(payload)))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.base import Handler, ProgressReporter, Reply, command
from pxwidgets.panels.contract import ExportChunkReply
from pxwidgets.tables.export import CHUNK_ROWS, MAX_EXPORT_ROWS, RowSource, csv_chunk, export_filename
from pxwidgets.tables.pages import PageQuery

ExportTarget: TypeAlias = tuple[str, PageQuery | RowSource]
"""The path of the table a grid shows, and its rows for one request."""

WINDOW = ('offset', 'limit', 'after', 'before', 'count', 'done', 'chunk_rows')
"""The request fields that are about the export's progress or the grid's window, not about which rows."""


def page_query(payload: dict[str, Any]) -> PageQuery:
    """The page query of an export request (filters, errors-only, sort; the grid's window ignored)."""
    return PageQuery.from_dict({**payload, 'offset': 0, 'limit': 1, 'after': None, 'before': None})


def row_query(payload: dict[str, Any]) -> dict[str, Any]:
    """An export request without its window and progress fields: what a pattern's rows builder takes."""
    return {k: v for k, v in payload.items() if k not in WINDOW}


def export_chunk(
    path: str, payload: dict[str, Any], progress: ProgressReporter, rows: PageQuery | RowSource | None = None
) -> tuple[ExportChunkReply, list[bytes]]:
    """Answer an 'export_csv' request: the chunk after ``payload['after']`` of ``rows`` (default: the page query in
    ``payload``)."""
    done, chunk_rows = payload.get('done', 0), payload.get('chunk_rows', CHUNK_ROWS)
    after = payload.get('after')
    if not isinstance(done, int) or isinstance(done, bool) or done < 0:
        raise InvalidRequestError(f'done must be a non-negative integer, not {done!r}.')
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool):
        raise InvalidRequestError(f'chunk_rows must be an integer, not {chunk_rows!r}.')
    if after is not None and not isinstance(after, str):
        raise InvalidRequestError('after must be the previous chunk\'s "next" cursor.')
    progress(done, None, f'Exporting CSV: {done:,} rows')
    query = page_query(payload) if rows is None else rows
    chunk = csv_chunk(path, query, after=after, done=done, chunk_rows=chunk_rows)
    progress(chunk.done, chunk.total and min(chunk.total, MAX_EXPORT_ROWS), f'Exporting CSV: {chunk.done:,} rows')
    reply: ExportChunkReply = {
        'rows': chunk.rows,
        'done': chunk.done,
        'total': chunk.total,
        'next': chunk.next,
        'truncated': chunk.truncated,
        'max_rows': MAX_EXPORT_ROWS,
        'filename': export_filename(path, chunk.name),
        'columns': chunk.columns,
        'problems': chunk.problems,
        'pandas_code': chunk.pandas_code,
    }
    return reply, [chunk.data]


def export_command(request: type, target: Callable[[Any, dict[str, Any]], ExportTarget]) -> Handler:
    """The 'export_csv' command of a grid panel: ``target(panel, payload)`` gives the table's path and the rows the
    grid shows for ``payload`` (built by the same code as its pages). Runs in the background, with progress and
    Cancel; ``request`` is the request TypedDict (the grid's page request and :class:`ExportFields`).

    Example:
        >>> class StageGrid(Panel):  # doctest: +SKIP
        ...     _export_csv = export_command(StageExportRequest, lambda p, req: (p.table_of(req), page_query(req)))
    """

    @command('export_csv', background=True, request=request, reply=ExportChunkReply)
    def export_csv(self: Any, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        path, rows = target(self, payload)
        return export_chunk(path, payload, progress, rows)

    return export_csv
