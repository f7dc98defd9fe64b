"""The whole filtered, sorted result of a page query as CSV, a chunk at a time: the kernel holds one chunk, never the
table.

Each chunk is the next rows by key (:mod:`pxwidgets.tables.keyset`), so a chunk deep in a million rows costs what the
first one costs, and the table may change between chunks without a row being written twice. Each chunk is written by
pandas from Pixeltable's own ``ResultSet.to_pandas()``, exactly as ``t.where(…).order_by(…).collect().to_pandas()
.to_csv(index=False)`` would write those rows, except: media columns are their file URL (``col.fileurl``), JSON and
array values are JSON text, integer columns stay integers in a chunk with NULLs (pandas alone would write ``4.0``
there), unstored media columns (an iterator's frames, decoded on read) have no file and are left out (named in
``problems``), and a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a ``'``
in front, so that a spreadsheet opening the file shows it as text instead of running it as a formula (OWASP's "CSV
injection" rule; :func:`spreadsheet_safe`).

Any grid's rows export the same way: a :class:`RowSet` is the grid's filtered query in a total order and the
columns to write. :func:`page_rows` makes one from a :class:`PageQuery` (TableBrowser, StageBuilder); a pattern makes
one from its own query builder (``MultiModelConsensus.export_rows``).

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
from pxwidgets.tables.keyset import Order, decode_cursor, encode_cursor
from pxwidgets.tables.pages import PageQuery
from pxwidgets.tables.resolve import call_reading, table_path

MAX_EXPORT_ROWS = 1_000_000
"""The most rows one export writes (Pixeltable's dashboard offers the same)."""
CHUNK_ROWS = 10_000
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
"""What a spreadsheet may read as the start of a formula: text cells starting so are written with a ``'`` first."""


@dataclass(frozen=True)
class RowSet:
    """What an export reads from one table: a grid's filtered rows in a total order, and the columns to write.

    Example:
        >>> rows = page_rows(PageQuery(order_by=('title', True)))(pxt.get_table('demo/photos'))  # doctest: +SKIP
        >>> rows.order.sort, rows.count()  # doctest: +SKIP
        (('title', True), 42)
    """

    specs: list[ColumnSpec]
    """The columns to write, in order."""
    predicate: Any
    """The grid's filter: a Pixeltable predicate, ``None`` for every row, ``False`` for none."""
    order: Order
    """The grid's order, made total by its tie-break (chunks follow each other by key)."""
    count: Callable[[], int | None]
    """How many rows match (the progress bar's total)."""
    pandas_code: str = ''
    """The plain Pixeltable code of the same rows as a DataFrame."""
    name: str = ''
    """What the file name adds to the table's (e.g. the filter: ``'demo_digits-disagreements.csv'``)."""


RowSource = Callable[[pxt.Table], RowSet]
"""Builds a :class:`RowSet` over the table handle an export reads (opened afresh for each chunk)."""


def page_rows(query: PageQuery | None = None) -> RowSource:
    """The rows of a page query (its window ignored): every column shown, its filters, errors-only and sort."""
    q = replace(query or PageQuery(), offset=0, limit=1, after=None, before=None)

    def build(table: pxt.Table) -> RowSet:
        plan = pages._plan(table, q)
        return RowSet(
            plan.specs,
            plan.predicate,
            plan.order,
            lambda: pages.count_rows(table, q),
            pages.pandas_code(table_path(table), q, plan.order),
        )

    return build


def spreadsheet_safe(value: Any) -> Any:
    """A text cell as a spreadsheet may open it: ``'`` before a leading ``= + - @``, tab or carriage return.

    Example:
        >>> spreadsheet_safe('=SUM(A1:A9)'), spreadsheet_safe('-3 dB'), spreadsheet_safe('ok')
        ("'=SUM(A1:A9)", "'-3 dB", 'ok')
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


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
    name: str = ''
    """What the file name adds to the table's (:attr:`RowSet.name`)."""
    pandas_code: str = ''


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
    query: PageQuery | RowSource | None = None,
    *,
    after: str | None = None,
    done: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    max_rows: int = MAX_EXPORT_ROWS,
) -> CsvChunk:
    """The next chunk of the query's CSV: the first (with the header) without ``after``, else the rows after it.

    ``query`` is a page query (its window ignored) or a :data:`RowSource` (a grid's own query, see :class:`RowSet`).

    Raises:
        InvalidRequestError: ``after`` was made for another table or order (start the export again).
    """
    source = query if callable(query) else page_rows(query)
    if not 1 <= chunk_rows <= 100_000:
        raise InvalidRequestError(f'chunk_rows must be from 1 to 100000, not {chunk_rows}.')

    def read(table: pxt.Table) -> CsvChunk:
        rows = source(table)
        total = rows.count()
        keys = rows.order.key_exprs(table)
        specs, problems = _exported(rows.specs)
        n = max(0, min(chunk_rows, max_rows - done))

        items: dict[str, Any] = {f'k{i}': e for i, e in enumerate(keys)}
        for j, spec in enumerate(specs):
            items[f'c{j}'] = table[spec.name].fileurl if spec.is_media else table[spec.name]

        frames: list[pd.DataFrame] = []
        if rows.predicate is not False and n:
            with read_transaction([table]):
                selected = table.select(**items)
                queries: Iterator[Any]
                if after is None:
                    queries = iter([requery(selected, where=rows.predicate, order_by=rows.order.items(keys))])
                else:
                    key = decode_cursor(table, rows.order, after, len(keys))
                    if key is None:
                        raise InvalidRequestError(
                            'This export was started on another table or order.', hint='Start the download again.'
                        )
                    queries = (
                        requery(selected, where=pred if rows.predicate is None else rows.predicate & pred, order_by=o)
                        for pred, o in rows.order.segments(keys, key)
                    )
                got = 0
                for q in queries:
                    if got >= n:
                        break
                    frame = q.limit(n - got).collect().to_pandas()
                    got += len(frame)
                    frames.append(frame)
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        count = len(frame)
        cursor = None
        if count:
            key_cols = [c for c in frame.columns if str(c).startswith('k')]
            cursor = encode_cursor(table, rows.order, [_plain(frame[k].iloc[-1]) for k in key_cols])
        out = pd.DataFrame({spec.name: _column(frame, f'c{j}', spec, count) for j, spec in enumerate(specs)})
        data = out.to_csv(index=False, header=after is None).encode()
        written = done + count
        more = count == n and n > 0 and (total is None or written < total)
        return CsvChunk(
            data=data,
            rows=count,
            done=written,
            total=total,
            next=cursor if more and written < max_rows else None,
            truncated=more and written >= max_rows,
            columns=[s.name for s in specs],
            problems=problems,
            name=rows.name,
            pandas_code=rows.pandas_code,
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
    if spec.kind == 'string':
        return frame[name].map(spreadsheet_safe)
    return frame[name]


def csv_chunks(
    table_or_path: pxt.Table | str, query: PageQuery | RowSource | None = None, **kwargs: Any
) -> Iterator[CsvChunk]:
    """Every chunk of the query's CSV, in order (see :func:`csv_chunk` for the arguments)."""
    chunk = csv_chunk(table_or_path, query, **kwargs)
    yield chunk
    while chunk.next is not None:
        chunk = csv_chunk(table_or_path, query, **{**kwargs, 'after': chunk.next, 'done': chunk.done})
        yield chunk


def export_csv(
    table_or_path: pxt.Table | str,
    dest: str | Path,
    query: PageQuery | RowSource | None = None,
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


def export_filename(table_or_path: pxt.Table | str, name: str = '') -> str:
    """A file name for a table's export (``'demo_photos.csv'``; with ``name``: ``'demo_photos-name.csv'``)."""
    path = table_or_path if isinstance(table_or_path, str) else table_path(table_or_path)
    stem = path.replace('/', '_').replace(':', '_v')
    suffix = ''.join(c if c.isalnum() or c in '_.' else '_' for c in name)
    return f'{stem}-{suffix}.csv' if suffix else f'{stem}.csv'


__all__ = [
    'CHUNK_ROWS',
    'MAX_EXPORT_ROWS',
    'CsvChunk',
    'RowSet',
    'RowSource',
    'csv_chunk',
    'csv_chunks',
    'export_csv',
    'export_filename',
    'page_rows',
    'spreadsheet_safe',
]
