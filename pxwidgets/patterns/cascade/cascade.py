"""``SemanticIndexCascade``: the same documents searchable at several granularities at once.

Search at section level for the overview, at sentence level for the detail, and see which granularity works for your
data. Each level is a Pixeltable iterator view with an embedding index (or a lexical BM25 level); every unit carries its
document and its character span, so a sentence knows its paragraph and section; all of it lives in the catalog and
``SemanticIndexCascade.open(path)`` rebuilds the object in a fresh process.

Example:
    >>> from pxwidgets import SemanticIndexCascade
    >>> cascade = SemanticIndexCascade('demo/docs', 'doc', name='ref')  # doctest: +SKIP
    >>> cascade.add_level('sections', 'section')  # doctest: +SKIP
    >>> cascade.add_level('paragraphs', 'paragraph')  # doctest: +SKIP
    >>> cascade.add_level('sentences', 'sentence')  # doctest: +SKIP
    >>> result = cascade.search('how do I catch an exception?', k=5)  # doctest: +SKIP
    >>> result.fused[0].doc_key  # doctest: +SKIP
    'try'
    >>> cascade.drill(result.fused[0], 'sentences')[0].text  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.patterns.cascade import adoption, build, quality
from pxwidgets.patterns.cascade import documents as listing
from pxwidgets.patterns.cascade import search as searching
from pxwidgets.patterns.cascade.build import ProgressCallback
from pxwidgets.patterns.cascade.catalog import (
    Level,
    cascade_config,
    find_cascades,
)
from pxwidgets.patterns.cascade.errors import CascadeNotFoundError
from pxwidgets.patterns.cascade.evaluation import EvaluationReport, SweepReport
from pxwidgets.patterns.cascade.fusion import MERGE_RATIO, RRF_K, Fusion
from pxwidgets.patterns.cascade.hits import Hit, SearchResult
from pxwidgets.patterns.cascade.quality import BASELINE, Queries
from pxwidgets.patterns.cascade.queries import LONG_QUERY_WORDS, MAX_K, MAX_QUERY_CHARS
from pxwidgets.patterns.cascade.tables import CascadeTables
from pxwidgets.patterns.common.plans import Plan, execute
from pxwidgets.tables.internals import read_transaction

__all__ = [
    'BASELINE',
    'LONG_QUERY_WORDS',
    'MAX_K',
    'MAX_QUERY_CHARS',
    'ProgressCallback',
    'SemanticIndexCascade',
]


class SemanticIndexCascade(CascadeTables):
    """Documents searchable at several granularities, fused, evaluated and kept up to date by Pixeltable.

    Args:
        documents_table: The table (or its path) whose rows are documents.
        content_column: Its column holding each document: a ``Document`` (HTML, Markdown or text file) or a
            ``String``.
        name: The cascade's name (default ``<table>_cascade``); it becomes a directory next to the table.
        dir: Where that directory goes (default: the table's directory).
        key_column: A string column naming each document (required for ``String`` content; for files the default
            is the file name without its suffix).

    Raises:
        TableNotFoundError: If there is no such table.
        InvalidRequestError: If the content or key column is missing or has the wrong type.
        CascadeConflictError: If a cascade of that name exists over another table or column.

    Example:
        >>> cascade = SemanticIndexCascade('demo/docs', 'doc', name='ref')  # doctest: +SKIP
        >>> cascade.path  # doctest: +SKIP
        'demo/ref'
    """

    def __init__(
        self,
        documents_table: pxt.Table | str,
        content_column: str,
        *,
        name: str | None = None,
        dir: str | None = None,
        key_column: str | None = None,
    ) -> None:
        self._init(build.define(documents_table, content_column, name=name, dir=dir, key_column=key_column))

    @classmethod
    def adopt(
        cls,
        source: pxt.Table | str,
        views: Sequence[pxt.Table | str] | None = None,
        *,
        name: str | None = None,
        dir: str | None = None,
        key_column: str | None = None,
    ) -> SemanticIndexCascade:
        """Adopt iterator views made with plain Pixeltable (each with an embedding index) as the levels of a cascade.

        Their splitter and embedding stay theirs. A view made over another adopted view (``string_splitter`` over
        ``document_splitter`` chunks) nests in it; views that cannot be linked to another level (no position
        information: ``document_splitter`` chunks carry no character offsets) become flat levels, with the reason in
        :meth:`describe`. The adoption is recorded in the catalog (a ``documents`` view in the directory ``name``), so
        :meth:`open` finds it after a restart without loading any model.

        Args:
            source: The documents table the views split.
            views: The views (or their paths); default: every view of ``source`` with an embedding index on a
                string column.
            name: The cascade's name (default ``<table>_cascade``).
            dir: Where its directory goes (default: the table's directory).
            key_column: A string column naming each document (default: a ``Document`` column's file name).

        Raises:
            AdoptionError: A view without an embedding index, one that is not a view of ``source``, or no view at all
                (nothing is written).

        Example:
            >>> cascade = SemanticIndexCascade.adopt('rag/docs', ['rag/chunks', 'rag/sentences'])  # doctest: +SKIP
            >>> SemanticIndexCascade.open('rag/docs').level_names  # doctest: +SKIP
            ['chunks', 'sentences']
        """
        path = adoption.adopt(source, views, name=name, dir=dir, key_column=key_column)
        cascade = cls.__new__(cls)
        cascade._init(path)
        return cascade

    @classmethod
    def open(cls, path: str) -> SemanticIndexCascade:
        """Rebuild a cascade from the catalog (e.g. after a kernel restart).

        Args:
            path: The cascade's directory (``'demo/ref'``), or the documents table when it has exactly one cascade.

        Raises:
            CascadeNotFoundError: If there is none (or several over that table: the message names them).

        Example:
            >>> SemanticIndexCascade.open('demo/ref').level_names  # doctest: +SKIP
            ['sections', 'paragraphs', 'sentences']
        """
        if cascade_config(path) is None:
            found = find_cascades(path)
            if len(found) != 1:
                raise CascadeNotFoundError(
                    f'No semantic index cascade at {path!r}.'
                    if not found
                    else f'{path} has {len(found)} cascades: {", ".join(found)}.',
                    hint='Open one of them by its directory.'
                    if found
                    else 'Make one with SemanticIndexCascade(table, column), or adopt views made with plain '
                    f'Pixeltable: SemanticIndexCascade.adopt({path!r}).',
                )
            path = found[0]
        cascade = cls.__new__(cls)
        cascade._init(path)
        return cascade

    def documents(self) -> list[dict[str, Any]]:
        """Every document: its key, title and whether its outline failed (with the error).

        Example:
            >>> cascade.documents()[0]  # doctest: +SKIP
            {'key': 'assert', 'title': 'The "assert" statement', 'error': None}
        """
        return listing.documents(self)

    def document_page(
        self, search: str | None = None, *, offset: int = 0, limit: int | None = listing.DOC_PAGE
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of :meth:`documents` in the order of their names (key column, or file URL), and how many match.

        Costs what the page costs (paged and counted in SQL; no document's text is read but the outlines of the
        page's documents that have no units).

        Args:
            search: Only documents whose key (file URL) or title contains it, ignoring case.
            offset: Documents to skip.
            limit: The page's size (``None``: all).

        Example:
            >>> docs, total = cascade.document_page('exception', limit=20)  # doctest: +SKIP
            >>> total, docs[0]['key']  # doctest: +SKIP
            (3, 'raise')
        """
        return listing.page(self, search, offset=offset, limit=limit)

    def failed_documents(self, *, limit: int | None = listing.DOC_PAGE) -> tuple[list[dict[str, Any]], int]:
        """The documents that could not be split (up to ``limit``), each with its error, and how many there are.

        Example:
            >>> cascade.failed_documents()  # doctest: +SKIP
            ([{'key': '…/broken.md', 'title': '…/broken.md', 'error': 'UnicodeDecodeError: …'}], 1)
        """
        return listing.failed(self, limit=limit)

    def problems(self) -> list[dict[str, Any]]:
        """Half-built levels (a view without its embedding index: the process building it ended), then the
        documents that could not be split, each with its error (the others are indexed).

        A half-built level is not searchable and not in :attr:`levels`; ``add_level`` with its definition completes it.

        Example:
            >>> cascade.problems()  # doctest: +SKIP
            [{'key': 'ref/paragraphs', 'title': 'level paragraphs', 'level': 'paragraphs', 'error': 'half-built: …'},
             {'key': '…/broken.md', 'title': '…', 'error': 'UnicodeDecodeError: …'}]
        """
        return listing.problems(self)

    def stats(self, *, count: bool = True) -> list[dict[str, Any]]:
        """Per level: units, documents with units, mean words per unit (over the first 200 units).

        Counted in the database (one SQL query over each level's store) once per version of each level's view; an
        adopted level is counted without opening its view (which would load its embedding model), so its mean words
        stay ``None`` until it has been searched.

        Args:
            count: Count the levels whose counts are not known for their current version; without it their counts
                are ``None`` (the panel's first paint shows them when they arrive).

        Example:
            >>> [(s['name'], s['units']) for s in cascade.stats()]  # doctest: +SKIP
            [('sections', 412), ('paragraphs', 1890), ('sentences', 3784)]
        """
        return listing.stats(self, count=count)

    # ---------------------------------------------------------------------------------------------------- levels

    def add_level(
        self,
        name: str,
        splitter: str | Mapping[str, Any] = 'paragraph',
        *,
        size: int | None = None,
        overlap: int | None = None,
        embedding: str | pxt.Function | None = None,
        lexical: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Level:
        """Add a granularity: an iterator view of the documents with an embedding index (or a BM25 level).

        Declaring the same level again returns it unchanged; a different definition under a taken name is refused.

        Args:
            name: The level's name (its view's name): an identifier.
            splitter: ``'section'``, ``'paragraph'``, ``'sentence'`` or ``'window'``.
            size: Words per window (windows only; default 128).
            overlap: Words shared by consecutive windows (default ``size // 4``).
            embedding: ``'minilm'`` (default, offline), ``'wordllama'``, ``'hf:<model>'`` or a Pixeltable UDF.
            lexical: Make a BM25 level instead (no embedding index; ``bm25s`` ranks its units).
            on_progress: Called between steps with ``(done, total, message)``.

        Returns:
            The level.

        Raises:
            LevelNameError: The name is invalid, or taken by a table or a different level (nothing written).
            InvalidParameterError: The splitter's parameters are out of range (nothing written).
            EmbeddingUnavailableError: The model cannot be loaded here (checked before anything is written).
            LevelBuildError: Pixeltable refused to build it (what was created is removed again).
            CancelledError: ``on_progress`` raised it; the level was removed again.

        Example:
            >>> cascade.add_level('windows_128', 'window', size=128, overlap=32)  # doctest: +SKIP
        """
        return build.build_level(
            self,
            name,
            splitter,
            size=size,
            overlap=overlap,
            embedding=embedding,
            lexical=lexical,
            on_progress=on_progress,
        )

    def plan_drop_level(self, name: str) -> Plan:
        """What dropping a level would do (its view and index go; documents and other levels stay).

        Example:
            >>> plan = cascade.plan_drop_level('windows_2048')  # doctest: +SKIP
            >>> cascade.drop_level('windows_2048', expect=plan)  # doctest: +SKIP
        """
        return build.plan_drop(self, name)

    def drop_level(self, name: str, *, expect: Plan | str) -> list[str]:
        """Drop a level after its plan was seen (``expect`` = the plan or its token); returns the dropped paths.

        Raises:
            PlanChangedError: The catalog changed since the plan was made (nothing done).
        """
        result = execute(expect, lambda: self.plan_drop_level(name))
        with self._lock:
            self._units.pop(name, None)
        self.refresh()
        return [s.target for s in result.done]

    # ---------------------------------------------------------------------------------------------------- search

    def select(self, levels: Sequence[str] | None) -> list[Level]:
        """The named levels (all of them for None), coarse to fine.

        Raises:
            LevelNotFoundError: An unknown level name.
        """
        if levels is None:
            return list(self._state.levels)
        return [self.level(n) for n in levels]

    def query_vectors(self, query: str, levels: Sequence[Level]) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The query embedded once per embedding model the levels use, and the time each took (ms)."""
        return searching.query_vectors(self, query, levels)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        levels: Sequence[str] | None = None,
        documents: Iterable[str] | None = None,
        fuse_at: str | None = None,
        merge_ratio: float = MERGE_RATIO,
        rrf_k: int = RRF_K,
        fusion: Fusion | str | None = None,
    ) -> SearchResult:
        """Search every level (or the named ones) at once.

        The query is embedded once per embedding model, then each level is searched with its index. The fused list
        ranks the units of ``fuse_at`` (default: the coarsest nested level) by reciprocal rank fusion of all levels'
        hits inside them; the merged list is the finest level's hits auto-merged into parents that most of their
        children hit.

        Args:
            query: What to look for.
            k: Hits per level (1-40).
            levels: The levels to search (default: all).
            documents: Only these document keys (scored exactly, not approximately).
            fuse_at: The level whose units the fused list ranks.
            merge_ratio: The share of a parent's children that must hit for the parent to replace them.
            rrf_k: The RRF constant (of the default fusion).
            fusion: How to fuse: a :class:`~pxwidgets.patterns.cascade.fusion.Fusion`, a method name (``'rrf'``,
                ``'relative_score'``, ``'dist_score'``), or ``None`` for :attr:`fusion` (reciprocal rank fusion, or
                the fusion :meth:`evaluate` chose).

        Raises:
            InvalidQueryError: Empty, whitespace-only or over-long query.
            LevelNotFoundError: An unknown level name.

        Example:
            >>> r = cascade.search('catch an exception', k=3)  # doctest: +SKIP
            >>> [(x.level, x.ms) for x in r.levels]  # doctest: +SKIP
        """
        return searching.search(
            self,
            query,
            k,
            levels=levels,
            documents=documents,
            fuse_at=fuse_at,
            merge_ratio=merge_ratio,
            fusion=self._fusion(fusion, rrf_k),
        )

    def _fusion(self, fusion: Fusion | str | None, rrf_k: int = RRF_K) -> Fusion:
        if isinstance(fusion, Fusion):
            return fusion
        if fusion is None:
            return self.fusion if rrf_k == RRF_K else Fusion('rrf', k0=rrf_k)
        return Fusion(fusion, k0=rrf_k)

    def drill(self, hit: Hit, level: str, k: int = 5, *, query: str | None = None) -> list[Hit]:
        """The units of ``level`` inside a (coarser) hit, ranked by the same query.

        Args:
            hit: A hit from :meth:`search` (a section, a fused hit, …).
            level: A finer level.
            k: How many.
            query: The query to rank by (default: the one that found ``hit``; its vector is cached).

        Example:
            >>> section = cascade.search('catch an exception').fused[0]  # doctest: +SKIP
            >>> [h.text for h in cascade.drill(section, 'sentences', k=2)]  # doctest: +SKIP
        """
        return searching.drill(self, hit, level, k, query)

    def context(self, hit: Hit) -> dict[str, Any]:
        """Where a hit sits: its enclosing units (section → paragraph → sentence) and the best finest unit inside.

        Returns:
            ``{'chain': [unit, ...], 'best': unit | None}``, each unit ``{'level', 'start', 'end', 'text',
            'heading'}``, coarse first; offsets are in the document's text, so a unit's place inside its parent is
            ``start - parent.start``.

        Example:
            >>> c = cascade.context(result.level('sentences').hits[0])  # doctest: +SKIP
            >>> [u['level'] for u in c['chain']]  # doctest: +SKIP
            ['sections', 'paragraphs', 'sentences']
        """
        with read_transaction(self.level_tables()):
            return searching.context(self, hit)

    # ---------------------------------------------------------------------------------------------------- quality

    def evaluate(
        self,
        queries: Queries,
        k: int = 5,
        *,
        levels: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
        folds: int = 5,
    ) -> EvaluationReport:
        """recall@k, MRR@k and nDCG@k per level, for the fused ranking and for a BM25 baseline (``'bm25_baseline'``);
        and a fusion chosen for these queries by ``folds``-fold cross-validation (weighted RRF, relative-score,
        distribution-based score, hybrid with BM25; over the fusion level's units or whole documents), reported by its
        held-out scores (``report.fusions``) and used by later searches (:attr:`fusion`).

        Relevance is per document: a level's ranking is its unit hits mapped to their documents (first occurrence
        kept). The BM25 baseline ranks the coarsest level's units lexically (``bm25s``).

        Args:
            queries: ``[{'query': ..., 'relevant': [doc keys]}, ...]``, ``{query: [doc keys]}`` or a JSON file path.
            k: The cut-off.
            levels: The levels to compare (default: all).
            on_progress: ``(done, total, message)`` per query.

        Example:
            >>> report = cascade.evaluate('tests/data/cascade_queries.json')  # doctest: +SKIP
            >>> report.best  # doctest: +SKIP
            'fused'
        """
        return quality.evaluate(self, queries, k, levels=levels, on_progress=on_progress, folds=folds)

    def sweep(
        self,
        queries: Queries,
        window_sizes: Sequence[int] = (128, 512, 2048),
        *,
        overlap: float = 0.25,
        embedding: str | pxt.Function | None = None,
        k: int = 5,
        on_progress: ProgressCallback | None = None,
    ) -> SweepReport:
        """Build a fixed-window level per size (``window_<size>``), evaluate them, and say which to keep.

        Existing window levels of the same definition are reused. Nothing is dropped: the report lists the levels it
        would drop, and :meth:`plan_drop_level` / :meth:`drop_level` do it after you have seen the plan.

        Args:
            queries: Labelled queries (see :meth:`evaluate`).
            window_sizes: Words per window.
            overlap: The share of a window shared with the next.
            embedding: The embedding of the new levels (default MiniLM).
            k: The cut-off of the metrics.
            on_progress: ``(done, total, message)``.

        Example:
            >>> report = cascade.sweep(queries, window_sizes=[128, 512, 2048])  # doctest: +SKIP
            >>> report.keep  # doctest: +SKIP
            'window_128'
        """
        return quality.sweep(
            self, queries, window_sizes, overlap=overlap, embedding=embedding, k=k, on_progress=on_progress
        )
