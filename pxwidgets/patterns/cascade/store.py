"""A level's units read from Pixeltable by key, never all at once: the page of hits, their parents, the units inside
a hit, counts. Kernel memory grows with the hits asked for, not with the level.

Two kinds of level share one shape (:class:`~pxwidgets.patterns.cascade.hits.Hit`):

- **built** levels (``add_level``) carry ``doc_key`` / ``span_start`` / ``span_end`` columns: character spans in the
  document's text; a unit's parent is the coarser unit whose span holds its middle.
- **adopted** levels (hand-made iterator views) carry only their iterator's ``pos``. A level that is a view of another
  adopted level nests in it structurally (each row comes from one base row), so its span is made of the ``pos`` of its
  chain of views (see :data:`~pxwidgets.patterns.cascade.catalog.POS_SHIFTS`) and its parent is fetched by that key.

Example:
    >>> spans_prefix((3 << 40) + (7 << 20), (3 << 40) + (8 << 20))
    [3, 7]
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pxwidgets.patterns.cascade.catalog import POS_SHIFTS, UNIT_COLUMNS, Level
from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.units import UnitMap

if TYPE_CHECKING:
    import pixeltable as pxt

    from pxwidgets.patterns.cascade.tables import CascadeTables

Span = tuple[str, int, int]
"""``(doc_key, start, end)``."""


def spans_prefix(start: int, end: int) -> list[int]:
    """The ``pos`` of each view of an adopted chain that a span ``[start, end)`` names, root first."""
    width = end - start
    depth = next((i for i, shift in enumerate(POS_SHIFTS) if width == 1 << shift), len(POS_SHIFTS) - 1)
    return [(start >> POS_SHIFTS[i]) & ((1 << 20) - 1 if i else (1 << 23) - 1) for i in range(depth + 1)]


def heading_text(value: Any) -> str:
    """A splitter's heading metadata (``{'h1': 'A', 'h2': 'B'}``) as ``'A › B'``."""
    if isinstance(value, Mapping):
        return ' › '.join(str(v) for _, v in sorted(value.items()) if v)
    return '' if value is None else str(value)


def _any(conditions: Sequence[Any]) -> Any:
    return functools.reduce(operator.or_, conditions)


def _all(conditions: Sequence[Any]) -> Any:
    return functools.reduce(operator.and_, conditions)


class LevelStore:
    """How one level's units are selected, filtered and turned into hits.

    Args:
        c: The cascade.
        level: The level.
    """

    def __init__(self, c: CascadeTables, level: Level) -> None:
        self.c = c
        self.level = level
        self.tbl: pxt.Table = c.table(level.name)
        self._ancestors = [c.table_at(p) for p in level.adopted['chain']] if level.adopted is not None else []

    # ---- selecting ----------------------------------------------------------------------------------------------

    def _doc_column(self) -> Any:
        content = self.c.content_column
        key = self.c.key_column
        return self.tbl[key] if key else self.tbl[content]

    def _doc_value(self) -> Any:
        return self._doc_column() if self.c.key_column else self._doc_column().fileurl

    def select(self) -> dict[str, Any]:
        """The expressions of a unit's fields (keyword arguments of ``select``)."""
        a = self.level.adopted
        if a is None:
            return {col: self.tbl[col] for col in UNIT_COLUMNS}
        cols: dict[str, Any] = {'doc': self._doc_value(), 'text': self.tbl[a['text']]}
        if a['title']:
            cols['title'] = self.tbl[a['title']]
        if a['heading']:
            cols['heading'] = self.tbl[a['heading']]
        for i, ancestor in enumerate(self._ancestors):
            cols[f'p{i}'] = ancestor.pos
        return cols

    def hit(self, row: Mapping[str, Any], *, score: float = 0.0, rank: int = 0, query: str = '') -> Hit:
        """A result row (the fields of :meth:`select`) as a hit."""
        a = self.level.adopted
        if a is None:
            return Hit(
                self.level.name,
                str(row['doc_key']),
                str(row['doc_title']),
                str(row['unit_heading'] or ''),
                str(row['unit_text']),
                str(row['unit_kind']),
                int(row['span_start']),
                int(row['span_end']),
                score,
                rank,
                query,
            )
        depth = len(a['chain']) - 1
        start = sum(int(row[f'p{i}']) << POS_SHIFTS[i] for i in range(depth + 1))
        key = self.c.doc_key_of(str(row['doc']))
        return Hit(
            self.level.name,
            key,
            str(row.get('title') or key),
            heading_text(row.get('heading')),
            str(row['text'] or ''),
            a['unit'],
            start,
            start + (1 << POS_SHIFTS[depth]),
            score,
            rank,
            query,
        )

    def hits(self, rows: Iterable[Mapping[str, Any]], query: str = '') -> list[Hit]:
        """Rows with a ``score`` as ranked hits."""
        return [self.hit(r, score=float(r.get('score', 0.0)), rank=i, query=query) for i, r in enumerate(rows, 1)]

    # ---- filtering ----------------------------------------------------------------------------------------------

    def where_docs(self, keys: Iterable[str]) -> Any:
        """Units of these documents."""
        if self.level.adopted is None:
            return self.tbl.doc_key.isin(sorted(keys))
        return _any([self._doc_column() == self.c.doc_value_of(k) for k in sorted(keys)])

    def where_within(self, span: Span) -> Any:
        """Units inside a span (of this level or a coarser one it nests in)."""
        doc, start, end = span
        if self.level.adopted is None:
            t = self.tbl
            return (t.doc_key == doc) & (t.span_start >= start) & (t.span_end <= end)
        prefix = spans_prefix(start, end)[: len(self._ancestors)]
        return _all(
            [self._doc_column() == self.c.doc_value_of(doc)]
            + [self._ancestors[i].pos == p for i, p in enumerate(prefix)]
        )

    def where_holding(self, span: Span) -> Any:
        """The unit(s) of this level that hold the middle of a span (its parent, for a finer unit)."""
        doc, start, end = span
        if self.level.adopted is None:
            mid = (start + max(start, end - 1)) // 2
            t = self.tbl
            return (t.doc_key == doc) & (t.span_start <= mid) & (t.span_end > mid)
        prefix = spans_prefix(start, end)
        depth = len(self._ancestors)
        if len(prefix) < depth:
            raise ValueError('a coarser span has no single unit of a finer level')
        return _all(
            [self._doc_column() == self.c.doc_value_of(doc)]
            + [self._ancestors[i].pos == p for i, p in enumerate(prefix[:depth])]
        )

    # ---- reading by key -----------------------------------------------------------------------------------------

    def rows(self, where: Any, *, limit: int | None = None) -> list[Hit]:
        query = self.tbl.where(where).select(**self.select())
        if limit is not None:
            query = query.limit(limit)
        return [self.hit(r) for r in query.collect()]

    def parents(self, spans: Sequence[Span]) -> dict[Span, Hit]:
        """The unit of this level holding each span (one query for all of them); spans without one are left out."""
        unique = list(dict.fromkeys(spans))
        if not unique:
            return {}
        found = self.rows(_any([self.where_holding(s) for s in unique]))
        out: dict[Span, Hit] = {}
        for doc, start, end in unique:
            mid = (start + max(start, end - 1)) // 2
            holding = [u for u in found if u.doc_key == doc and u.start <= mid < u.end]
            if holding:  # overlapping windows: the latest start holds it most centrally
                out[(doc, start, end)] = max(holding, key=lambda u: u.start)
        return out

    def count_inside(self, spans: Sequence[Span]) -> dict[Span, int]:
        """How many units of this level lie inside each span (one query)."""
        unique = list(dict.fromkeys(spans))
        if not unique:
            return {}
        found = self.rows(_any([self.where_within(s) for s in unique]))
        return {s: sum(1 for u in found if u.doc_key == s[0] and s[1] <= u.start and u.end <= s[2]) for s in unique}

    def count(self) -> int:
        """The number of units (a SQL count)."""
        return int(self.tbl.count())

    def unit_map(self) -> UnitMap:
        """Every unit of the level in memory (BM25 over a lexical level needs them all; searches read by key)."""
        hits = [self.hit(r) for r in self.tbl.select(**self.select()).collect()]
        return UnitMap(
            self.level.name, [(h.doc_key, h.doc_title, h.heading, h.text, h.kind, h.start, h.end) for h in hits]
        )


