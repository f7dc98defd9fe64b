"""Searching a cascade: each level's hits (its embedding index, exact scores inside a filter, or BM25), the fused and
auto-merged rankings, and where a hit sits in its document.

Every function reads through the cascade's public methods (``table``, ``units``, ``query_vectors``, ``levels``).

Example:
    >>> result = search(cascade, 'catch an exception', 3)  # doctest: +SKIP
    >>> result.fused[0].doc_key  # doctest: +SKIP
    'try'
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.catalog import INDEX_NAME, UNIT_COLUMNS, Level
from pxwidgets.patterns.cascade.fusion import auto_merge, reciprocal_rank_fusion
from pxwidgets.patterns.cascade.hits import Hit, LevelResult, SearchResult
from pxwidgets.patterns.cascade.queries import check_k, validate_query
from pxwidgets.tables.internals import read_transaction

if TYPE_CHECKING:
    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade


def rows_to_hits(level: str, rows: Iterable[Mapping[str, Any]], query: str) -> list[Hit]:
    """Result rows (the unit columns and ``score``) as hits, ranked in order."""
    return [
        Hit(
            level,
            str(r['doc_key']),
            str(r['doc_title']),
            str(r['unit_heading'] or ''),
            str(r['unit_text']),
            str(r['unit_kind']),
            int(r['span_start']),
            int(r['span_end']),
            float(r['score']),
            rank,
            query,
        )
        for rank, r in enumerate(rows, 1)
    ]


def level_hits(
    c: SemanticIndexCascade,
    lv: Level,
    query: str,
    vector: np.ndarray | None,
    k: int,
    *,
    documents: set[str] | None = None,
    within: tuple[str, int, int] | None = None,
) -> list[Hit]:
    """The best ``k`` units of one level: by its index, or scored exactly inside a document filter or a span."""
    if lv.lexical:
        return c.units(lv.name).bm25_search(query, k, documents=documents, within=within)
    assert vector is not None
    tbl = c.table(lv.name)
    cols = {col: tbl[col] for col in UNIT_COLUMNS}
    if documents is None and within is None:
        sim = tbl.unit_text.similarity(vector=vector, idx=INDEX_NAME)
        rows = tbl.order_by(sim, asc=False).limit(k).select(**cols, score=sim).collect()
        return rows_to_hits(lv.name, rows, query)
    # Filtered: score the few candidate units exactly (an approximate index search followed by a selective
    # filter can return fewer than k rows).
    if within is not None:
        doc, start, end = within
        where = (tbl.doc_key == doc) & (tbl.span_start >= start) & (tbl.span_end <= end)
    else:
        where = tbl.doc_key.isin(sorted(documents or ()))
    found = list(tbl.where(where).select(**cols, vec=tbl.unit_text.embedding(idx=INDEX_NAME)).collect())
    if not found:
        return []
    matrix = np.stack([np.asarray(r['vec'], dtype=np.float32) for r in found])
    norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
    scores = matrix @ vector.astype(np.float32) / np.maximum(norms, 1e-12)
    order = np.argsort(-scores, kind='stable')[:k]
    return rows_to_hits(lv.name, [{**found[i], 'score': float(scores[i])} for i in order], query)


def nested_chain(levels: Sequence[Level]) -> list[Level]:
    """One nested level per unit kind (section, paragraph, sentence), coarse to fine, preferring embeddings."""
    chain: dict[str, Level] = {}
    for lv in levels:
        if lv.nested and (lv.unit not in chain or (chain[lv.unit].lexical and not lv.lexical)):
            chain[lv.unit] = lv
    return [chain[u] for u in ('section', 'paragraph', 'sentence') if u in chain]


def fusion_level(c: SemanticIndexCascade, selected: Sequence[Level], fuse_at: str | None) -> str | None:
    """The level whose units the fused list ranks: ``fuse_at``, else the coarsest nested level searched."""
    if fuse_at is not None:
        return c.level(fuse_at).name
    nested = [lv for lv in c.levels if lv.nested and lv in selected] or list(selected)
    return nested[0].name if nested else None


def merge(
    c: SemanticIndexCascade, results: Sequence[LevelResult], selected: Sequence[Level], ratio: float
) -> list[Hit]:
    """The finest searched level's hits, auto-merged into the parents most of whose children hit."""
    chain_levels = nested_chain(c.levels)
    finest = next((r for lv in reversed(chain_levels) for r in results if r.level == lv.name and lv in selected), None)
    if finest is None:
        return []
    names = [lv.name for lv in chain_levels]
    idx = names.index(finest.level)
    pairs = [(c.units(names[i]), c.units(names[i - 1])) for i in range(idx, 0, -1)]
    return auto_merge(finest.hits, pairs, ratio=ratio)


