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
import itertools
import operator
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.columns import ColumnSpec, column_by_name, describe_columns
from pxwidgets.tables.counting import count
from pxwidgets.tables.internals import read_transaction, requery, table_id, table_version
from pxwidgets.tables.keyset import Order, decode_cursor, encode_cursor
from pxwidgets.tables.lru import LruCache
from pxwidgets.tables.page import MAX_LIMIT, CellError, MediaRef, Page, PageQuery
from pxwidgets.tables.page_cells import array_summary, attach_overlays, build_rows, columns_of
from pxwidgets.tables.page_code import pandas_code, query_code
from pxwidgets.tables.resolve import call_reading, table_path

__all__ = [
    'MAX_LIMIT',
    'CellError',
    'MediaRef',
    'Page',
    'PageQuery',
    'array_summary',
    'attach_overlays',
    'count_rows',
    'fetch_by_key',
    'fetch_page',
    'key_queries',
    'pandas_code',
    'query_code',
]

_counters = ThreadPoolExecutor(max_workers=2, thread_name_prefix='pxwidgets-count')


# ---- query building -------------------------------------------------------------------------------------------


def _predicate(table: pxt.Table, specs: list[ColumnSpec], query: PageQuery) -> Any | None:
    preds = [f.to_expr(table) for f in query.filters]
    if query.errors_only:
        failing = [table[c.name].errortype != None for c in specs if c.records_errors]  # noqa: E711
        if not failing:
            return False
        preds.append(functools.reduce(operator.or_, failing))
    return functools.reduce(operator.and_, preds) if preds else None


def _select_list(table: pxt.Table, specs: list[ColumnSpec], order: Order | None = None) -> dict[str, Any]:
    """``c{i}`` per column (``e{i}``/``m{i}`` its error), and ``k{i}`` per part of the row's key in ``order``."""
    sel: dict[str, Any] = {}
    if order is not None:
        sel.update({f'k{i}': expr for i, expr in enumerate(order.key_exprs(table))})
    for i, spec in enumerate(specs):
        col = table[spec.name]
        stored_file = spec.is_media and spec.is_stored
        sel[f'c{i}'] = col.localpath if stored_file else col
        if spec.records_errors:
            sel[f'e{i}'] = col.errortype
            sel[f'm{i}'] = col.errormsg
    return sel


_counts: LruCache[int] = LruCache(128)
"""Row counts by (path, table version, filters): unchanged while the table's version is unchanged."""


def _table_version(table: pxt.Table) -> Any:
    try:
        return table_version(table)
    except Exception:  # internal API moved: no caching then
        return object()


@dataclass(frozen=True)
class _Plan:
    """A validated query, ready to run: the table's columns, the predicate and the key of its row count.

    ``selected`` is the sorted, filtered query with its select list, bound once per table version: building it costs
    about as many catalog round trips as running it, so a panel paging through a table reuses it. Its order is total
    (``order``: the sort column, then the primary key or the rowid), so every row has a key to page from.
    """

    specs: list[ColumnSpec]
    query: PageQuery
    predicate: Any
    base: Any
    count_key: tuple[Any, ...]
    selected: Any = None
    order: Order = field(default_factory=lambda: Order(None, False, ()))
    all_specs: list[ColumnSpec] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)
    """The key expressions of ``order`` (Pixeltable copies expressions into each query: they can be reused)."""
    reversed: dict[str, Any] = field(default_factory=dict)
    """The same query in the reverse order (built on first use, shared by the copies of this plan)."""

    def selected_in_reverse(self, table: pxt.Table) -> Any:
        if 'query' not in self.reversed:
            items = self.order.items(self.keys, reverse=True)
            self.reversed['query'] = requery(self.selected, where=self.predicate, order_by=items)
        return self.reversed['query']


def _ordered(query: Any, items: list[tuple[Any, bool]]) -> Any:
    for expr, asc in items:
        query = query.order_by(expr, asc=asc)
    return query


_plans: LruCache[_Plan] = LruCache(64)
"""Prepared plans by (table, version, filters, order, errors-only, columns): a new version never reuses one."""


def _plan(table: pxt.Table, query: PageQuery) -> _Plan:
    version = _table_version(table)
    key = (table_id(table), version, query.filters, query.order_by, query.errors_only, query.columns)
    cached = _plans.get(key) if isinstance(version, int) else None
    if cached is not None:
        window = replace(cached.query, offset=query.offset, limit=query.limit, after=query.after, before=query.before)
        return replace(cached, query=window)
    all_specs = describe_columns(table)
    filters = tuple(f.validated(all_specs) for f in query.filters)
    q = replace(query, filters=filters)
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
    order = Order.of(all_specs, q.order_by)
    keys = order.key_exprs(table)
    pred = _predicate(table, all_specs, q)
    base: Any = table if pred is None else table.where(pred)
    selected = None
    if pred is not False:
        selected = _ordered(base, order.items(keys)).select(**_select_list(table, specs, order))
    count_key = (table_path(table), version, filters, q.errors_only)
    plan = _Plan(specs, q, pred, base, count_key, selected, order, all_specs, keys)
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


