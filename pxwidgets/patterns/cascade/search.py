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
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.catalog import Level
from pxwidgets.patterns.cascade.embeddings import index_embedding, resolve_embedding
from pxwidgets.patterns.cascade.fusion import Fusion, auto_merge, fuse
from pxwidgets.patterns.cascade.hits import Hit, LevelResult, SearchResult
from pxwidgets.patterns.cascade.queries import check_k, validate_query
from pxwidgets.patterns.cascade.store import Lookup, linked
from pxwidgets.tables.internals import read_transaction

if TYPE_CHECKING:
    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade


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
    store = c.store(lv.name)
    tbl = store.tbl
    text = tbl[lv.text_column]
    cols = store.select()
    if documents is None and within is None:
        sim = text.similarity(vector=vector, idx=lv.index_name)
        rows = tbl.order_by(sim, asc=False).limit(k).select(**cols, score=sim).collect()
        return store.hits(rows, query)
    # Filtered: score the few candidate units exactly (an approximate index search followed by a selective
    # filter can return fewer than k rows).
    where = store.where_within(within) if within is not None else store.where_docs(documents or ())
    found = list(tbl.where(where).select(**cols, vec=text.embedding(idx=lv.index_name)).collect())
    if not found:
        return []
    matrix = np.stack([np.asarray(r['vec'], dtype=np.float32) for r in found])
    norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
    scores = matrix @ vector.astype(np.float32) / np.maximum(norms, 1e-12)
    order = np.argsort(-scores, kind='stable')[:k]
    return store.hits([{**found[i], 'score': float(scores[i])} for i in order], query)


