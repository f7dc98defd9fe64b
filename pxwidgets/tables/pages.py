"""Fetch one page of any table, view or snapshot: sorted and filtered in the database, media as thumbnails.

Only the requested rows are read; stored images are thumbnailed from their files at reduced decode size, unstored
images (an iterator's frames) are decoded by Pixeltable and thumbnailed, videos show their first frame.

Example:
    >>> page = fetch_page('demo/photos', PageQuery(offset=0, limit=20, order_by=('title', True)))  # doctest: +SKIP
    >>> page.total, len(page.rows)  # doctest: +SKIP
    (42, 20)
"""

from __future__ import annotations

import functools
import operator
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import PIL.Image
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.columns import ColumnSpec, column_by_name, describe_columns
from pxwidgets.tables.counting import count
from pxwidgets.tables.filters import Filter
from pxwidgets.tables.internals import table_id, table_version
from pxwidgets.tables.lru import LruCache
from pxwidgets.tables.resolve import call_reading, table_path
from pxwidgets.tables.thumbnails import Thumbnail, image_file_thumbnail, image_thumbnail, video_poster

MAX_LIMIT = 500
_thumbnailers = ThreadPoolExecutor(max_workers=2, thread_name_prefix='pxwidgets-thumb')
_counters = ThreadPoolExecutor(max_workers=2, thread_name_prefix='pxwidgets-count')


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

    def to_pandas(self) -> pd.DataFrame:
        """The page as a DataFrame (thumbnails as PIL images, failures as their error message)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Thumbnail):
                return PIL.Image.open(__import__('io').BytesIO(value.data))
            if isinstance(value, CellError):
                return f'{value.errortype}: {value.errormsg}'
            if isinstance(value, MediaRef):
                return value.path
            return value

        return pd.DataFrame([[plain(v) for v in row] for row in self.rows], columns=[c.name for c in self.columns])


# ---- query building -------------------------------------------------------------------------------------------


def _predicate(table: pxt.Table, specs: list[ColumnSpec], query: PageQuery) -> Any | None:
    preds = [f.to_expr(table) for f in query.filters]
    if query.errors_only:
        failing = [table[c.name].errortype != None for c in specs if c.records_errors]  # noqa: E711
        if not failing:
            return False
        preds.append(functools.reduce(operator.or_, failing))
    return functools.reduce(operator.and_, preds) if preds else None


def _select_list(table: pxt.Table, specs: list[ColumnSpec]) -> dict[str, Any]:
    sel: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        col = table[spec.name]
        stored_file = spec.is_media and spec.is_stored
        sel[f'c{i}'] = col.localpath if stored_file else col
        if spec.records_errors:
            sel[f'e{i}'] = col.errortype
            sel[f'm{i}'] = col.errormsg
    return sel


def query_code(path: str, query: PageQuery) -> str:
    """The plain Pixeltable code that fetches the same rows."""
    parts = ['t']
    conds = [f.to_code('t') for f in query.filters]
    if query.errors_only:
        conds.append('<any computed column>.errortype != None')
    if conds:
        joined = ' & '.join(f'({c})' for c in conds) if len(conds) > 1 else conds[0]
        parts.append(f'.where({joined})')
    if query.order_by:
        col, asc = query.order_by
        ref = f't.{col}' if col.isidentifier() else f't[{col!r}]'
        parts.append(f'.order_by({ref}, asc={asc})')
    if query.columns:
        refs = ', '.join(f't.{c}' if c.isidentifier() else f't[{c!r}]' for c in query.columns)
        parts.append(f'.select({refs})')
    parts.append(f'.limit({query.limit}, offset={query.offset})' if query.offset else f'.limit({query.limit})')
    return f'import pixeltable as pxt\n\nt = pxt.get_table({path!r})\nt{"".join(parts[1:])}.collect()\n'


_counts: LruCache[int] = LruCache(128)
"""Row counts by (path, table version, filters): unchanged while the table's version is unchanged."""


def _table_version(table: pxt.Table) -> Any:
    try:
        return table_version(table)
    except Exception:  # internal API moved: no caching then
        return object()


# ---- cell values ----------------------------------------------------------------------------------------------


