"""The 'export_csv' command every grid panel can offer: the next chunk of its query's CSV, with progress and Cancel.

The browser asks chunk after chunk (each after the previous one's cursor) and assembles them into a file
(``js/lib/grid.ts``, ``CsvExport``); the kernel holds one chunk at a time. A Cancel click stops the chunk that is
running; the browser then asks for no more.

Example:
    >>> class MyPanel(Panel):  # doctest: +SKIP
    ...     @command('export_csv', background=True, request=ExportRequest, reply=ExportChunkReply)
    ...     def _export(self, payload, progress):
    ...         return export_chunk(self.path, payload, progress)
"""

from __future__ import annotations

from typing import Any

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.base import ProgressReporter
from pxwidgets.panels.contract import ExportChunkReply
from pxwidgets.tables.export import CHUNK_ROWS, MAX_EXPORT_ROWS, csv_chunk, export_filename
from pxwidgets.tables.pages import PageQuery


def export_chunk(
    path: str, payload: dict[str, Any], progress: ProgressReporter
) -> tuple[ExportChunkReply, list[bytes]]:
    """Answer an 'export_csv' request: the chunk after ``payload['after']`` of the page query in ``payload``."""
    query = PageQuery.from_dict({**payload, 'offset': 0, 'limit': 1, 'after': None, 'before': None})
    done, chunk_rows = payload.get('done', 0), payload.get('chunk_rows', CHUNK_ROWS)
    after = payload.get('after')
    if not isinstance(done, int) or isinstance(done, bool) or done < 0:
        raise InvalidRequestError(f'done must be a non-negative integer, not {done!r}.')
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool):
        raise InvalidRequestError(f'chunk_rows must be an integer, not {chunk_rows!r}.')
    if after is not None and not isinstance(after, str):
        raise InvalidRequestError('after must be the previous chunk\'s "next" cursor.')
    progress(done, None, f'Exporting CSV: {done:,} rows')
    chunk = csv_chunk(path, query, after=after, done=done, chunk_rows=chunk_rows)
    progress(chunk.done, chunk.total and min(chunk.total, MAX_EXPORT_ROWS), f'Exporting CSV: {chunk.done:,} rows')
    reply: ExportChunkReply = {
        'rows': chunk.rows,
        'done': chunk.done,
        'total': chunk.total,
        'next': chunk.next,
        'truncated': chunk.truncated,
        'max_rows': MAX_EXPORT_ROWS,
        'filename': export_filename(path),
        'columns': chunk.columns,
        'problems': chunk.problems,
    }
    return reply, [chunk.data]
