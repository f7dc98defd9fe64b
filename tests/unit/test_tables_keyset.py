"""Pages by key: sequential pages in every order equal the whole ordered result, survive inserts and deletes, and the
reply says how its rows were found."""

from __future__ import annotations

from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables import Filter, PageQuery, fetch_page
from pxwidgets.tables.internals import rowid_refs

N = 23


@pytest.fixture
def scores(pxt_dir: str) -> pxt.Table:
    """Duplicate and NULL sort values, no primary key: ties are broken by Pixeltable's rowid."""
    t = pxt.create_table(f'{pxt_dir}/scores', {'n': pxt.Int, 'score': pxt.Int | None, 'name': pxt.String | None})
    t.insert({'n': i, 'score': None if i % 6 == 0 else i % 4, 'name': f'row {i:02d}'} for i in range(N))
    return t


@pytest.fixture
def keyed(pxt_dir: str) -> pxt.Table:
    """A primary key (inserted out of order) breaks ties."""
    t = pxt.create_table(f'{pxt_dir}/keyed', {'id': pxt.Int, 'grp': pxt.String}, primary_key='id')
    t.insert({'id': (i * 7) % N, 'grp': 'ab'[i % 2]} for i in range(N))
    return t


def walk(table: pxt.Table, query: PageQuery, limit: int = 5) -> tuple[list[list[Any]], list[str]]:
    """Every page from the first on, each fetched with the previous page's cursor; the rows and how each was found."""
    page = fetch_page(table, PageQuery(**{**query.__dict__, 'limit': limit}))
    rows, methods = list(page.rows), [page.fetched_by]
    while page.cursor is not None and len(page.rows) == limit:
        nxt = PageQuery(
            **{**query.__dict__, 'limit': limit, 'offset': page.offset + limit, 'after': page.cursor['last']}
        )
        page = fetch_page(table, nxt)
        rows += page.rows
        methods.append(page.fetched_by)
    return rows, methods


def expected(table: pxt.Table, sort: tuple[str, bool] | None, tie: list[Any], where: Any = None) -> list[int]:
    q = table if where is None else table.where(where)
    if sort:
        q = q.order_by(table[sort[0]], asc=sort[1])
    for e in tie:
        q = q.order_by(e)
    return list(q.select(table.n).collect()['n'])


@pytest.mark.parametrize('sort', [None, ('score', True), ('score', False), ('name', False)])
def test_sequential_pages_by_key_are_the_whole_ordered_result(scores: pxt.Table, sort: Any) -> None:
    rows, methods = walk(scores, PageQuery(order_by=sort))
    assert methods[0] == 'offset' and set(methods[1:]) == {'key'}
    want = expected(scores, sort, rowid_refs(scores))
    assert [r[0] for r in rows] == want  # NULLs last ascending, first descending, ties in rowid order
    assert len(set(want)) == N


def test_primary_key_breaks_ties_and_filters_apply(keyed: pxt.Table) -> None:
    query = PageQuery(order_by=('grp', False), filters=(Filter('id', '>', 3),))
    page = fetch_page(keyed, PageQuery(order_by=('grp', False), filters=(Filter('id', '>', 3),), limit=4))
    rows = list(page.rows)
    while page.cursor and len(page.rows) == 4:
        page = fetch_page(keyed, PageQuery(**{**query.__dict__, 'limit': 4, 'after': page.cursor['last']}))
        rows += page.rows
    want = keyed.where(keyed.id > 3).order_by(keyed.grp, asc=False).order_by(keyed.id).select(keyed.id).collect()
    assert [r[0] for r in rows] == list(want['id'])
    assert '.order_by(t.id)' in page.code and 'by key' in page.code


def test_previous_page_by_key_is_the_page_before(scores: pxt.Table) -> None:
    sort = ('score', True)
    pages = [fetch_page(scores, PageQuery(order_by=sort, limit=5, offset=k)) for k in (0, 5, 10)]
    back = fetch_page(scores, PageQuery(order_by=sort, limit=5, offset=5, before=pages[2].cursor['first']))  # type: ignore[index]
    assert back.fetched_by == 'key' and back.rows == pages[1].rows and back.offset == 5
    # before the first page there is less than a page: the first page, at offset 0
    first = fetch_page(scores, PageQuery(order_by=sort, limit=5, offset=0, before=pages[0].cursor['last']))  # type: ignore[index]
    assert first.offset == 0 and first.rows == pages[0].rows


def test_cursor_survives_deletes_and_inserts(scores: pxt.Table) -> None:
    sort = ('score', False)
    page = fetch_page(scores, PageQuery(order_by=sort, limit=6))
    last_n = page.rows[-1][0]
    seen = [r[0] for r in page.rows]
    scores.delete(scores.n == last_n)  # the key's own row is gone
    scores.insert(
        [{'n': 100, 'score': None, 'name': 'new, before the key'}, {'n': 101, 'score': 0, 'name': 'new after'}]
    )
    rest, _ = walk(scores, PageQuery(order_by=sort, limit=6, offset=6, after=page.cursor['last']))  # type: ignore[index]
    rest_n = [r[0] for r in rest]
    # the rows after the key, exactly once each; the row inserted before the key is not repeated or shown late
    assert not set(seen) & set(rest_n) and len(rest_n) == len(set(rest_n))
    assert 101 in rest_n and 100 not in rest_n
    assert rest_n == [n for n in expected(scores, sort, rowid_refs(scores)) if n not in seen and n != 100]


def test_stale_cursor_of_another_order_falls_back_to_offset(scores: pxt.Table) -> None:
    by_score = fetch_page(scores, PageQuery(order_by=('score', True), limit=5))
    other = fetch_page(scores, PageQuery(order_by=('name', True), limit=5, offset=5, after=by_score.cursor['last']))  # type: ignore[index]
    assert other.fetched_by == 'offset'
    assert other.rows == fetch_page(scores, PageQuery(order_by=('name', True), limit=5, offset=5)).rows
    with pytest.raises(InvalidRequestError, match='cursor'):
        fetch_page(scores, PageQuery(limit=5, after='not a cursor'))


def test_pages_near_the_end_are_read_in_reverse(scores: pxt.Table) -> None:
    sort = ('score', False)
    fetch_page(scores, PageQuery(order_by=sort, limit=5))  # the count is cached now
    last = fetch_page(scores, PageQuery(order_by=sort, limit=5, offset=20))
    assert last.fetched_by == 'offset from the end'
    want = expected(scores, sort, rowid_refs(scores))
    assert [r[0] for r in last.rows] == want[20:]
    near = fetch_page(scores, PageQuery(order_by=sort, limit=5, offset=13))
    assert [r[0] for r in near.rows] == want[13:18]
