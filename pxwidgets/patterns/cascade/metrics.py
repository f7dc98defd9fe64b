"""Retrieval metrics over ranked document keys with binary relevance: recall@k, MRR@k and nDCG@k.

Example:
    >>> ranked = ['with', 'try', 'for']
    >>> recall_at_k(ranked, {'try', 'raise'}, 2), reciprocal_rank(ranked, {'try'}, 5)
    (0.5, 0.5)
    >>> round(ndcg_at_k(ranked, {'try'}, 3), 4)
    0.6309
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def dedupe(keys: Iterable[str]) -> list[str]:
    """Keys in first-seen order without repeats (unit hits → a document ranking).

    Example:
        >>> dedupe(['a', 'b', 'a', 'c'])
        ['a', 'b', 'c']
    """
    seen: dict[str, None] = {}
    for key in keys:
        seen.setdefault(key, None)
    return list(seen)


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """The share of the relevant keys found in the top ``k`` (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """``1 / rank`` of the first relevant key in the top ``k``; 0 if there is none."""
    for i, key in enumerate(ranked[:k], 1):
        if key in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with gain 1 per relevant key (``log2(rank + 1)`` discount)."""
    dcg = sum(1.0 / math.log2(i + 1) for i, key in enumerate(ranked[:k], 1) if key in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


@dataclass(frozen=True)
class Scores:
    """Mean metrics of one ranking method over a query set."""

    method: str
    recall: float
    mrr: float
    ndcg: float
    queries: int

    def to_json(self) -> dict[str, float | int | str]:
        return {
            'method': self.method,
            'recall': self.recall,
            'mrr': self.mrr,
            'ndcg': self.ndcg,
            'queries': self.queries,
        }


def mean_scores(method: str, rankings: Sequence[Sequence[str]], relevants: Sequence[set[str]], k: int) -> Scores:
    """Average recall@k, MRR@k and nDCG@k of one method over queries (``rankings[i]`` answers ``relevants[i]``).

    Example:
        >>> mean_scores('m', [['a', 'b'], ['c']], [{'b'}, {'x'}], 2).mrr
        0.25
    """
    n = len(rankings)
    if n == 0:
        return Scores(method, 0.0, 0.0, 0.0, 0)
    pairs = list(zip(rankings, relevants, strict=True))
    return Scores(
        method,
        recall=sum(recall_at_k(r, rel, k) for r, rel in pairs) / n,
        mrr=sum(reciprocal_rank(r, rel, k) for r, rel in pairs) / n,
        ndcg=sum(ndcg_at_k(r, rel, k) for r, rel in pairs) / n,
        queries=n,
    )
