"""An in-memory map of one level's units (document, span, heading, text), rebuilt when the level's version changes.

Searches rank units in Pixeltable (the embedding index); what happens around a hit — which paragraph and section
hold a sentence, how many sentences a paragraph has, the lexical BM25 scores — is answered from this map without a
query per hit. It is read once per level version (a few thousand rows take ~50 ms) and never written: the catalog
stays the only store.

Example:
    >>> rows = [('try', 'T', 'T', 'One.', 'paragraph', 0, 4), ('try', 'T', 'T', 'Two.', 'paragraph', 6, 10)]
    >>> units = UnitMap('paragraph', rows)
    >>> units.enclosing('try', 7, 9).text, units.count_inside('try', 0, 10)
    ('Two.', 2)
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pxwidgets.patterns.cascade.hits import Hit

logging.getLogger('bm25s').setLevel(logging.WARNING)

Row = tuple[str, str, str, str, str, int, int]
"""(doc_key, doc_title, heading, text, kind, start, end)."""

_TOKEN = re.compile(r'(?u)\b\w\w+\b')
_SUFFIXES = ('ations', 'ation', 'ings', 'ing', 'ies', 'ied', 'ers', 'er', 'ed', 'es', 's')
STOPWORDS = frozenset(
    [
        'a',
        'an',
        'and',
        'are',
        'as',
        'at',
        'be',
        'but',
        'by',
        'can',
        'do',
        'does',
        'for',
        'from',
        'has',
        'have',
        'how',
        'i',
        'if',
        'in',
        'into',
        'is',
        'it',
        'its',
        'of',
        'on',
        'or',
        'that',
        'the',
        'their',
        'then',
        'there',
        'these',
        'they',
        'this',
        'to',
        'was',
        'what',
        'when',
        'where',
        'which',
        'while',
        'who',
        'why',
        'will',
        'with',
        'you',
        'your',
    ]
)


def light_stem(word: str) -> str:
    """A small suffix stripper (plural, -ing, -ed, -ation) so that BM25 matches 'exceptions' to 'exception'.

    Example:
        >>> [light_stem(w) for w in ['exceptions', 'handling', 'handled', 'iteration', 'class']]
        ['exception', 'handl', 'handl', 'iter', 'class']
    """
    if len(word) <= 4 or word.endswith('ss'):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens without stop words (BM25's analyser)."""
    return [light_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


@dataclass
class _Doc:
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


class UnitMap:
    """The units of one level, by document, in span order.

    Args:
        level: The level's name (the hits it makes carry it).
        rows: ``(doc_key, doc_title, heading, text, kind, start, end)`` tuples in any order.
    """

    def __init__(self, level: str, rows: Sequence[Row]) -> None:
        self.level = level
        self.rows: list[Row] = sorted(rows, key=lambda r: (r[0], r[5], r[6]))
        self._docs: dict[str, _Doc] = {}
        for i, row in enumerate(self.rows):
            doc = self._docs.setdefault(row[0], _Doc())
            doc.starts.append(row[5])
            doc.ends.append(row[6])
            doc.rows.append(i)
        self._bm25: Any = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def documents(self) -> list[str]:
        """The document keys that have units at this level."""
        return list(self._docs)

    def hit(self, index: int, *, score: float = 0.0, rank: int = 0, query: str = '') -> Hit:
        """The unit at ``index`` of :attr:`rows` as a hit."""
        key, title, heading, text, kind, start, end = self.rows[index]
        return Hit(self.level, key, title, heading, text, kind, start, end, score, rank, query)

    def enclosing(self, doc_key: str, start: int, end: int) -> Hit | None:
        """The unit that holds the middle of ``[start, end)`` (for nested levels: the one that contains it)."""
        doc = self._docs.get(doc_key)
        if doc is None:
            return None
        mid = (start + max(start, end - 1)) // 2
        last = bisect.bisect_right(doc.starts, mid) - 1
        for i in range(last, max(-1, last - 64), -1):  # overlapping windows: an earlier one may hold it
            if doc.ends[i] > mid:
                return self.hit(doc.rows[i])
        return None

    def inside(self, doc_key: str, start: int, end: int) -> list[int]:
        """Indexes (into :attr:`rows`) of the units lying inside ``[start, end)``."""
        doc = self._docs.get(doc_key)
        if doc is None:
            return []
        lo = bisect.bisect_left(doc.starts, start)
        hi = bisect.bisect_right(doc.starts, end)
        return [doc.rows[i] for i in range(lo, hi) if doc.ends[i] <= end]

    def count_inside(self, doc_key: str, start: int, end: int) -> int:
        """How many units lie inside ``[start, end)``."""
        return len(self.inside(doc_key, start, end))

    # ---- lexical search ----------------------------------------------------------------------------------------

    def bm25_scores(self, query: str) -> np.ndarray:
        """BM25 scores (``bm25s``: Lucene variant, k1 1.5, b 0.75) of every unit for ``query``, in ``rows`` order."""
        import bm25s

        logging.getLogger('bm25s').setLevel(logging.WARNING)
        with self._lock:
            if self._bm25 is None:
                corpus = [tokens(r[3]) or ['∅'] for r in self.rows]
                index = bm25s.BM25()
                if corpus:
                    index.index(corpus, show_progress=False)
                self._bm25 = index
        query_tokens = [t for t in tokens(query) if self._bm25 is not None]
        if not self.rows or not query_tokens:
            return np.zeros(len(self.rows), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    def bm25_search(
        self, query: str, k: int, *, documents: set[str] | None = None, within: tuple[str, int, int] | None = None
    ) -> list[Hit]:
        """The top ``k`` units by BM25 (units with score 0 are not hits)."""
        scores = self.bm25_scores(query)
        allowed: np.ndarray | None = None
        if within is not None:
            allowed = np.zeros(len(self.rows), dtype=bool)
            allowed[self.inside(*within)] = True
        elif documents is not None:
            allowed = np.array([r[0] in documents for r in self.rows], dtype=bool)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        order = np.argsort(-scores, kind='stable')[:k]
        return [
            self.hit(int(i), score=float(scores[i]), rank=n, query=query)
            for n, i in enumerate((i for i in order if scores[i] > 0), 1)
        ]
