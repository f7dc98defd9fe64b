"""CascadeSearch: one search box over every granularity of a semantic index cascade.

Type a query: each level's hits appear side by side with their scores and latency, with the fused ranking and the
auto-merged list; the best sentence is shown highlighted inside its paragraph inside its section (as text). Click a
coarse hit to drill into its finer hits, filter by document, add a level by click (with progress), and compare the
levels on a labelled query set (recall, MRR, nDCG as a plotly chart).

Example:
    >>> from pxwidgets import CascadeSearch
    >>> CascadeSearch('demo/ref', queries='tests/data/cascade_queries.json')  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Heartbeat, Panel, ProgressReporter, Reply, command, required_text
from pxwidgets.panels.charts import figure_payload
from pxwidgets.panels.contract import FigurePayload, NoPayload, ParamSpec
from pxwidgets.patterns.cascade import SemanticIndexCascade
from pxwidgets.patterns.cascade.cascade import MAX_K
from pxwidgets.patterns.cascade.documents import DOC_PAGE
from pxwidgets.patterns.cascade.embeddings import embedding_choices
from pxwidgets.patterns.cascade.evaluation import LabelledQuery, parse_queries
from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.queries import check_k
from pxwidgets.patterns.cascade.records import HitInfo, SearchInfo
from pxwidgets.patterns.cascade.splitters import splitter_schema

# ---- message shapes (js/cascade_search/contract.ts is generated from them) -----------------------------------------


class LevelInfo(TypedDict):
    name: str
    path: str
    splitter: dict[str, Any]
    embedding: str | None
    lexical: bool
    nested: bool
    description: str
    adopted: bool
    """A hand-made view adopted as a level (``SemanticIndexCascade.adopt``)."""
    flat_reason: str | None
    """Why an adopted level's units cannot be placed inside another level's (drill and fusion leave it out)."""
    units: int | None
    """``None`` in ``info`` until counted for the level's current version (``level_counts`` counts them)."""
    documents: int | None
    """Documents with units (``None`` until counted, as ``units``)."""
    mean_words: float | None
    """Over the first 200 units; ``None`` until counted, or for an adopted level not opened yet (opening it may load
    its model)."""


class DocumentInfo(TypedDict):
    key: str
    title: str
    error: str | None


class EmbeddingChoice(TypedDict):
    key: str
    description: str


class InfoReply(TypedDict):
    path: str
    source: str
    levels: list[LevelInfo]
    documents: list[DocumentInfo]
    """The first page of documents (``documents`` pages and searches the rest)."""
    documents_total: int
    problems: list[DocumentInfo]
    """The first page of documents that failed to split."""
    problems_total: int
    splitter_params: list[ParamSpec]
    embeddings: list[EmbeddingChoice]
    queries: int
    max_k: int


class DocumentsRequest(TypedDict):
    search: NotRequired[str | None]
    offset: NotRequired[int]
    limit: NotRequired[int]


class DocumentsReply(TypedDict):
    documents: list[DocumentInfo]
    total: int
    """How many documents match (all of them without ``search``)."""
    offset: int
    search: str | None


class LevelCountsReply(TypedDict):
    levels: list[LevelInfo]


class UnitInfo(TypedDict):
    level: str
    start: int
    end: int
    text: str
    heading: str


class ContextReply(TypedDict):
    doc_key: str
    doc_title: str
    chain: list[UnitInfo]
    best: UnitInfo | None


class SearchRequest(TypedDict):
    query: str
    k: NotRequired[int]
    levels: NotRequired[list[str] | None]
    documents: NotRequired[list[str] | None]


class SearchReply(SearchInfo):
    """What a search found, and the best hit's context."""

    context: ContextReply | None


class HitRef(TypedDict):
    level: str
    doc_key: str
    start: int
    end: int
    query: str


class DrillRequest(TypedDict):
    hit: HitRef
    level: str
    k: NotRequired[int]


class DrillReply(TypedDict):
    level: str
    hits: list[HitInfo]
    context: ContextReply | None


class ContextRequest(TypedDict):
    hit: HitRef