def _fetch_rows(table: pxt.Table, plan: _Plan, total: int | None) -> tuple[dict[str, list[Any]], str, int]:
    """The rows of the plan's window as column-wise lists, how they were found, and the window's offset.

    By key after/before a cursor of the same order; else by ``OFFSET`` from the nearer end when the row count is
    known; else by ``OFFSET`` (see :mod:`pxwidgets.tables.keyset` for what each costs).
    """
    q = plan.query
    token = q.after or q.before
    key = decode_cursor(table, plan.order, token, len(plan.keys)) if token else None
    if key is not None:
        reverse = q.after is None
        cols = fetch_by_key(table, plan, key, q.limit, reverse=reverse)
        if not reverse or len(cols['k0']) == q.limit:
            return cols, 'key', q.offset
        # fewer rows than a page before the key (rows were deleted or the key moved up): the first page instead
        return columns_of(plan.selected.limit(q.limit).collect()), 'offset', 0
    if total is not None and 0 < total - q.offset < q.offset:
        start = max(0, total - q.offset - q.limit)
        result = plan.selected_in_reverse(table).limit(total - q.offset - start, offset=start).collect()
        return columns_of(result, reverse=True), 'offset from the end', q.offset
    return columns_of(plan.selected.limit(q.limit, offset=q.offset).collect()), 'offset', q.offset


def fetch_by_key(
    table: pxt.Table, plan: _Plan, key: list[Any], limit: int, *, reverse: bool = False
) -> dict[str, list[Any]]:
    """Up to ``limit`` rows after ``key`` in the plan's order (before it with ``reverse``), as column-wise lists in the
    plan's order."""
    cols: dict[str, list[Any]] = {'k0': []}
    with read_transaction([table]):  # building a query otherwise revalidates the catalog per column reference
        for query in key_queries(table, plan, key, reverse=reverse):
            got = len(cols['k0'])
            if got >= limit:
                break
            for name, values in columns_of(query.limit(limit - got).collect()).items():
                cols.setdefault(name, []).extend(values)
    return {name: values[::-1] for name, values in cols.items()} if reverse else cols


def key_queries(
    table: pxt.Table, plan: _Plan, key: list[Any], *, reverse: bool = False, select: Any = None
) -> Iterator[Any]:
    """The queries (no limit yet) whose rows, in turn, follow ``key`` in the plan's order (precede it with
    ``reverse``, in reverse order), filtered as the plan is. ``select`` is a query over the table whose select list
    replaces the plan's; it must keep the ``k{i}`` key items."""
    for pred, items in plan.order.segments(plan.keys, key, reverse=reverse):
        where = pred if plan.predicate is None else plan.predicate & pred
        yield requery(plan.selected if select is None else select, where=where, order_by=items)


def _key_at(cols: dict[str, list[Any]], i: int) -> list[Any]:
    return [cols[f'k{j}'][i] for j in itertools.takewhile(lambda j: f'k{j}' in cols, itertools.count())]


def _cursor(table: pxt.Table, order: Order, cols: dict[str, list[Any]]) -> dict[str, str] | None:
    n = len(cols.get('k0', []))
    if not n:
        return None
    return {
        'first': encode_cursor(table, order, _key_at(cols, 0)),
        'last': encode_cursor(table, order, _key_at(cols, n - 1)),
    }


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
        cursor = None
        fetched_by, offset = 'offset', q.offset
        if plan.selected is not None:
            cols, fetched_by, offset = _fetch_rows(table, plan, total)
            rows = build_rows(plan.specs, cols)
            cursor = _cursor(table, plan.order, cols)
        if total is None and counting is None:
            counting = _start_count(table, plan)
        if counting is not None and (wait_for_count or counting.done() or (q.offset and not rows)):
            total = counting.result()
        if total is not None and offset and offset >= total and not rows:
            raise _past_the_end(q, total)
        elapsed = (time.perf_counter() - start) * 1000
        problems = [f'{c.name}: {c.problem}' for c in plan.specs if c.problem]
        shown = replace(q, offset=offset)
        return Page(
            path,
            plan.specs,
            rows,
            offset,
            q.limit,
            total,
            elapsed,
            query_code(path, shown, plan.order, fetched_by),
            problems,
            cursor,
            fetched_by,
            pandas_code(path, q, plan.order, full=False),
        )

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
