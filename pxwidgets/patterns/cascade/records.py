"""The JSON records a search sends to a panel, declared once (the TypeScript types are generated from them).

Example:
    >>> from pxwidgets.patterns.cascade.hits import Hit
    >>> record: HitInfo = Hit('sentence', 'try', 'The try statement', '', 'Text.', 'sentence', 10, 15, 0.8, 1).to_json()
    >>> record['id'], record['children']
    ('sentence:try:10:15', [])
"""

from __future__ import annotations

from typing import TypedDict


class HitInfo(TypedDict):
    """One unit found at one level (``Hit.to_json()``; the attributes are described there)."""

    id: str
    """``level:doc_key:start:end``: unique within a cascade."""
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
    query: str
    children: list[HitInfo]


class LevelHits(TypedDict):
    """The hits of one level for one query and how long its query took (``LevelResult.to_json()``)."""

    level: str
    hits: list[HitInfo]
    ms: float
    embedding: str | None


class SearchInfo(TypedDict):
    """Everything one search found (``SearchResult.to_json()``; the attributes are described there)."""

    query: str
    levels: list[LevelHits]
    fused: list[HitInfo]
    merged: list[HitInfo]
    fused_level: str | None
    embed_ms: dict[str, float]
    total_ms: float
    notes: list[str]