def linked(coarse: Level, fine: Level) -> bool:
    """Whether ``fine``'s units can be placed inside ``coarse``'s (same coordinates: both built, or one chain)."""
    if coarse.adopted is None and fine.adopted is None:
        return True
    if coarse.adopted is None or fine.adopted is None:
        return False
    return coarse.path in fine.adopted['chain'] and fine.adopted['flat'] is None is coarse.adopted['flat']


class Lookup:
    """Parents and child counts fetched beforehand for a few spans, answering as a unit map would.

    Example:
        >>> h = Hit('s', 'd', 'D', '', 'x', 'section', 0, 9, 0.0, 0)
        >>> Lookup('s', {('d', 2, 3): h}).enclosing('d', 2, 3) is h
        True
    """

    def __init__(self, level: str, parents: Mapping[Span, Hit] | None = None, counts: Mapping[Span, int] | None = None):
        self.level = level
        self._parents = dict(parents or {})
        self._counts = dict(counts or {})

    def enclosing(self, doc_key: str, start: int, end: int) -> Hit | None:
        return self._parents.get((doc_key, start, end))

    def count_inside(self, doc_key: str, start: int, end: int) -> int:
        return self._counts.get((doc_key, start, end), 0)


def doc_stem(value: str) -> str:
    """A document's key from its file URL: the file name without its suffix.

    Example:
        >>> doc_stem('file:///data/docs/try.html')
        'try'
    """
    name = value.rstrip('/').rsplit('/', 1)[-1]
    return name.rsplit('.', 1)[0] if '.' in name else name


def level_counts(c: CascadeTables, lv: Level) -> dict[str, Any]:
    """Units, documents with units and mean words (over the first 200 units) of a level.

    Units and documents are counted in one SQL query over the level's store (its live rows, and the distinct base rows
    they come from: one per document), without opening an adopted level's view (which would load its model) and
    without the join a Pixeltable ``count()`` of a view makes with its bases.
    """
    from pxwidgets.tables.internals import store_counts, table_id

    if lv.adopted is not None:
        units, docs = store_counts(lv.adopted['table_id'])
        mean: float | None = None
        if lv.path in c.opened():  # its model is loaded already: reading a sample costs nothing more
            texts = c.table_at(lv.path).select(t=c.table_at(lv.path)[lv.text_column]).limit(200).collect()['t']
            mean = round(sum(len(str(t or '').split()) for t in texts) / len(texts), 1) if texts else 0.0
        return {'units': units, 'documents': docs, 'mean_words': mean}
    tbl = c.table(lv.name)
    units, docs = store_counts(table_id(tbl))
    texts = tbl.select(tbl.unit_text).limit(200).collect()['unit_text']
    mean = round(sum(len(str(t).split()) for t in texts) / len(texts), 1) if texts else 0.0
    return {'units': units, 'documents': docs, 'mean_words': mean}
