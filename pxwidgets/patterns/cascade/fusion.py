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
from dataclasses import replace

from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.units import UnitMap

RRF_K = 60
"""The usual constant of reciprocal rank fusion (Cormack et al., 2009)."""

MERGE_RATIO = 0.5
"""A parent replaces its children when more than this share of them hit (LlamaIndex's default)."""


def reciprocal_rank_fusion(
    hits_by_level: Mapping[str, Sequence[Hit]], units: UnitMap, *, k0: int = RRF_K, limit: int | None = None
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
    votes: dict[str, float] = {}
    units_by_id: dict[str, Hit] = {}
    voters: dict[str, list[tuple[float, Hit]]] = {}
    for level_hits in hits_by_level.values():
        for hit in level_hits:
            parent = units.enclosing(hit.doc_key, hit.start, hit.end)
            if parent is None:
                continue
            vote = 1.0 / (k0 + hit.rank)
            votes[parent.id] = votes.get(parent.id, 0.0) + vote
            units_by_id.setdefault(parent.id, parent)
            voters.setdefault(parent.id, []).append((vote, hit))
    order = sorted(votes, key=lambda pid: -votes[pid])
    if limit is not None:
        order = order[:limit]
    fused = []
    for rank, pid in enumerate(order, 1):
        children = tuple(h for _, h in sorted(voters[pid], key=lambda vh: -vh[0]))
        query = children[0].query if children else ''
        fused.append(replace(units_by_id[pid], score=votes[pid], rank=rank, query=query, children=children))
    return fused


def auto_merge(
    hits: Sequence[Hit], chain: Sequence[tuple[UnitMap, UnitMap]], *, ratio: float = MERGE_RATIO
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