class AddLevelRequest(TypedDict):
    name: str
    unit: str
    size: NotRequired[int | None]
    overlap: NotRequired[int | None]
    embedding: NotRequired[str | None]
    lexical: NotRequired[bool]


class AddLevelReply(TypedDict):
    level: LevelInfo
    levels: list[LevelInfo]


class EvaluateRequest(TypedDict):
    k: NotRequired[int]
    levels: NotRequired[list[str] | None]


class MethodScores(TypedDict):
    method: str
    recall: float
    mrr: float
    ndcg: float
    queries: int


class EvaluateReply(TypedDict):
    k: int
    scores: list[MethodScores]
    best: str | None
    best_level: str | None
    summary: str
    latency_ms: dict[str, float]
    baseline_level: str | None
    fusions: list[MethodScores]
    """Each fusion family and the overall choice, scored on held-out queries (k-fold cross-validation)."""
    chosen_fusion: str | None
    folds: int
    fold_choices: list[str]
    notes: list[str]
    queries: int
    figure: FigurePayload


# ---- helpers -------------------------------------------------------------------------------------------------------


def _k(payload: Mapping[str, Any], default: int) -> int:
    return check_k(payload.get('k', default))


def _names(payload: Mapping[str, Any], key: str) -> list[str] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequestError(f'{key!r} must be a list of names.')
    return list(value)


FRESH_S = 2.0
"""Levels read from the catalog less than this many seconds ago are not read again for ``info`` (first paint)."""

DOC_PAGE_MAX = 1000
"""The largest page of documents one request may ask for."""

MAX_OFFSET = 2**31 - 1
"""The largest character offset a hit can have (offsets are stored as integers in the levels' views)."""


def _hit_ref(payload: Mapping[str, Any]) -> Hit:
    ref = payload.get('hit')
    if not isinstance(ref, Mapping):
        raise InvalidRequestError('hit must be an object {level, doc_key, start, end, query}.')
    start, end = ref.get('start'), ref.get('end')
    texts = [ref.get(k) for k in ('level', 'doc_key', 'query')]
    offsets_ok = all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_OFFSET for v in (start, end))
    if not offsets_ok or not all(isinstance(t, str) for t in texts):
        raise InvalidRequestError(
            'hit must be an object {level, doc_key, start, end, query}.',
            hint=f'level, doc_key and query are names, start and end character offsets from 0 to {MAX_OFFSET}.',
        )
    level, doc_key, query = texts
    return Hit(level, doc_key, '', '', '', '', start, end, 0.0, 0, query)  # type: ignore[arg-type]


