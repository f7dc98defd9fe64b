"""What a search returns: hits per level, a fused ranking, auto-merged hits, latencies.

Example:
    >>> h = Hit('sentence', 'try', 'The try statement', 'The "try" statement', 'Text.', 'sentence', 10, 15, 0.8, 1)
    >>> h.id, h.contains(Hit('x', 'try', '', '', '', 'sentence', 11, 14, 0.0, 1))
    ('sentence:try:10:15', True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pxwidgets.patterns.cascade.records import HitInfo, LevelHits, SearchInfo


@dataclass(frozen=True)
class Hit:
    """One unit found at one level.

    Attributes:
        level: The level's name.
        doc_key: Its document's key (e.g. the topic ``'try'``).
        doc_title: Its document's title.
        heading: The heading path in force where it starts (``'A › B'``).
        text: The unit's text.
        kind: ``'section'``, ``'paragraph'``, ``'code'``, ``'sentence'`` or ``'window'``.
        start: Where it starts in its document's text (characters).
        end: Where it ends (exclusive).
        score: Its similarity (cosine for embedding levels, BM25 for lexical ones, RRF for fused ones).
        rank: 1 for the best hit of its list.
        query: The query that found it (``drill`` ranks by it again).
        children: For a fused or merged hit: the hits it stands for.
    """

    level: str
    doc_key: str
    doc_title: str
    heading: str
    text: str
    kind: str
    start: int
    end: int
    score: float
    rank: int
    query: str = ''
    children: tuple[Hit, ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        """``level:doc_key:start:end``: unique within a cascade."""
        return f'{self.level}:{self.doc_key}:{self.start}:{self.end}'

    @property
    def span(self) -> tuple[str, int, int]:
        return (self.doc_key, self.start, self.end)

    def contains(self, other: Hit) -> bool:
        """Whether ``other`` lies inside this unit (same document, span inside)."""
        return self.doc_key == other.doc_key and self.start <= other.start and other.end <= self.end

    def to_json(self) -> HitInfo:
        data = asdict(self)
        data['id'] = self.id
        data['children'] = [c.to_json() for c in self.children]
        return data  # type: ignore[return-value]  # asdict gives every field of HitInfo


@dataclass(frozen=True)
class LevelResult:
    """The hits of one level for one query, and how long its query took."""

    level: str
    hits: list[Hit]
    ms: float
    embedding: str | None

    def to_json(self) -> LevelHits:
        return {
            'level': self.level,
            'hits': [h.to_json() for h in self.hits],
            'ms': self.ms,
            'embedding': self.embedding,
        }


@dataclass(frozen=True)
class SearchResult:
    """Everything one search found.

    Attributes:
        query: The query as searched (stripped).
        levels: One result per level, coarse to fine.
        fused: Reciprocal rank fusion of every level's hits over their enclosing units at ``fused_level``.
        merged: The finest level's hits, auto-merged: where more than ``merge_ratio`` of a parent's children hit,
            the parent replaces them (repeatedly, up the levels).
        fused_level: The level whose units the fused list ranks.
        embed_ms: Time to embed the query, per embedding model (once each).
        total_ms: Wall time of the whole search.
        notes: Things the user should know (a truncated query, an English-only model on other text, an empty level).
    """

    query: str
    levels: list[LevelResult]
    fused: list[Hit]
    merged: list[Hit]
    fused_level: str | None
    embed_ms: dict[str, float]
    total_ms: float
    notes: list[str]

    def level(self, name: str) -> LevelResult:
        """The result of one level."""
        for result in self.levels:
            if result.level == name:
                return result
        raise KeyError(name)

    def to_json(self) -> SearchInfo:
        return {
            'query': self.query,
            'levels': [r.to_json() for r in self.levels],
            'fused': [h.to_json() for h in self.fused],
            'merged': [h.to_json() for h in self.merged],
            'fused_level': self.fused_level,
            'embed_ms': self.embed_ms,
            'total_ms': self.total_ms,
            'notes': self.notes,
        }

    def to_pandas(self) -> Any:
        """One row per level hit: level, rank, score, document, heading, text."""
        import pandas as pd

        rows = [
            {
                'level': h.level,
                'rank': h.rank,
                'score': round(h.score, 4),
                'doc': h.doc_key,
                'heading': h.heading,
                'text': h.text if len(h.text) <= 160 else h.text[:157] + '…',
            }
            for r in self.levels
            for h in r.hits
        ]
        return pd.DataFrame(rows, columns=['level', 'rank', 'score', 'doc', 'heading', 'text'])
