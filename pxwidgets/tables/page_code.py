"""The plain Pixeltable code of a page: the query that fetches the same rows, and the whole result as a DataFrame.

Example:
    >>> print(query_code('demo/photos', PageQuery(limit=20, order_by=('title', True))))
    import pixeltable as pxt
    <BLANKLINE>
    t = pxt.get_table('demo/photos')
    t.order_by(t.title, asc=True).limit(20).collect()
    <BLANKLINE>
"""

from __future__ import annotations

from pxwidgets.tables.keyset import Order
from pxwidgets.tables.page import PageQuery


def _query_parts(query: PageQuery, order: Order | None) -> list[str]:
    parts = ['t']
    conds = [f.to_code('t') for f in query.filters]
    if query.errors_only:
        conds.append('<any computed column>.errortype != None')
    if conds:
        joined = ' & '.join(f'({c})' for c in conds) if len(conds) > 1 else conds[0]
        parts.append(f'.where({joined})')
    if query.order_by:
        col, asc = query.order_by
        parts.append(f'.order_by({_ref(col)}, asc={asc})')
    if order is not None and order.tiebreak:
        parts.append(f'.order_by({", ".join(map(_ref, order.tiebreak))})')
    if query.columns:
        parts.append(f'.select({", ".join(map(_ref, query.columns))})')
    return parts


def _ref(col: str) -> str:
    return f't.{col}' if col.isidentifier() else f't[{col!r}]'


def query_code(path: str, query: PageQuery, order: Order | None = None, fetched_by: str = 'offset') -> str:
    """The plain Pixeltable code that fetches the same rows.

    A page fetched by key (see :mod:`pxwidgets.tables.keyset`) is the same rows as the offset form while the table is
    unchanged; the code says so, and what breaks ties.
    """
    parts = _query_parts(query, order)
    parts.append(f'.limit({query.limit}, offset={query.offset})' if query.offset else f'.limit({query.limit})')
    notes = ''
    if order is not None and query.order_by and not order.tiebreak:
        notes += "# ties in the sort column are in Pixeltable's row order (rowid), which has no public name\n"
    if fetched_by != 'offset':
        notes += f'# pxwidgets fetched this page by {fetched_by}: the same rows, without reading the rows before them\n'
    return f'import pixeltable as pxt\n\nt = pxt.get_table({path!r})\n{notes}t{"".join(parts[1:])}.collect()\n'


def pandas_code(path: str, query: PageQuery, order: Order | None = None, *, full: bool = True) -> str:
    """The plain Pixeltable code of the whole filtered, sorted result as a pandas DataFrame (and a CSV file).

    ``full=False`` gives only the lines after ``t = pxt.get_table(…)`` (to follow a page's ``code``).

    Example:
        >>> print(pandas_code('demo/photos', PageQuery(order_by=('title', True))))  # doctest: +SKIP
        import pixeltable as pxt
        ...
        df = t.order_by(t.title, asc=True).collect().to_pandas()
    """
    chain = ''.join(_query_parts(query, order)[1:])
    tail = (
        f'df = t{chain}.collect().to_pandas()\n'
        "df.to_csv('export.csv', index=False)  # media columns: select t.<col>.fileurl for their URLs\n"
    )
    return f'import pixeltable as pxt\n\nt = pxt.get_table({path!r})\n{tail}' if full else tail
