"""Choosing a fusion for the user's data by k-fold cross-validation over their labelled queries.

Every candidate fusion (weighted RRF, relative-score, distribution-based score, and hybrids with the BM25 list, over
the fusion level's units or over whole documents, with a grid of level weights) ranks each query's hits, which were
fetched once. For each fold the candidate best on the *other* folds (nDCG@k, then MRR) ranks the fold's queries, so
every query is judged by a fusion chosen without it; the held-out scores are what the report shows. The fusion kept
for searching is then the candidate best on all queries.

Example:
    >>> from pxwidgets.patterns.cascade.hits import Hit
    >>> h = lambda lv, d, r: Hit(lv, d, d, '', d, 'section', 0, 9, 1.0 / r, r)
    >>> per_query = [{'a': [h('a', 'x', 1), h('a', 'y', 2)], 'b': [h('b', 'y', 1)]}] * 4
    >>> choice = cross_validate(per_query, [None] * 4, [{'y'}] * 4, 1, ['a', 'b'], folds=2)
    >>> choice.held_out['chosen'].mrr
    1.0
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pxwidgets.patterns.cascade.fusion import DOCUMENT, Fusion, UnitLookup, fuse
from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.metrics import Scores, dedupe, mean_scores, ndcg_at_k, reciprocal_rank

BM25 = 'bm25'
"""The name of the BM25 list in a hybrid fusion's weights."""

FAMILIES = ('rrf', 'relative_score', 'dist_score', 'hybrid')
"""The fusion families compared; ``hybrid`` is relative-score fusion with the BM25 list among the levels."""


def candidates(levels: Sequence[str], *, lexical: bool) -> dict[str, list[Fusion]]:
    """The candidate fusions of each family: level weights from a small grid (0 leaves a level out)."""
    grid = (0.0, 0.5, 1.0) if len(levels) <= 4 else (0.0, 1.0)
    weightings = [dict(zip(levels, ws, strict=True)) for ws in itertools.product(grid, repeat=len(levels))]
    weightings = [w for w in weightings if any(w.values())]
    out: dict[str, list[Fusion]] = {f: [] for f in FAMILIES}
    for w in weightings:
        for at in (None, DOCUMENT):
            for k0 in (10, 60):
                out['rrf'].append(Fusion('rrf', {**w, BM25: 0.0}, k0=k0, at=at))
            out['relative_score'].append(Fusion('relative_score', {**w, BM25: 0.0}, at=at))
            out['dist_score'].append(Fusion('dist_score', {**w, BM25: 0.0}, at=at))
            if lexical:
                for wb in (0.25, 0.5, 1.0):
                    out['hybrid'].append(Fusion('relative_score', {**w, BM25: wb}, at=at))
    return {f: c for f, c in out.items() if c}


@dataclass(frozen=True)
class FusionChoice:
    """The outcome of cross-validating the fusions.

    Attributes:
        held_out: Family (and ``'chosen'``: the choice among all families) → mean metrics over held-out queries.
        chosen: The fusion best on all queries (what :meth:`SemanticIndexCascade.search` then uses).
        per_fold: The fusion each fold chose (by name), in fold order.
        folds: How many folds.
        rankings: Family → the held-out document ranking of each query.
    """

    held_out: dict[str, Scores]
    chosen: Fusion
    per_fold: list[str]
    folds: int
    rankings: dict[str, list[list[str]]]


def _rank(fusion: Fusion, hits: Mapping[str, Sequence[Hit]], lookup: UnitLookup | None) -> list[str]:
    return dedupe(h.doc_key for h in fuse(hits, None if fusion.at else lookup, fusion))


def _quality(ranked: Sequence[str], relevant: set[str], k: int) -> tuple[float, float]:
    return ndcg_at_k(ranked, relevant, k), reciprocal_rank(ranked, relevant, k)


def cross_validate(
    per_query: Sequence[Mapping[str, Sequence[Hit]]],
    lookups: Sequence[UnitLookup | None],
    relevants: Sequence[set[str]],
    k: int,
    levels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
) -> FusionChoice:
    """Choose a fusion per fold on the other folds' queries and score it on the fold's (see the module docstring).

    Args:
        per_query: Each query's hits per level (and ``'bm25'`` for the hybrids).
        lookups: Each query's units of the fusion level holding its hits (``None``: fuse over documents only).
        relevants: Each query's relevant document keys.
        k: The metrics' cut-off.
        levels: The levels the weights range over.
        folds: The number of folds (at most one per query).
        seed: The shuffle of queries into folds.
    """
    n = len(per_query)
    lexical = any(BM25 in q for q in per_query)
    families = candidates(levels, lexical=lexical)
    if all(lk is None for lk in lookups):
        families = {f: [c for c in cs if c.at == DOCUMENT] for f, cs in families.items()}
    names = [c.name for cs in families.values() for c in cs]
    by_name = {c.name: c for cs in families.values() for c in cs}
    # the quality of every candidate on every query, once
    quality: dict[str, list[tuple[float, float]]] = {}
    ranked: dict[str, list[list[str]]] = {}
    for name in names:
        rows = [_rank(by_name[name], per_query[i], lookups[i]) for i in range(n)]
        ranked[name] = rows
        quality[name] = [_quality(rows[i], relevants[i], k) for i in range(n)]
    order = list(range(n))
    random.Random(seed).shuffle(order)
    folds = max(2, min(folds, n))
    fold_of = {q: i % folds for i, q in enumerate(order)}

    def best(pool: Sequence[str], queries: Sequence[int]) -> str:
        def score(name: str) -> tuple[float, float]:
            qs = [quality[name][i] for i in queries]
            return (round(sum(q[0] for q in qs), 9), round(sum(q[1] for q in qs), 9))

        return max(pool, key=score)  # ties: the first of the pool (simpler weights come first)

    held: dict[str, list[list[str]]] = {f: [[] for _ in range(n)] for f in [*families, 'chosen']}
    per_fold: list[str] = []
    for f in range(folds):
        train = [i for i in range(n) if fold_of[i] != f]
        test = [i for i in range(n) if fold_of[i] == f]
        for family, pool in families.items():
            pick = best([c.name for c in pool], train)
            for i in test:
                held[family][i] = ranked[pick][i]
        pick = best(names, train)
        per_fold.append(pick)
        for i in test:
            held['chosen'][i] = ranked[pick][i]
    held_out = {f: mean_scores(f, rows, list(relevants), k) for f, rows in held.items()}
    chosen = by_name[best(names, list(range(n)))]
    return FusionChoice(held_out, chosen, per_fold, folds, held)
