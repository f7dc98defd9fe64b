"""Fusing the levels: reciprocal rank fusion over enclosing units, and auto-merging of many hits into their parent.

Both are plain functions over hits and :class:`~pxwidgets.patterns.cascade.units.UnitMap`s, so they are tested on
hand-made cases.

- **RRF over enclosing units**: every hit of every level votes ``1 / (k0 + rank)`` for the unit of the fusion level
  that holds it (a sentence votes for its section); units are ranked by their votes. A section found by the section
  level *and* holding the best sentences wins over one found at one level only.
- **Auto-merging** (LlamaIndex's auto-merging retriever): where more than ``ratio`` of a parent's children are among
  the hits, the parent replaces them, scored by their mean; repeated up the levels.

Example:
    >>> from pxwidgets.patterns.cascade.units import UnitMap
    >>> rows = [('d', 'D', 'A', 'A text', 'section', 0, 100), ('d', 'D', 'B', 'B', 'section', 100, 200)]
    >>> sections = UnitMap('section', rows)
    >>> s1 = Hit('sentence', 'd', 'D', 'A', 's1', 'sentence', 10, 20, 0.9, 1)
    >>> s2 = Hit('sentence', 'd', 'D', 'B', 's2', 'sentence', 120, 130, 0.8, 2)
    >>> b = Hit('section', 'd', 'D', 'B', 'B', 'section', 100, 200, 0.7, 1)
    >>> [h.heading for h in reciprocal_rank_fusion({'section': [b], 'sentence': [s1, s2]}, sections)]
    ['B', 'A']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.hits import Hit


class UnitLookup(Protocol):
    """What fusion needs of a level: the unit holding a span, and how many units lie inside one (a ``UnitMap`` or a
    :class:`~pxwidgets.patterns.cascade.store.Lookup` of prefetched parents)."""

    level: str

    def enclosing(self, doc_key: str, start: int, end: int) -> Hit | None: ...

    def count_inside(self, doc_key: str, start: int, end: int) -> int: ...


UnitMap = UnitLookup  # the name the signatures used before fusion read units by key

RRF_K = 60
"""The usual constant of reciprocal rank fusion (Cormack et al., 2009)."""

MERGE_RATIO = 0.5
"""A parent replaces its children when more than this share of them hit (LlamaIndex's default)."""


def reciprocal_rank_fusion(
    hits_by_level: Mapping[str, Sequence[Hit]], units: UnitLookup, *, k0: int = RRF_K, limit: int | None = None
) -> list[Hit]:
    """Rank the units of ``units``' level by the reciprocal ranks of the hits they hold, at every level.

    Args:
        hits_by_level: Each level's ranked hits.
        units: The fusion level's units.
        k0: The RRF constant.
        limit: How many fused hits to return (all by default).

    Returns:
        Fused hits (``level`` is the fusion level, ``score`` the RRF sum, ``children`` the hits that voted, best
        first); ties keep the order in which units were first found.
    """
    return fuse(hits_by_level, units, Fusion('rrf', k0=k0), limit=limit)


def auto_merge(
    hits: Sequence[Hit], chain: Sequence[tuple[UnitLookup, UnitLookup]], *, ratio: float = MERGE_RATIO
) -> list[Hit]:
    """Replace groups of hits by their parent where they cover more than ``ratio`` of its children.

    Args:
        hits: The finest level's ranked hits.
        chain: ``(children, parents)`` unit maps from the hits' level upwards, e.g.
            ``[(sentences, paragraphs), (paragraphs, sections)]``.
        ratio: The share of a parent's children that must hit.

    Returns:
        The merged list, best score first (a parent scores the mean of the hits it replaces and keeps them as
        ``children``); ranks renumbered.
    """
    current = list(hits)
    for children, parents in chain:
        groups: dict[str, list[Hit]] = {}
        parent_of: dict[str, Hit] = {}
        for hit in current:
            if hit.level != children.level:
                continue
            parent = parents.enclosing(hit.doc_key, hit.start, hit.end)
            if parent is None:
                continue
            groups.setdefault(parent.id, []).append(hit)
            parent_of[parent.id] = parent
        replaced: dict[str, Hit] = {}
        for pid, members in groups.items():
            parent = parent_of[pid]
            total = children.count_inside(parent.doc_key, parent.start, parent.end)
            if len(members) >= 2 and total and len(members) / total > ratio:
                score = sum(m.score for m in members) / len(members)
                merged = replace(parent, score=score, query=members[0].query, children=tuple(members))
                for m in members:
                    replaced[m.id] = merged
        if not replaced:
            continue
        out: list[Hit] = []
        seen: set[str] = set()
        for hit in current:
            merged_hit = replaced.get(hit.id)
            if merged_hit is None:
                out.append(hit)
            elif merged_hit.id not in seen:
                seen.add(merged_hit.id)
                out.append(merged_hit)
        current = out
    ordered = sorted(current, key=lambda h: -h.score)
    return [replace(h, rank=i) for i, h in enumerate(ordered, 1)]


# ---- several fusions, chosen per data set --------------------------------------------------------------------------

FUSION_METHODS = ('rrf', 'relative_score', 'dist_score')
"""Weighted reciprocal rank fusion; LlamaIndex's relative-score fusion (min-max normalised scores, weighted sum);
LlamaIndex's distribution-based score fusion (scores normalised by mean ± 3 standard deviations)."""

DOCUMENT = 'document'
"""``fuse_at='document'``: fuse over whole documents (every level votes, also flat ones)."""


@dataclass(frozen=True)
class Fusion:
    """One way to fuse the levels' hits.

    Attributes:
        method: ``'rrf'``, ``'relative_score'`` or ``'dist_score'``.
        weights: Level → weight (a level not named weighs 1; 0 leaves it out). A lexical level (or the BM25 list
            ``'bm25'`` that ``evaluate`` adds) makes it a hybrid.
        k0: The RRF constant.
        at: ``None`` (the fusion level's units) or ``'document'``.

    Example:
        >>> Fusion('relative_score', {'sections': 1.0, 'sentences': 0.5}).name
        'relative_score(sections=1, sentences=0.5)'
    """

    method: str = 'rrf'
    weights: Mapping[str, float] = field(default_factory=dict)
    k0: int = RRF_K
    at: str | None = None

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise InvalidRequestError(f'Unknown fusion {self.method!r}.', hint=f'One of {", ".join(FUSION_METHODS)}.')
        if any(not isinstance(w, int | float) or w < 0 for w in self.weights.values()):
            raise InvalidRequestError('Fusion weights are numbers >= 0.')

    @property
    def name(self) -> str:
        parts = [f'{k}={w:g}' for k, w in sorted(self.weights.items())]
        if self.method == 'rrf' and self.k0 != RRF_K:
            parts.append(f'k0={self.k0}')
        if self.at:
            parts.append(f'at={self.at}')
        return f'{self.method}({", ".join(parts)})'

    def weight(self, level: str) -> float:
        return float(self.weights.get(level, 1.0))

    def to_json(self) -> dict[str, object]:
        return {'method': self.method, 'weights': dict(self.weights), 'k0': self.k0, 'at': self.at, 'name': self.name}


def _normalised(hits: Sequence[Hit], method: str) -> list[float]:
    scores = np.asarray([h.score for h in hits], dtype=np.float64)
    if not len(scores):
        return []
    if method == 'relative_score':  # LlamaIndex: (s - min) / (max - min); all equal -> 1
        lo, hi = float(scores.min()), float(scores.max())
        return list((scores - lo) / (hi - lo)) if hi > lo else [1.0] * len(scores)
    mean, std = float(scores.mean()), float(scores.std())  # dist_score: mean ± 3 std -> [0, 1]
    lo, hi = mean - 3 * std, mean + 3 * std
    return list(np.clip((scores - lo) / (hi - lo), 0.0, 1.0)) if hi > lo else [1.0] * len(scores)


def document_unit(hit: Hit) -> Hit:
    """The whole document a hit lies in, as a unit of the pseudo-level ``'document'``."""
    return Hit(DOCUMENT, hit.doc_key, hit.doc_title, '', hit.doc_title, DOCUMENT, 0, 0, 0.0, 0, hit.query)


def fuse(
    hits_by_level: Mapping[str, Sequence[Hit]],
    units: UnitLookup | None,
    fusion: Fusion,
    *,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse the levels' hits over the units that hold them (or over documents, ``fusion.at == 'document'``).

    RRF sums ``weight / (k0 + rank)`` over every hit a unit holds; the score fusions normalise each level's scores,
    keep a level's best hit per unit (many sentences of one section do not outvote the section level) and sum
    ``weight * normalised score``.

    Example:
        >>> a = Hit('s', 'd1', 'D1', '', 'x', 'section', 0, 9, 0.9, 1)
        >>> b = Hit('s', 'd2', 'D2', '', 'y', 'section', 0, 9, 0.2, 2)
        >>> [h.doc_key for h in fuse({'s': [a, b]}, None, Fusion('relative_score', at='document'))]
        ['d1', 'd2']
    """
    votes: dict[str, float] = {}
    unit_of: dict[str, Hit] = {}
    voters: dict[str, list[tuple[float, Hit]]] = {}
    for level, level_hits in hits_by_level.items():
        weight = fusion.weight(level)
        if weight == 0 or not level_hits:
            continue
        if fusion.method == 'rrf':
            contributions = [weight / (fusion.k0 + h.rank) for h in level_hits]
        else:
            contributions = [weight * s for s in _normalised(level_hits, fusion.method)]
        best: dict[str, float] = {}
        for hit, vote in zip(level_hits, contributions, strict=True):
            if fusion.at == DOCUMENT:
                parent: Hit | None = document_unit(hit)
            else:
                parent = units.enclosing(hit.doc_key, hit.start, hit.end) if units is not None else None
            if parent is None:
                continue
            unit_of.setdefault(parent.id, parent)
            voters.setdefault(parent.id, []).append((vote, hit))
            if fusion.method == 'rrf':
                votes[parent.id] = votes.get(parent.id, 0.0) + vote
            else:
                best[parent.id] = max(best.get(parent.id, 0.0), vote)
        for pid, vote in best.items():
            votes[pid] = votes.get(pid, 0.0) + vote
    order = sorted(votes, key=lambda pid: -votes[pid])[:limit]
    fused = []
    for rank, pid in enumerate(order, 1):
        children = tuple(h for _, h in sorted(voters[pid], key=lambda vh: -vh[0]))
        query = children[0].query if children else ''
        fused.append(replace(unit_of[pid], score=votes[pid], rank=rank, query=query, children=children))
    return fused