class CascadeSearch(Panel):
    """Search a semantic index cascade at every granularity at once, drill down, add levels, evaluate.

    Args:
        cascade: A :class:`~pxwidgets.patterns.cascade.SemanticIndexCascade`, or its path (or its documents table's).
        queries: A labelled query set for the evaluation tab: a JSON file, ``[{'query', 'relevant'}]`` or
            ``{query: [document keys]}``.
        k: Hits per level.

    Example:
        >>> panel = CascadeSearch(cascade, queries='tests/data/cascade_queries.json')  # doctest: +SKIP
        >>> panel  # displays it  # doctest: +SKIP
    """

    _esm = esm('cascade_search')
    _css = css('cascade_search')

    path = traitlets.Unicode('').tag(sync=True)
    """The cascade's directory."""
    query = traitlets.Unicode('').tag(sync=True)
    """The last query searched."""
    k = traitlets.Int(5).tag(sync=True)
    """Hits per level."""

    def __init__(
        self,
        cascade: SemanticIndexCascade | str,
        *,
        queries: Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str | Path | None = None,
        k: int = 5,
        **kwargs: Any,
    ) -> None:
        self.cascade = cascade if isinstance(cascade, SemanticIndexCascade) else SemanticIndexCascade.open(cascade)
        self.queries: list[LabelledQuery] = parse_queries(queries) if queries is not None else []
        super().__init__(path=self.cascade.path, k=k, **kwargs)

    # ---- commands -----------------------------------------------------------------------------------------------

    @command('info', request=NoPayload, reply=InfoReply)
    def _info(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        """First paint: one page of documents and the catalog, whatever the corpus's size (the levels' counts come
        from ``level_counts``, asked right after)."""
        self.cascade.refresh(older_than=FRESH_S)
        documents, total = self.cascade.document_page()
        problems, failed = self.cascade.failed_documents()
        return {
            'path': self.cascade.path,
            'source': self.cascade.source,
            'levels': self.cascade.stats(count=False),
            'documents': documents,
            'documents_total': total,
            'problems': problems,
            'problems_total': failed,
            'splitter_params': splitter_schema(),
            'embeddings': embedding_choices(),
            'queries': len(self.queries),
            'max_k': MAX_K,
        }

    @command('documents', request=DocumentsRequest, reply=DocumentsReply)
    def _documents(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        search = payload.get('search') or None
        if search is not None and not isinstance(search, str):
            raise InvalidRequestError('search must be text.')
        offset, limit = payload.get('offset', 0), payload.get('limit', DOC_PAGE)
        for name, value, low, high in (('offset', offset, 0, MAX_OFFSET), ('limit', limit, 1, DOC_PAGE_MAX)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidRequestError(f'{name} must be a whole number from {low} to {high}.')
        documents, total = self.cascade.document_page(search, offset=offset, limit=limit)
        return {'documents': documents, 'total': total, 'offset': offset, 'search': search}

    @command('level_counts', request=NoPayload, reply=LevelCountsReply)
    def _level_counts(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        """The levels with their units and documents counted (after first paint; once per version of each level)."""
        return {'levels': self.cascade.stats()}

    @command('search', request=SearchRequest, reply=SearchReply)
    def _search(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        query = payload.get('query')
        result = self.cascade.search(
            query,  # type: ignore[arg-type]  # validated by search()
            k=_k(payload, self.k),
            levels=_names(payload, 'levels'),
            documents=_names(payload, 'documents'),
        )
        self.query = result.query
        top = result.fused[0] if result.fused else next((h for r in result.levels for h in r.hits[:1]), None)
        return {**result.to_json(), 'context': self.cascade.context(top) if top is not None else None}

    @command('drill', request=DrillRequest, reply=DrillReply)
    def _drill(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        hit = _hit_ref(payload)
        level = required_text(payload, 'level')
        hits = self.cascade.drill(hit, level, k=_k(payload, self.k))
        return {
            'level': level,
            'hits': [h.to_json() for h in hits],
            'context': self.cascade.context(hits[0]) if hits else None,
        }

    @command('context', request=ContextRequest, reply=ContextReply)
    def _context(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return self.cascade.context(_hit_ref(payload))

    @command('add_level', background=True, request=AddLevelRequest, reply=AddLevelReply)
    def _add_level(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name = required_text(payload, 'name')
        lexical = bool(payload.get('lexical', False))
        embedding = payload.get('embedding') or None
        if embedding is not None and not isinstance(embedding, str):
            raise InvalidRequestError('embedding must be a key such as "minilm".')
        with Heartbeat(progress, 'Starting') as beat:
            level = self.cascade.add_level(
                name,
                required_text(payload, 'unit'),
                size=payload.get('size'),
                overlap=payload.get('overlap'),
                embedding=None if lexical else embedding,
                lexical=lexical,
                on_progress=beat,
            )
        progress(1, 1, 'Counting units')
        stats = self.cascade.stats()
        return {'level': next(s for s in stats if s['name'] == level.name), 'levels': stats}

    @command('evaluate', background=True, request=EvaluateRequest, reply=EvaluateReply)
    def _evaluate(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        if not self.queries:
            raise InvalidRequestError(
                'This panel has no labelled query set.',
                hint="Open it with CascadeSearch(cascade, queries='queries.json') (a list of {query, relevant}).",
            )
        report = self.cascade.evaluate(
            self.queries, k=_k(payload, self.k), levels=_names(payload, 'levels'), on_progress=progress
        )
        data = report.to_json()
        data.pop('per_query')
        return {**data, 'queries': len(self.queries), 'figure': figure_payload(report.figure())}