def search(
    c: SemanticIndexCascade,
    query: str,
    k: int,
    *,
    levels: Sequence[str] | None,
    documents: Iterable[str] | None,
    fuse_at: str | None,
    merge_ratio: float,
    rrf_k: int,
) -> SearchResult:
    """Search the levels at once (see ``SemanticIndexCascade.search``)."""
    start = time.perf_counter()
    text, notes = validate_query(query)
    k = check_k(k)
    selected = c.select(levels)
    doc_filter = set(documents) if documents is not None else None
    if doc_filter is not None and not doc_filter:
        raise InvalidRequestError('documents is empty: name at least one document key, or pass None for all.')
    vectors, embed_ms = c.query_vectors(text, selected)
    results = []
    fused_level = fusion_level(c, selected, fuse_at)
    fused: list[Hit] = []
    # one snapshot for every level, and no catalog round trip per expression
    with read_transaction(c.level_tables()):
        for lv in selected:
            t0 = time.perf_counter()
            hits = level_hits(c, lv, text, vectors.get(lv.embedding or ''), k, documents=doc_filter)
            results.append(LevelResult(lv.name, hits, (time.perf_counter() - t0) * 1000, lv.embedding))
            if not hits and len(c.units(lv.name)) == 0:
                notes.append(f'Level {lv.name!r} has no units (no document, or every document failed to split).')
        if fused_level is not None:
            fused = reciprocal_rank_fusion({r.level: r.hits for r in results}, c.units(fused_level), k0=rrf_k, limit=k)
        merged = merge(c, results, selected, merge_ratio)
    return SearchResult(
        query=text,
        levels=results,
        fused=fused,
        merged=merged,
        fused_level=fused_level,
        embed_ms=embed_ms,
        total_ms=(time.perf_counter() - start) * 1000,
        notes=notes,
    )


def _unit_json(u: Hit) -> dict[str, Any]:
    return {'level': u.level, 'start': u.start, 'end': u.end, 'text': u.text, 'heading': u.heading}


def context(c: SemanticIndexCascade, hit: Hit) -> dict[str, Any]:
    """Where a hit sits: its enclosing units and the best finest unit inside (see ``SemanticIndexCascade.context``)."""
    chain_levels = nested_chain(c.levels)
    best: Hit | None = None
    if chain_levels:
        finest = chain_levels[-1]
        if hit.level == finest.name:
            best = hit
        elif hit.query:
            vectors, _ = c.query_vectors(hit.query, [finest])
            inside = level_hits(c, finest, hit.query, vectors.get(finest.embedding or ''), 1, within=hit.span)
            best = inside[0] if inside else None
    anchor = best or hit
    chain = [
        unit
        for lv in chain_levels
        if (unit := c.units(lv.name).enclosing(anchor.doc_key, anchor.start, anchor.end)) is not None
    ]
    return {
        'doc_key': hit.doc_key,
        'doc_title': hit.doc_title,
        'chain': [_unit_json(u) for u in chain],
        'best': _unit_json(best) if best is not None else None,
    }
