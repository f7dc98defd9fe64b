"""Pages by key: the rows after (or before) a known row of a total order, instead of skipping ``OFFSET`` rows.

A page query's order is made total by a tie-break: the table's primary key where it has one, else Pixeltable's own
row order (the rowid: insertion order, see :func:`~pxwidgets.tables.internals.rowid_refs`). The last row of a page
is then a key, and the next page is ``where(after key) + order_by + limit``: the database seeks to the key instead
of reading and dropping every row before it, so a page at offset 990,000 costs about what the first page costs.

What a page costs, by how it is asked for:

- **By key** (the page after or before the one on screen; a CSV export's next chunk): about the first page's cost
  when the sort column is indexed (Pixeltable indexes stored scalar columns) or when the grid is unsorted (rowid
  order, the store's primary key). Sorted by a column without a usable index, the database reads the rows after the
  key to find the smallest few (a top-N sort): it grows with the table, but no row is built in Python.
- **By offset from the nearer end** (a jump to a far page when the row count is known): ``OFFSET`` in the reversed
  order when the page is nearer the end, so the last page costs what the first does.
- **By offset** (a jump to an arbitrary page in the middle): ``ORDER BY … OFFSET k`` reads and drops ``k`` rows in
  the database; it grows with ``k`` (at 100k rows here, tens of ms more than the first page).

A key survives inserts and deletes: the rows after a deleted row are still the rows after its key; rows inserted
before the key shift offsets, not the continuation. Sequential paging (next, previous) therefore never repeats or
skips a row that stayed in the table, although the offset shown may then be off by the rows added or removed before.

Example:
    >>> order = Order.of(table, ('score', False))  # doctest: +SKIP
    >>> token = encode_cursor(table, order, [0.93, 4812])  # the key of a page's last row  # doctest: +SKIP
    >>> keys = order.key_exprs(table)  # doctest: +SKIP
    >>> [pred for pred, _ in order.segments(keys, decode_cursor(table, order, token, len(keys)))]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import functools
import json
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.tables.columns import ColumnSpec, column_by_name
from pxwidgets.tables.internals import rowid_refs, table_id

OrderItems = list[tuple[Any, bool]]
"""``[(expression, ascending), …]`` in ``order_by`` order."""


@dataclass(frozen=True)
class Order:
    """The total order of a page query: the sort column (if any), then the tie-break.

    ``tiebreak`` names the primary key columns; empty means Pixeltable's rowid.
    """

    sort: tuple[str, bool] | None
    nullable: bool
    tiebreak: tuple[str, ...]

    @classmethod
    def of(cls, specs: list[ColumnSpec], sort: tuple[str, bool] | None) -> Order:
        """The order of a query sorted by ``sort`` (``(column, ascending)`` or ``None``) over columns ``specs``."""
        spec = column_by_name(specs, sort[0]) if sort else None
        return cls(sort, bool(spec is None or spec.nullable), tuple(c.name for c in specs if c.is_pk))

    @property
    def tiebreak_text(self) -> str:
        return f'primary key ({", ".join(self.tiebreak)})' if self.tiebreak else "Pixeltable's row order (rowid)"

    def _tie(self, table: pxt.Table) -> list[Any]:
        return [table[name] for name in self.tiebreak] if self.tiebreak else rowid_refs(table)

    def key_exprs(self, table: pxt.Table) -> list[Any]:
        """What to select to know a row's key: the sort column's value, then the tie-break."""
        head = [table[self.sort[0]]] if self.sort else []
        return head + self._tie(table)

    def items(self, keys: Sequence[Any], *, reverse: bool = False) -> OrderItems:
        """The ``order_by`` items over the key expressions (:meth:`key_exprs`); ``reverse`` gives the exact reverse
        order (NULLs included)."""
        if not self.sort:
            return [(e, not reverse) for e in keys]
        return [(keys[0], self.sort[1] != reverse)] + [(e, not reverse) for e in keys[1:]]

    def signature(self) -> list[Any]:
        return [list(self.sort) if self.sort else None, list(self.tiebreak)]

    def segments(
        self, keys: Sequence[Any], key: Sequence[Any], *, reverse: bool = False
    ) -> list[tuple[Any, OrderItems]]:
        """The queries whose rows, in turn, are the rows after ``key`` (before it with ``reverse``); ``keys`` are the
        key expressions (:meth:`key_exprs`).

        Each is ``(predicate, order items)``. Postgres puts NULLs last in ascending order and first in descending
        order, so the NULLs of a nullable sort column are a block of their own: a predicate that covered both the
        values after the key and the NULL block (an ``OR``) could not seek in the column's index, so they are two
        queries, the second run only when the first returns fewer rows than a page.
        """
        items = self.items(keys, reverse=reverse)
        tie_items = items[1:] if self.sort else items
        tie_key = list(key[1:]) if self.sort else list(key)
        tie_after = _lex_after(tie_items, tie_key)
        if not self.sort:
            return [(tie_after, tie_items)]
        col, asc = items[0]
        value = key[0]
        if value is not None:
            at_or_after = col >= value if asc else col <= value
            after = col > value if asc else col < value
            segments = [(at_or_after & (after | tie_after), items)]
            if asc and self.nullable:  # ascending: the NULL block comes after every value
                segments.append((col == None, tie_items))  # noqa: E711 (a Pixeltable expression: IS NULL)
            return segments
        segments = [((col == None) & tie_after, tie_items)]  # noqa: E711
        if not asc:  # descending: the NULL block comes first, every value after it
            segments.append((col != None, items))  # noqa: E711
        return segments


def _lex_after(items: OrderItems, values: Sequence[Any]) -> Any:
    """``(a, b, …) > (x, y, …)`` in the order of ``items`` (each item's own direction), as a Pixeltable predicate."""
    terms = []
    for i, ((expr, asc), value) in enumerate(zip(items, values, strict=True)):
        step = expr > value if asc else expr < value
        equal = [items[j][0] == values[j] for j in range(i)]
        terms.append(functools.reduce(operator.and_, [*equal, step]))
    return functools.reduce(operator.or_, terms)


# ---- cursors: a row's key as an opaque token the panel hands back --------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {'$dt': value.isoformat()}
    if isinstance(value, datetime.date):
        return {'$d': value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {'$u': str(value)}
    if hasattr(value, 'item'):  # numpy scalars
        return value.item()
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if '$dt' in value:
            return datetime.datetime.fromisoformat(value['$dt'])
        if '$d' in value:
            return datetime.date.fromisoformat(value['$d'])
        if '$u' in value:
            return uuid.UUID(value['$u'])
        raise InvalidRequestError('Malformed page cursor.')
    return value


def encode_cursor(table: pxt.Table, order: Order, key: Sequence[Any]) -> str:
    """The token of a row's key in ``order`` (what a page reply carries for its first and last row)."""
    return json.dumps(
        {'t': table_id(table), 'o': order.signature(), 'k': [_encode_value(v) for v in key]}, separators=(',', ':')
    )


def decode_cursor(table: pxt.Table, order: Order, token: str, n_keys: int) -> list[Any] | None:
    """The key in a token; ``None`` when it was made for another table or another order (the caller then pages by
    offset: a stale cursor never gives a wrong page).

    Raises:
        InvalidRequestError: The token is not a cursor at all.
    """
    try:
        raw = json.loads(token)
        made_for, signature, key = raw['t'], raw['o'], raw['k']
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidRequestError('Malformed page cursor.') from exc
    if made_for != table_id(table) or signature != order.signature() or not isinstance(key, list):
        return None
    if len(key) != n_keys:
        return None
    return [_decode_value(v) for v in key]