def query_vectors(
    c: SemanticIndexCascade, query: str, levels: Sequence[Level]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The query embedded once per embedding model the levels use, and the time each took (ms)."""
    vectors: dict[str, np.ndarray] = {}
    times: dict[str, float] = {}
    for lv in levels:
        if lv.embedding is None or lv.embedding in vectors:
            continue
        start = time.perf_counter()
        model = (
            index_embedding(lv.embedding, c.table(lv.name), lv.index_name)
            if lv.adopted is not None
            else resolve_embedding(lv.embedding)
        )
        vectors[lv.embedding] = model.embed_query(query)
        times[lv.embedding] = (time.perf_counter() - start) * 1000
    return vectors, times


def drill(c: SemanticIndexCascade, hit: Hit, level: str, k: int, query: str | None) -> list[Hit]:
    """The units of ``level`` inside a coarser hit, ranked by the query (see ``SemanticIndexCascade.drill``)."""
    text, _ = validate_query(query if query is not None else hit.query)
    k = check_k(k)
    lv = c.level(level)
    coarse = next((x for x in c.levels if x.name == hit.level), None)
    if coarse is not None and not linked(coarse, lv):
        flats = [x.adopted['flat'] for x in (lv, coarse) if x.adopted is not None and x.adopted['flat']]
        reason = flats[0] if flats else 'their units are not nested'
        raise InvalidRequestError(
            f'Cannot drill from {coarse.name!r} into {level!r}: {reason}.',
            hint='Drill into a level made from it (a view of its view), or search that level on its own.',
        )
    vectors, _ = c.query_vectors(text, [lv])
    with read_transaction(c.level_tables()):
        return level_hits(c, lv, text, vectors.get(lv.embedding or ''), k, within=hit.span)


def nested_chain(levels: Sequence[Level]) -> list[Level]:
    """The levels that nest, coarse to fine: built ones one per unit kind (section, paragraph, sentence, preferring
    embeddings); adopted ones the longest chain of views of views."""
    chain: dict[str, Level] = {}
    for lv in levels:
        if lv.adopted is None and lv.nested and (lv.unit not in chain or (chain[lv.unit].lexical and not lv.lexical)):
            chain[lv.unit] = lv
    built = [chain[u] for u in ('section', 'paragraph', 'sentence') if u in chain]
    adopted = [lv for lv in levels if lv.adopted is not None and lv.nested]
    if built or not adopted:
        return built
    leaf = max(adopted, key=lambda lv: len(lv.adopted['chain']) if lv.adopted else 0)
    paths = leaf.adopted['chain'] if leaf.adopted else []
    return [lv for p in paths for lv in adopted if lv.path == p]


def fusion_level(c: SemanticIndexCascade, selected: Sequence[Level], fuse_at: str | None) -> str | None:
    """The level whose units the fused list ranks: ``fuse_at``, else the coarsest nested level searched."""
    if fuse_at is not None:
        return c.level(fuse_at).name
    chain = [lv for lv in nested_chain(c.levels) if lv in selected]
    nested = chain or [lv for lv in c.levels if lv.nested and lv in selected] or list(selected)
    return nested[0].name if nested else None


def parent_lookup(c: SemanticIndexCascade, level: str, hits: Sequence[Hit]) -> Lookup:
    """The units of ``level`` holding each hit of a level linked to it: a hit of ``level`` itself is its own unit;
    the others' units are fetched in one query (none when every hit is of ``level``)."""
    lv = c.level(level)
    own = {h.span: replace(h, score=0.0, rank=0, query='', children=()) for h in hits if h.level == level}
    spans = [h.span for h in hits if h.level != level and h.span not in own and linked(lv, c.level(h.level))]
    return Lookup(level, {**c.store(level).parents(spans), **own})


def fuse_results(
    c: SemanticIndexCascade, results: Sequence[LevelResult], level: str | None, fusion: Fusion, limit: int | None
) -> list[Hit]:
    """The fused list of a search (see :func:`~pxwidgets.patterns.cascade.fusion.fuse`)."""
    hits = {r.level: r.hits for r in results}
    if fusion.at is not None:
        return fuse(hits, None, fusion, limit=limit)
    if level is None:
        return []
    lookup = parent_lookup(c, level, [h for r in results for h in r.hits])
    return fuse(hits, lookup, fusion, limit=limit)


def merge(
    c: SemanticIndexCascade, results: Sequence[LevelResult], selected: Sequence[Level], ratio: float
) -> list[Hit]:
    """The finest searched level's hits, auto-merged into the parents most of whose children hit."""
    chain_levels = nested_chain(c.levels)
    finest = next((r for lv in reversed(chain_levels) for r in results if r.level == lv.name and lv in selected), None)
    if finest is None:
        return []
    names = [lv.name for lv in chain_levels]
    current = list(finest.hits)
    for i in range(names.index(finest.level), 0, -1):
        child, parent = names[i], names[i - 1]
        parents = c.store(parent).parents([h.span for h in current if h.level == child])
        counts = c.store(child).count_inside([p.span for p in parents.values()])
        current = auto_merge(current, [(Lookup(child, counts=counts), Lookup(parent, parents))], ratio=ratio)
    return current


def search(
    c: SemanticIndexCascade,
    query: str,
    k: int,
    *,
    levels: Sequence[str] | None,
    documents: Iterable[str] | None,
    fuse_at: str | None,
    merge_ratio: float,
    fusion: Fusion,
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
    fused_level = fusion.at or fusion_level(c, selected, fuse_at)
    # one snapshot for every level, and no catalog round trip per expression
    with read_transaction(c.level_tables()):
        for lv in selected:
            t0 = time.perf_counter()
            hits = level_hits(c, lv, text, vectors.get(lv.embedding or ''), k, documents=doc_filter)
            results.append(LevelResult(lv.name, hits, (time.perf_counter() - t0) * 1000, lv.embedding))
            if not hits and c.store(lv.name).count() == 0:
                notes.append(f'Level {lv.name!r} has no units (no document, or every document failed to split).')
        fused = fuse_results(c, results, None if fusion.at else fused_level, fusion, k)
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


def context_offsets(chain: Sequence[Hit]) -> list[dict[str, Any]]:
    """The chain's units with offsets in characters of the outermost unit's text (adopted levels have ``pos`` spans,
    so each inner unit is found in its parent's text; one that cannot be found covers its parent).

    Example:
        >>> a = Hit('chunks', 'd', 'D', '', 'One. Two.', 'paragraph', 0, 9, 0.0, 0)
        >>> b = Hit('sentences', 'd', 'D', '', 'Two.', 'sentence', 1, 2, 0.0, 0)
        >>> [(u['start'], u['end']) for u in context_offsets([a, b])]
        [(0, 9), (5, 9)]
    """
    out: list[dict[str, Any]] = []
    text = chain[0].text if chain else ''
    for u in chain:
        if not out:
            start, end = 0, len(text)
        else:
            prev = out[-1]
            at = text.find(u.text, prev['start'], prev['end']) if u.text else -1
            start, end = (at, at + len(u.text)) if at >= 0 else (prev['start'], prev['end'])
        out.append({'level': u.level, 'start': start, 'end': end, 'text': text[start:end], 'heading': u.heading})
    return out


def _unit_json(u: Hit) -> dict[str, Any]:
    return {'level': u.level, 'start': u.start, 'end': u.end, 'text': u.text, 'heading': u.heading}


def context(c: SemanticIndexCascade, hit: Hit) -> dict[str, Any]:
    """Where a hit sits: its enclosing units and the best finest unit inside (see ``SemanticIndexCascade.context``)."""
    chain_levels = nested_chain(c.levels)
    best: Hit | None = None
    hit_level = next((lv for lv in c.levels if lv.name == hit.level), None)
    if chain_levels and hit_level is not None and linked(chain_levels[0], hit_level):
        finest = chain_levels[-1]
        if hit.level == finest.name:
            best = hit
        elif hit.query and (hit_level in chain_levels or hit_level.adopted is None):
            vectors, _ = c.query_vectors(hit.query, [finest])
            inside = level_hits(c, finest, hit.query, vectors.get(finest.embedding or ''), 1, within=hit.span)
            best = inside[0] if inside else None
    anchor = best or hit
    chain: list[Hit] = []
    if hit_level is not None and chain_levels and linked(chain_levels[0], hit_level):
        for lv in chain_levels:
            try:
                unit = c.store(lv.name).parents([anchor.span]).get(anchor.span)
            except ValueError:  # an adopted level finer than the anchor: no single unit holds it
                break
            if unit is not None:
                chain.append(unit)
    elif hit_level is not None and hit_level.adopted is not None:
        chain = [hit]  # a flat level: the hit alone
    units = (
        context_offsets(chain)
        if chain and c.level(chain[0].level).adopted is not None
        else [_unit_json(u) for u in chain]
    )
    best_json = None
    if best is not None:
        best_json = next((u for u in units if u['level'] == best.level), _unit_json(best))
    return {
        'doc_key': hit.doc_key,
        'doc_title': hit.doc_title,
        'chain': units,
        'best': best_json,
    }
