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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.choice import BM25, cross_validate
from pxwidgets.patterns.cascade.evaluation import (
    EvaluationReport,
    LabelledQuery,
    SweepReport,
    evaluate_rankings,
    parse_queries,
)
from pxwidgets.patterns.cascade.fusion import Fusion, UnitLookup, fuse
from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.metrics import dedupe
from pxwidgets.patterns.cascade.queries import MAX_K, check_k
from pxwidgets.patterns.cascade.search import fusion_level, level_hits, parent_lookup
from pxwidgets.tables.internals import read_transaction

if TYPE_CHECKING:
    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade

BASELINE = 'bm25_baseline'
"""The name of the lexical baseline in evaluation reports (BM25 over the coarsest level's units)."""

MIN_CV_QUERIES = 4
"""Fewer labelled queries than this are not cross-validated (each fold needs queries to judge)."""

Queries = Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str
"""Labelled queries as :func:`~pxwidgets.patterns.cascade.evaluation.parse_queries` reads them."""


def evaluate(
    c: SemanticIndexCascade,
    queries: Queries,
    k: int,
    *,
    levels: Sequence[str] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    folds: int = 5,
) -> EvaluationReport:
    """Score each level, the fused ranking and the BM25 baseline, and choose a fusion by cross-validation (see
    ``SemanticIndexCascade.evaluate``)."""
    labelled = parse_queries(queries)
    k = check_k(k)
    selected = c.select(levels)
    if not selected:
        raise InvalidRequestError('The cascade has no level to evaluate.', hint='Add one with add_level(...).')
    per_unit = min(MAX_K, max(4 * k, 20))
    baseline_units = c.units(selected[0].name)
    fused_level = fusion_level(c, selected, None)
    methods = [lv.name for lv in selected] + ['fused', BASELINE]
    per_query: list[dict[str, list[Hit]]] = []
    lookups: list[UnitLookup | None] = []
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
            lookup = (
                parent_lookup(c, fused_level, [h for hits in results.values() for h in hits]) if fused_level else None
            )
        fused = fuse(results, lookup, Fusion()) if lookup is not None else []
        rankings['fused'].append(dedupe(h.doc_key for h in fused))
        bm25 = baseline_units.bm25_search(item.query, per_unit)
        rankings[BASELINE].append(dedupe(h.doc_key for h in bm25))
        per_query.append({**results, BM25: bm25})
        lookups.append(lookup)
    if on_progress is not None:
        on_progress(len(labelled), len(labelled), 'Evaluated')
    report = evaluate_rankings(
        labelled,
        rankings,
        k,
        latencies={m: float(np.median(v)) if v else 0.0 for m, v in latencies.items()},
        baseline_level=selected[0].name,
    )
    if len(labelled) < MIN_CV_QUERIES:
        return replace(
            report,
            notes=[
                f'{len(labelled)} labelled queries: too few to choose a fusion by '
                f'cross-validation (at least {MIN_CV_QUERIES}); the fused ranking is RRF.'
            ],
        )
    choice = cross_validate(
        per_query, lookups, [set(q.relevant) for q in labelled], k, [lv.name for lv in selected], folds=folds
    )
    c.fusion = choice.chosen
    return replace(
        report,
        fusions=choice.held_out,
        chosen_fusion=choice.chosen.name,
        folds=choice.folds,
        fold_choices=choice.per_fold,
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
