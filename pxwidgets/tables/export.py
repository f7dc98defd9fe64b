"""The whole filtered, sorted result of a page query as CSV, a chunk at a time: the kernel holds one chunk, never the
table.

Each chunk is the next rows by key (:mod:`pxwidgets.tables.keyset`), so a chunk deep in a million rows costs what the
first one costs, and the table may change between chunks without a row being written twice. Each chunk is written by
pandas from Pixeltable's own ``ResultSet.to_pandas()``, exactly as ``t.where(…).order_by(…).collect().to_pandas()
.to_csv(index=False)`` would write those rows, except: media columns are their file URL (``col.fileurl``), JSON and
array values are JSON text, integer columns stay integers in a chunk with NULLs (pandas alone would write ``4.0``
there), and unstored media columns (an iterator's frames, decoded on read) have no file and are
left out (named in ``problems``).

Example:
    >>> export_csv('demo/photos', 'photos.csv', PageQuery(order_by=('title', True)))  # doctest: +SKIP
    42
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables import pages
from pxwidgets.tables.columns import ColumnSpec
from pxwidgets.tables.internals import read_transaction, requery
from pxwidgets.tables.keyset import decode_cursor, encode_cursor
from pxwidgets.tables.pages import PageQuery
from pxwidgets.tables.resolve import call_reading, table_path

MAX_EXPORT_ROWS = 1_000_000
"""The most rows one export writes (Pixeltable's dashboard offers the same)."""
CHUNK_ROWS = 10_000


@dataclass
class CsvChunk:
    """One chunk of CSV text (the header comes with the first) and where the export stands."""

    data: bytes
    rows: int
    done: int
    """Rows written so far, this chunk's included."""
    total: int | None
    """Rows the query matches (the export stops at ``MAX_EXPORT_ROWS``)."""
    next: str | None
    """The cursor to ask the next chunk with; ``None`` when the export is complete."""
    truncated: bool = False
    """Stopped at the row limit while more rows match."""
    columns: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _exported(specs: list[ColumnSpec]) -> tuple[list[ColumnSpec], list[str]]:
    kept = [s for s in specs if not (s.is_media and not s.is_stored)]
    left_out = [
        f'{s.name}: not stored (computed when read), so it has no file to export' for s in specs if s not in kept
    ]
    return kept, left_out


def _json_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, default=str, ensure_ascii=False)


def csv_chunk(
    table_or_path: pxt.Table | str,
    query: PageQuery | None = None,
    *,
    after: str | None = None,
    done: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    max_rows: int = MAX_EXPORT_ROWS,
) -> CsvChunk:
    """The next chunk of the query's CSV: the first (with the header) without ``after``, else the rows after it.

    Raises:
        InvalidRequestError: ``after`` was made for another table or order (start the export again).
    """
    query = replace(query or PageQuery(), offset=0, limit=1, after=None, before=None)
    if not 1 <= chunk_rows <= 100_000:
        raise InvalidRequestError(f'chunk_rows must be from 1 to 100000, not {chunk_rows}.')

    def read(table: pxt.Table) -> CsvChunk:
        plan = pages._plan(table, query)
        total = pages.count_rows(table, query)
        specs, problems = _exported(plan.specs)
        n = max(0, min(chunk_rows, max_rows - done))

        items: dict[str, Any] = {f'k{i}': e for i, e in enumerate(plan.keys)}
        for j, spec in enumerate(specs):
            items[f'c{j}'] = table[spec.name].fileurl if spec.is_media else table[spec.name]

        frames: list[pd.DataFrame] = []
        if plan.predicate is not False and n:
            with read_transaction([table]):
                selected = table.select(**items)
                if after is None:
                    order = plan.order.items(plan.keys)
                    queries: Iterator[Any] = iter([requery(selected, where=plan.predicate, order_by=order)])
                else:
                    key = decode_cursor(table, plan.order, after, len(plan.keys))
                    if key is None:
                        raise InvalidRequestError(
                            'This export was started on another table or order.', hint='Start the download again.'
                        )
                    queries = pages.key_queries(table, plan, key, select=selected)
                got = 0
                for q in queries:
                    if got >= n:
                        break
                    frame = q.limit(n - got).collect().to_pandas()
                    got += len(frame)
                    frames.append(frame)
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        rows = len(frame)
        cursor = None
        if rows:
            keys = [c for c in frame.columns if str(c).startswith('k')]
            cursor = encode_cursor(table, plan.order, [_plain(frame[k].iloc[-1]) for k in keys])
        out = pd.DataFrame({spec.name: _column(frame, f'c{j}', spec, rows) for j, spec in enumerate(specs)})
        data = out.to_csv(index=False, header=after is None).encode()
        written = done + rows
        more = rows == n and n > 0 and (total is None or written < total)
        return CsvChunk(
            data=data,
            rows=rows,
            done=written,
            total=total,
            next=cursor if more and written < max_rows else None,
            truncated=more and written >= max_rows,
            columns=[s.name for s in specs],
            problems=problems,
        )

    return call_reading(table_or_path, read, what='exporting rows')


def _plain(value: Any) -> Any:
    """A key value from a DataFrame cell as a plain Python value (numpy and pandas scalars unwrapped)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None  # a NULL sort value: pandas made it NaN or NaT
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, 'item') else value


def _column(frame: pd.DataFrame, name: str, spec: ColumnSpec, rows: int) -> Any:
    if name not in frame.columns:
        return pd.Series([None] * rows, dtype=object)
    if spec.kind in ('json', 'array'):
        return frame[name].map(_json_text)
    if spec.kind == 'int':  # pandas makes an integer column with a NULL float ('4.0') in that chunk only
        return frame[name].astype('Int64')
    return frame[name]


def csv_chunks(table_or_path: pxt.Table | str, query: PageQuery | None = None, **kwargs: Any) -> Iterator[CsvChunk]:
    """Every chunk of the query's CSV, in order (see :func:`csv_chunk` for the arguments)."""
    chunk = csv_chunk(table_or_path, query, **kwargs)
    yield chunk
    while chunk.next is not None:
        chunk = csv_chunk(table_or_path, query, **{**kwargs, 'after': chunk.next, 'done': chunk.done})
        yield chunk


def export_csv(
    table_or_path: pxt.Table | str,
    dest: str | Path,
    query: PageQuery | None = None,
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    **kwargs: Any,
) -> int:
    """Write the query's whole result (up to ``MAX_EXPORT_ROWS`` rows) to a CSV file; returns the rows written.

    Example:
        >>> export_csv('demo/photos', 'photos.csv', PageQuery(filters=(Filter('width', '>', 500),)))  # doctest: +SKIP
        12
    """
    written = 0
    with open(dest, 'wb') as out:
        for chunk in csv_chunks(table_or_path, query, **kwargs):
            out.write(chunk.data)
            written = chunk.done
            if on_progress is not None:
                on_progress(written, chunk.total)
    return written


def export_filename(table_or_path: pxt.Table | str) -> str:
    """A file name for a table's export (``'demo_photos.csv'``)."""
    path = table_or_path if isinstance(table_or_path, str) else table_path(table_or_path)
    return path.replace('/', '_').replace(':', '_v') + '.csv'


__all__ = ['CHUNK_ROWS', 'MAX_EXPORT_ROWS', 'CsvChunk', 'csv_chunk', 'csv_chunks', 'export_csv', 'export_filename']
