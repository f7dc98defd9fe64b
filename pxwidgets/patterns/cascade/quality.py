"""How good a cascade's levels are: recall, MRR and nDCG per level, for the fused ranking and a BM25 baseline, and
a sweep over fixed-window sizes that says which to keep.

Example:
    >>> report = evaluate(cascade, {'catch an exception': ['try']}, 5)  # doctest: +SKIP
    >>> report.best  # doctest: +SKIP
    'fused'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.evaluation import (
    EvaluationReport,
    LabelledQuery,
    SweepReport,
    evaluate_rankings,
    parse_queries,
)
from pxwidgets.patterns.cascade.fusion import reciprocal_rank_fusion
from pxwidgets.patterns.cascade.metrics import dedupe
from pxwidgets.patterns.cascade.queries import MAX_K, check_k
from pxwidgets.patterns.cascade.search import fusion_level, level_hits
from pxwidgets.tables.internals import read_transaction

if TYPE_CHECKING:
    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade

BASELINE = 'bm25_baseline'
"""The name of the lexical baseline in evaluation reports (BM25 over the coarsest level's units)."""

Queries = Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str
"""Labelled queries as :func:`~pxwidgets.patterns.cascade.evaluation.parse_queries` reads them."""


def evaluate(
    c: SemanticIndexCascade,
    queries: Queries,
    k: int,
    *,
    levels: Sequence[str] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> EvaluationReport:
    """Score each level, the fused ranking and the BM25 baseline (see ``SemanticIndexCascade.evaluate``)."""
    labelled = parse_queries(queries)
    k = check_k(k)
    selected = c.select(levels)
    if not selected:
        raise InvalidRequestError('The cascade has no level to evaluate.', hint='Add one with add_level(...).')
    per_unit = min(MAX_K, max(4 * k, 20))
    baseline_units = c.units(selected[0].name)
    fused_level = fusion_level(c, selected, None)
    methods = [lv.name for lv in selected] + ['fused', BASELINE]
    rankings: dict[str, list[list[str]]] = {m: [] for m in methods}
    latencies: dict[str, list[float]] = {lv.name: [] for lv in selected}
    for i, item in enumerate(labelled):
        if on_progress is not None:
            on_progress(i, len(labelled), f'Query {i + 1} of {len(labelled)}')
        vectors, _ = c.query_vectors(item.query, selected)
        results = {}
        with read_transaction(c.level_tables()):
            for lv in selected:
                t0 = time.perf_counter()
                hits = level_hits(c, lv, item.query, vectors.get(lv.embedding or ''), per_unit)
                latencies[lv.name].append((time.perf_counter() - t0) * 1000)
                results[lv.name] = hits
                rankings[lv.name].append(dedupe(h.doc_key for h in hits))
            fused = reciprocal_rank_fusion(results, c.units(fused_level)) if fused_level else []
        rankings['fused'].append(dedupe(h.doc_key for h in fused))
        rankings[BASELINE].append(dedupe(h.doc_key for h in baseline_units.bm25_search(item.query, per_unit)))
    if on_progress is not None:
        on_progress(len(labelled), len(labelled), 'Evaluated')
    return evaluate_rankings(
        labelled,
        rankings,
        k,
        latencies={m: float(np.median(v)) if v else 0.0 for m, v in latencies.items()},
        baseline_level=selected[0].name,
    )


def sweep(
    c: SemanticIndexCascade,
    queries: Queries,
    window_sizes: Sequence[int],
    *,
    overlap: float,
    embedding: str | pxt.Function | None,
    k: int,
    on_progress: Callable[[int, int, str], None] | None,
) -> SweepReport:
    """Build a window level per size, evaluate them, say which to keep (see ``SemanticIndexCascade.sweep``)."""
    labelled = parse_queries(queries)
    sizes = list(dict.fromkeys(int(s) for s in window_sizes))
    if not sizes:
        raise InvalidRequestError('window_sizes is empty.')
    if not 0 <= overlap < 1:
        raise InvalidRequestError(f'overlap is a share of the window from 0 to 0.9 (got {overlap!r}).')
    names = []
    built_s: dict[str, float] = {}
    total = len(sizes) + 1
    for i, size in enumerate(sizes):
        name = f'window_{size}'
        if on_progress is not None:
            on_progress(i, total, f'Building {name}')
        t0 = time.perf_counter()
        c.add_level(name, 'window', size=size, overlap=int(size * overlap), embedding=embedding)
        built_s[name] = time.perf_counter() - t0
        names.append(name)
    if on_progress is not None:
        on_progress(len(sizes), total, 'Evaluating')
    report = evaluate(c, labelled, k, levels=names)
    if on_progress is not None:
        on_progress(total, total, 'Done')
    return SweepReport.from_evaluation(report, names, built_s)