def _detections(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    boxes = value.get('bboxes', value.get('boxes'))
    if not isinstance(boxes, list) or not all(
        isinstance(b, list | tuple) and len(b) == 4 and all(isinstance(x, int | float) for x in b) for b in boxes
    ):
        return None
    n = len(boxes)
    raw_labels, raw_scores = value.get('labels'), value.get('scores')
    labels: list[Any] = raw_labels if isinstance(raw_labels, list) else [None] * n
    scores: list[Any] = raw_scores if isinstance(raw_scores, list) else [None] * n
    return {'boxes': [list(map(float, b)) for b in boxes], 'labels': labels[:n], 'scores': scores[:n]}


def array_summary(arr: np.ndarray) -> dict[str, Any]:
    summary = f'{arr.dtype} {list(arr.shape)}'
    if arr.size and np.issubdtype(arr.dtype, np.number):
        summary += f'  min {arr.min():.4g}  mean {arr.mean():.4g}  max {arr.max():.4g}'
    return {'shape': list(arr.shape), 'dtype': str(arr.dtype), 'summary': summary}


def _thumbnail_job(spec: ColumnSpec, raw: Any) -> Any:
    if raw is None:
        return None
    if spec.kind == 'image':
        return image_thumbnail(raw) if isinstance(raw, PIL.Image.Image) else image_file_thumbnail(str(raw))
    if spec.kind == 'video':
        return video_poster(str(raw))
    return MediaRef(spec.kind, str(raw))


def _build_rows(specs: list[ColumnSpec], result: Any) -> list[list[Any]]:
    n = len(result)
    cols = {name: result[name] for name in result.schema}  # column-wise lists
    rows: list[list[Any]] = [[None] * len(specs) for _ in range(n)]
    jobs: list[tuple[int, int, Any]] = []
    for j, spec in enumerate(specs):
        values = cols[f'c{j}']
        errtypes = cols.get(f'e{j}')
        errmsgs = cols.get(f'm{j}')
        for i in range(n):
            if errtypes is not None and errtypes[i] is not None:
                rows[i][j] = CellError(str(errtypes[i]), str(errmsgs[i] if errmsgs else ''))
            elif spec.is_media:
                jobs.append((i, j, _thumbnailers.submit(_thumbnail_job, spec, values[i])))
            else:
                rows[i][j] = values[i]
    for i, j, future in jobs:
        try:
            rows[i][j] = future.result()
        except Exception as exc:  # an unreadable file is shown as that cell's error, not the page's
            rows[i][j] = CellError(type(exc).__name__, str(exc))
    attach_overlays(specs, rows)
    return rows


def attach_overlays(specs: list[ColumnSpec], rows: list[list[Any]]) -> None:
    image_cols = [j for j, s in enumerate(specs) if s.kind == 'image']
    json_cols = [j for j, s in enumerate(specs) if s.kind == 'json']
    if not image_cols or not json_cols:
        return
    for row in rows:
        for j in json_cols:
            det = _detections(row[j])
            if det is None:
                continue
            target = next((k for k in image_cols if isinstance(row[k], Thumbnail)), None)
            if target is not None:
                row[target].overlays.append({'column': specs[j].name, **det})


@dataclass(frozen=True)
class _Plan:
    """A validated query, ready to run: the table's columns, the predicate and the key of its row count.

    ``selected`` is the sorted, filtered query with its select list, bound once per table version: building it costs
    about as many catalog round trips as running it, so a panel paging through a table reuses it.
    """

    specs: list[ColumnSpec]
    query: PageQuery
    predicate: Any
    base: Any
    count_key: tuple[Any, ...]
    selected: Any = None


_plans: LruCache[_Plan] = LruCache(64)
"""Prepared plans by (table, version, filters, order, errors-only, columns): a new version never reuses one."""


def _plan(table: pxt.Table, query: PageQuery) -> _Plan:
    version = _table_version(table)
    key = (table_id(table), version, query.filters, query.order_by, query.errors_only, query.columns)
    cached = _plans.get(key) if isinstance(version, int) else None
    if cached is not None:
        return replace(cached, query=replace(cached.query, offset=query.offset, limit=query.limit))
    all_specs = describe_columns(table)
    filters = tuple(f.validated(all_specs) for f in query.filters)
    q = PageQuery(query.offset, query.limit, query.order_by, filters, query.errors_only, query.columns)
    specs = all_specs
    if q.columns is not None:
        unknown = [c for c in q.columns if column_by_name(all_specs, c) is None]
        if unknown:
            raise InvalidRequestError(
                f'Unknown column(s) {", ".join(map(repr, unknown))}.',
                hint=f'Columns: {", ".join(c.name for c in all_specs)}.',
            )
        specs = [spec for name in q.columns if (spec := column_by_name(all_specs, name)) is not None]
    if q.order_by is not None:
        spec = column_by_name(all_specs, q.order_by[0])
        if spec is None:
            raise InvalidRequestError(f'Cannot sort by unknown column {q.order_by[0]!r}.')
        if not spec.sortable:
            raise InvalidRequestError(f'Cannot sort by {spec.name!r}: {spec.type_text} values have no order.')
    pred = _predicate(table, all_specs, q)
    base: Any = table if pred is None else table.where(pred)
    selected = None
    if pred is not False:
        ordered = base.order_by(table[q.order_by[0]], asc=q.order_by[1]) if q.order_by else base
        selected = ordered.select(**_select_list(table, specs))
    plan = _Plan(specs, q, pred, base, (table_path(table), version, filters, q.errors_only), selected)
    if isinstance(version, int):
        _plans.put(key, plan)
    return plan


def _start_count(table: pxt.Table, plan: _Plan) -> Future[int]:
    """Count the plan's rows on a worker thread; the result lands in the count cache."""
    if plan.predicate is False:
        done: Future[int] = Future()
        done.set_result(0)
        return done
    if plan.query.errors_only:
        probe = next((table[c.name].errortype for c in plan.specs if c.records_errors), None)
        future = _counters.submit(count, plan.base, probe=probe)
    else:
        future = _counters.submit(plan.base.count)

    def remember(f: Future[int]) -> None:
        if f.exception() is None:
            _counts.put(plan.count_key, f.result())

    future.add_done_callback(remember)
    return future


def _past_the_end(query: PageQuery, total: int) -> InvalidRequestError:
    last = max(0, (total - 1) // query.limit * query.limit)
    return InvalidRequestError(
        f'Offset {query.offset} is past the end: there are {total} matching rows.',
        hint=f'The last page starts at offset {last}.',
    )


def fetch_page(table_or_path: pxt.Table | str, query: PageQuery | None = None, *, wait_for_count: bool = True) -> Page:
    """Fetch one page of rows (filtered and sorted in the database) and the filtered row count.

    The count runs in parallel with the page query. With ``wait_for_count=False`` a count that is not known yet
    (not cached for this table version) does not hold the rows back: ``total`` is then ``None`` and
    :func:`count_rows` gives it (from the cache, once the running count is done). Panels use this so that the first
    rows appear as fast on a billion-row table as on a small one.

    Raises:
        TableNotFoundError: no such table (or it was dropped).
        InvalidRequestError: an unknown column, a value of the wrong type, a page past the end.
        DatabaseBusyError: the table stayed locked by another process past the deadline.
    """
    query = query or PageQuery()
    path = table_or_path.strip() if isinstance(table_or_path, str) else table_path(table_or_path)

    def read(table: pxt.Table) -> Page:
        start = time.perf_counter()
        plan = _plan(table, query)
        q = plan.query
        total = _counts.get(plan.count_key)
        # waiting: count in parallel with the page query; not waiting: the rows first, then the count (on two cores a
        # parallel count of a big table would slow the rows down)
        counting = _start_count(table, plan) if total is None and wait_for_count else None
        rows: list[list[Any]] = []
        if plan.selected is not None:
            result = plan.selected.limit(q.limit, offset=q.offset).collect()
            rows = _build_rows(plan.specs, result)
        if total is None and counting is None:
            counting = _start_count(table, plan)
        if counting is not None and (wait_for_count or counting.done() or (q.offset and not rows)):
            total = counting.result()
        if total is not None and q.offset and q.offset >= total:
            raise _past_the_end(q, total)
        elapsed = (time.perf_counter() - start) * 1000
        problems = [f'{c.name}: {c.problem}' for c in plan.specs if c.problem]
        return Page(path, plan.specs, rows, q.offset, q.limit, total, elapsed, query_code(path, q), problems)

    return call_reading(path, read, what='fetching a page of rows')


def count_rows(table_or_path: pxt.Table | str, query: PageQuery | None = None) -> int:
    """How many rows match the query's filters (cached per table version, so usually free after a page).

    Example:
        >>> count_rows('demo/photos', PageQuery(filters=(Filter('width', '>', 500),)))  # doctest: +SKIP
        12
    """

    def read(table: pxt.Table) -> int:
        plan = _plan(table, query or PageQuery())
        cached = _counts.get(plan.count_key)
        return cached if cached is not None else _start_count(table, plan).result()

    return call_reading(table_or_path, read, what='counting rows')
