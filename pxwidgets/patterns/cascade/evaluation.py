"""Labelled queries, evaluation reports and window sweeps: which granularity wins on your data.

Example:
    >>> qs = parse_queries({'how do I catch an exception': ['try']})
    >>> qs[0].relevant
    frozenset({'try'})
    >>> report = evaluate_rankings(qs, {'sentences': [['with', 'try']], 'fused': [['try']]}, k=5)
    >>> report.best, report.scores['sentences'].mrr
    ('fused', 0.5)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.metrics import Scores, mean_scores, ndcg_at_k, reciprocal_rank


@dataclass(frozen=True)
class LabelledQuery:
    """A query and the keys of the documents that answer it."""

    query: str
    relevant: frozenset[str]


def parse_queries(
    queries: Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str | Path,
) -> list[LabelledQuery]:
    """Read labelled queries from a list of ``{'query', 'relevant'}``, a ``{query: [keys]}`` mapping or a JSON file.

    A JSON file holds either of those shapes, or ``{'queries': [...]}``.

    Raises:
        InvalidRequestError: If there are none, or one has no query text or no relevant document.

    Example:
        >>> parse_queries([{'query': 'loop over a list', 'relevant': ['for']}])[0].query
        'loop over a list'
    """
    if isinstance(queries, str | Path):
        try:
            data: Any = json.loads(Path(queries).read_text(encoding='utf-8'))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidRequestError(f'Cannot read labelled queries from {str(queries)!r}: {exc}') from None
        if isinstance(data, Mapping) and 'queries' in data:
            data = data['queries']
        return parse_queries(data)
    items: list[LabelledQuery] = []
    if isinstance(queries, Mapping):
        pairs: list[tuple[Any, Any]] = list(queries.items())
    else:
        pairs = []
        for item in queries:
            if isinstance(item, LabelledQuery):
                pairs.append((item.query, item.relevant))
            elif isinstance(item, Mapping):
                pairs.append((item.get('query'), item.get('relevant')))
            else:
                raise InvalidRequestError(f'A labelled query is {{"query": ..., "relevant": [...]}}, not {item!r}.')
    for i, (query, relevant) in enumerate(pairs):
        if not isinstance(query, str) or not query.strip():
            raise InvalidRequestError(f'Labelled query {i + 1} has no query text.')
        if isinstance(relevant, str):
            relevant = [relevant]
        keys = frozenset(str(r) for r in (relevant or ()))
        if not keys:
            raise InvalidRequestError(f'Labelled query {i + 1} ({query!r}) names no relevant document.')
        items.append(LabelledQuery(query.strip(), keys))
    if not items:
        raise InvalidRequestError('No labelled queries given.')
    return items


@dataclass(frozen=True)
class EvaluationReport:
    """Mean metrics per method (each level, ``'fused'``, ``'bm25_baseline'``), and per query.

    Attributes:
        k: The cut-off.
        scores: Method (each level, ``'fused'``, ``'bm25_baseline'``) → mean recall@k, MRR@k, nDCG@k.
        per_query: One row per query: its text, its relevant keys, and per method the top-k ranking and its RR.
        latency_ms: Median query time per level (embedding excluded).
        baseline_level: The level whose units BM25 ranked.
        fusions: Fusion family (``rrf``, ``relative_score``, ``dist_score``, ``hybrid``) and ``chosen`` (the choice
            among them all) → mean metrics over **held-out** queries: each query ranked by the fusion chosen on the
            other folds, never on itself.
        chosen_fusion: The fusion best on all queries, which searches now use.
        folds: The number of cross-validation folds.
        fold_choices: The fusion each fold chose.
        notes: What the user should know (too few queries to cross-validate, …).
    """

    k: int
    scores: dict[str, Scores]
    per_query: list[dict[str, Any]]
    latency_ms: dict[str, float] = field(default_factory=dict)
    baseline_level: str | None = None
    fusions: dict[str, Scores] = field(default_factory=dict)
    chosen_fusion: str | None = None
    folds: int = 0
    fold_choices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> str:
        """The method with the highest nDCG@k (MRR, then recall, break ties; earlier methods win exact ties)."""
        return max(self.scores.values(), key=lambda s: (round(s.ndcg, 9), round(s.mrr, 9), round(s.recall, 9))).method

    @property
    def best_level(self) -> str | None:
        """The best single level (fused and BM25 excluded)."""
        levels = [s for m, s in self.scores.items() if m not in ('fused', 'bm25_baseline')]
        if not levels:
            return None
        return max(levels, key=lambda s: (round(s.ndcg, 9), round(s.mrr, 9), round(s.recall, 9))).method

    def summary(self) -> str:
        """Two lines for people: the winner, and fused against the best level."""
        lines = [f'Best at k={self.k}: {self.best} (nDCG {self.scores[self.best].ndcg:.3f}).']
        level = self.best_level
        if level is not None and 'fused' in self.scores:
            fused, single = self.scores['fused'], self.scores[level]
            verdict = 'at least as good as' if fused.ndcg >= single.ndcg - 1e-9 else 'worse than'
            lines.append(
                f'Fused nDCG {fused.ndcg:.3f} / MRR {fused.mrr:.3f} is {verdict} the best level {level!r} '
                f'(nDCG {single.ndcg:.3f} / MRR {single.mrr:.3f}).'
            )
        if level is not None and 'chosen' in self.fusions:
            chosen, single = self.fusions['chosen'], self.scores[level]
            ok = chosen.ndcg >= single.ndcg - 1e-9 and chosen.mrr >= single.mrr - 1e-9
            lines.append(
                f'Fusion chosen by {self.folds}-fold cross-validation, on held-out queries: nDCG {chosen.ndcg:.3f} / '
                f'MRR {chosen.mrr:.3f}, {"at least as good as" if ok else "not as good as"} {level!r}; '
                f'searches now use {self.chosen_fusion}.'
            )
        return ' '.join(lines + self.notes)

    def to_pandas(self) -> Any:
        """One row per method: recall@k, MRR, nDCG@k, median latency."""
        import pandas as pd

        rows = [
            {
                'method': m,
                f'recall@{self.k}': round(s.recall, 3),
                'MRR': round(s.mrr, 3),
                f'nDCG@{self.k}': round(s.ndcg, 3),
                'median ms': round(self.latency_ms[m], 1) if m in self.latency_ms else None,
            }
            for m, s in self.scores.items()
        ]
        return pd.DataFrame(rows).set_index('method')

    def figure(self) -> Any:
        """A grouped bar chart (plotly): recall@k, MRR and nDCG@k per method."""
        import plotly.graph_objects as go

        from pxwidgets.patterns.common.figures import shared_layout

        every = {**self.scores, **{f'{f} (cv)': s for f, s in self.fusions.items()}}
        methods = list(every)
        fig = go.Figure()
        for label, attr in ((f'recall@{self.k}', 'recall'), ('MRR', 'mrr'), (f'nDCG@{self.k}', 'ndcg')):
            values = [getattr(every[m], attr) for m in methods]
            fig.add_trace(go.Bar(name=label, x=methods, y=values, text=[f'{v:.2f}' for v in values]))
        n = next(iter(self.scores.values())).queries if self.scores else 0
        title = f'Retrieval quality per level and fusion ({n} labelled queries, k={self.k}' + (
            f'; fusions: held-out scores of {self.folds}-fold cross-validation)' if self.fusions else ')'
        )
        return shared_layout(fig, title, barmode='group', yaxis={'range': [0, 1.05], 'title': 'score'})

    def to_json(self) -> dict[str, Any]:
        return {
            'k': self.k,
            'scores': [s.to_json() for s in self.scores.values()],
            'best': self.best if self.scores else None,
            'best_level': self.best_level,
            'summary': self.summary() if self.scores else '',
            'latency_ms': self.latency_ms,
            'baseline_level': self.baseline_level,
            'fusions': [s.to_json() for s in self.fusions.values()],
            'chosen_fusion': self.chosen_fusion,
            'folds': self.folds,
            'fold_choices': self.fold_choices,
            'notes': self.notes,
            'per_query': self.per_query,
        }


def evaluate_rankings(
    queries: Sequence[LabelledQuery],
    rankings: Mapping[str, Sequence[Sequence[str]]],
    k: int,
    *,
    latencies: Mapping[str, float] | None = None,
    baseline_level: str | None = None,
) -> EvaluationReport:
    """Score each method's document rankings (``rankings[method][i]`` answers ``queries[i]``).

    Example:
        >>> r = evaluate_rankings(parse_queries({'q': ['a']}), {'m': [['b', 'a']]}, k=1)
        >>> r.scores['m'].recall
        0.0
    """
    relevants = [set(q.relevant) for q in queries]
    scores = {m: mean_scores(m, r, relevants, k) for m, r in rankings.items()}
    per_query = []
    for i, q in enumerate(queries):
        row: dict[str, Any] = {'query': q.query, 'relevant': sorted(q.relevant), 'methods': {}}
        for m, r in rankings.items():
            top = list(r[i][:k])
            row['methods'][m] = {
                'top': top,
                'rr': reciprocal_rank(top, relevants[i], k),
                'ndcg': ndcg_at_k(top, relevants[i], k),
            }
        per_query.append(row)
    return EvaluationReport(k, scores, per_query, dict(latencies or {}), baseline_level)


@dataclass(frozen=True)
class SweepReport:
    """The outcome of a window sweep: metrics per window size, build times, and which level to keep.

    Attributes:
        evaluation: The evaluation of the window levels (plus fused and BM25).
        levels: The window levels, in the order of the sizes asked for.
        build_s: Seconds each level took to build (0 when it existed already).
        keep: The window level to keep (best nDCG@k, then MRR, then the smaller index).
        drop: The other window levels (drop them with ``plan_drop_level`` / ``drop_level``).
    """

    evaluation: EvaluationReport
    levels: list[str]
    build_s: dict[str, float]
    keep: str
    drop: list[str]

    @classmethod
    def from_evaluation(cls, evaluation: EvaluationReport, levels: list[str], build_s: dict[str, float]) -> SweepReport:
        ranked = sorted(
            levels,
            key=lambda n: (-round(evaluation.scores[n].ndcg, 9), -round(evaluation.scores[n].mrr, 9), levels.index(n)),
        )
        return cls(evaluation, levels, build_s, ranked[0], [n for n in levels if n != ranked[0]])

    def summary(self) -> str:
        best = self.evaluation.scores[self.keep]
        others = ', '.join(f'{n} nDCG {self.evaluation.scores[n].ndcg:.3f}' for n in self.levels if n != self.keep)
        return f'Keep {self.keep} (nDCG@{self.evaluation.k} {best.ndcg:.3f}, MRR {best.mrr:.3f}); ' + (
            f'the others: {others}.' if others else 'it was the only size.'
        )

    def to_pandas(self) -> Any:
        df = self.evaluation.to_pandas()
        df['build s'] = [round(self.build_s[m], 1) if m in self.build_s else None for m in df.index]
        return df

    def to_json(self) -> dict[str, Any]:
        return {
            'evaluation': self.evaluation.to_json(),
            'levels': self.levels,
            'build_s': self.build_s,
            'keep': self.keep,
            'drop': self.drop,
            'summary': self.summary(),
        }
