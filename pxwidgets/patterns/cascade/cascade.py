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

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade import adoption, build, quality
from pxwidgets.patterns.cascade import search as searching
from pxwidgets.patterns.cascade.build import ProgressCallback
from pxwidgets.patterns.cascade.catalog import (
    DOCS_VIEW,
    OUTLINE_COLUMN,
    CascadeState,
    Level,
    cascade_config,
    find_cascades,
    read_cascade,
)
from pxwidgets.patterns.cascade.embeddings import index_embedding, resolve_embedding
from pxwidgets.patterns.cascade.errors import CascadeNotFoundError, LevelNotFoundError
from pxwidgets.patterns.cascade.evaluation import EvaluationReport, SweepReport
from pxwidgets.patterns.cascade.fusion import MERGE_RATIO, RRF_K, Fusion
from pxwidgets.patterns.cascade.hits import Hit, SearchResult
from pxwidgets.patterns.cascade.quality import BASELINE, Queries
from pxwidgets.patterns.cascade.queries import LONG_QUERY_WORDS, MAX_K, MAX_QUERY_CHARS, check_k, validate_query
from pxwidgets.patterns.cascade.store import LevelStore, doc_stem, level_counts, linked
from pxwidgets.patterns.cascade.units import UnitMap
from pxwidgets.patterns.common.plans import Plan, execute
from pxwidgets.tables.internals import read_transaction, table_version

__all__ = [
    'BASELINE',
    'LONG_QUERY_WORDS',
    'MAX_K',
    'MAX_QUERY_CHARS',
    'ProgressCallback',
    'SemanticIndexCascade',
]


class SemanticIndexCascade:
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

    def _init(self, path: str) -> None:
        self._path = path
        self._lock = threading.RLock()
        self._handles: dict[str, pxt.Table] = {}
        self._units: dict[str, tuple[int, UnitMap]] = {}
        self._stores: dict[str, LevelStore] = {}
        self._doc_keys: tuple[dict[str, str], dict[str, str]] | None = None
        self._state: CascadeState = read_cascade(path)
        self.fusion: Fusion = Fusion('rrf')
        """The fusion :meth:`search` uses by default (:meth:`evaluate` sets the one it chose, in this process)."""

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

    # ---------------------------------------------------------------------------------------------------- reading

    @property
    def path(self) -> str:
        """The cascade's directory."""
        return self._path

    @property
    def name(self) -> str:
        return self._path.rsplit('/', 1)[-1]

    @property
    def source(self) -> str:
        """The documents table's path."""
        return str(self._state.config['source'])

    @property
    def content_column(self) -> str:
        return str(self._state.config['content_column'])

    @property
    def config(self) -> dict[str, Any]:
        """The cascade's stored definition (a copy)."""
        return dict(self._state.config)

    @property
    def key_column(self) -> str | None:
        key = self._state.config.get('key_column')
        return None if key is None else str(key)

    @property
    def adopted(self) -> bool:
        """Whether its levels (some of them) are hand-made views it adopted."""
        return any(lv.adopted is not None for lv in self._state.levels)

    def describe(self) -> list[str]:
        """One line per level, from the catalog metadata alone (no view is opened, no model loaded).

        Example:
            >>> cascade.describe()  # doctest: +SKIP
            ['chunks: adopted rag/chunks: document_splitter(...); index idx0 (...); root', ...]
        """
        return [f'{lv.name}: {lv.describe()}' for lv in self._state.levels]

    @property
    def levels(self) -> list[Level]:
        """The levels, coarse to fine (as last read from the catalog; :meth:`refresh` re-reads)."""
        return list(self._state.levels)

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self._state.levels]

    def refresh(self) -> None:
        """Re-read the levels from the catalog (after another process added or dropped one)."""
        with self._lock:
            self._state = read_cascade(self._path)
            self._handles.clear()

    def level(self, name: str) -> Level:
        """One level.

        Raises:
            LevelNotFoundError: If there is none of that name.
        """
        for lv in self._state.levels:
            if lv.name == name:
                return lv
        raise LevelNotFoundError(name, self.level_names)

    def table(self, level: str | None = None) -> pxt.Table:
        """A level's view (or, with no name, the documents view), to query with plain Pixeltable.

        Example:
            >>> t = cascade.table('sentences')  # doctest: +SKIP
            >>> t.where(t.doc_key == 'try').select(t.unit_text).limit(3).collect()  # doctest: +SKIP
        """
        return self.table_at(f'{self._path}/{DOCS_VIEW}' if level is None else self.level(level).path)

    def table_at(self, path: str) -> pxt.Table:
        """The table at ``path``, opened once per cascade object."""
        with self._lock:
            handle = self._handles.get(path)
            if handle is None:
                handle = pxt.get_table(path)
                assert handle is not None
                self._handles[path] = handle
            return handle

    def opened(self) -> set[str]:
        """The paths of the tables this object has opened."""
        with self._lock:
            return set(self._handles)

    def store(self, level: str) -> LevelStore:
        """How a level's units are read by key (see :mod:`~pxwidgets.patterns.cascade.store`)."""
        with self._lock:
            store = self._stores.get(level)
        if store is None:
            store = LevelStore(self, self.level(level))
            with self._lock:
                self._stores[level] = store
        return store

    def _doc_maps(self) -> tuple[dict[str, str], dict[str, str]]:
        """Stored document value → key, and back (a document's key is its file name's stem, unless two share it)."""
        source = self.table_at(self.source)
        version = table_version(source)
        with self._lock:
            cached = self._doc_keys
            if cached is not None and cached[0].get('\0version') == str(version):
                return cached
        column = source[self.content_column]
        values = [str(v) for v in source.select(v=column.fileurl).collect()['v'] if v is not None]
        stems: dict[str, list[str]] = {}
        for v in values:
            stems.setdefault(doc_stem(v), []).append(v)
        to_key = {v: (s if len(vs) == 1 else v) for s, vs in stems.items() for v in vs}
        to_key['\0version'] = str(version)
        maps = (to_key, {k: v for v, k in to_key.items()})
        with self._lock:
            self._doc_keys = maps
        return maps

    def doc_key_of(self, value: str) -> str:
        """A document's key from the value a level stores (its file URL, or the key column's value)."""
        if self.key_column:
            return value
        return self._doc_maps()[0].get(value) or doc_stem(value)

    def doc_value_of(self, key: str) -> str:
        """The stored value of a document's key (the inverse of :meth:`doc_key_of`)."""
        if self.key_column:
            return key
        return self._doc_maps()[1].get(key, key)

    def level_tables(self) -> list[pxt.Table]:
        """Every level's view, opened now (Pixeltable cannot open a table inside a read transaction); with adopted
        levels also the source, whose document keys are read now."""
        tables = [self.table(lv.name) for lv in self._state.levels]
        if self.adopted:
            if not self.key_column:
                self._doc_maps()
            tables.append(self.table_at(self.source))
        return tables

    def units(self, level: str) -> UnitMap:
        """Every unit of a level in memory (re-read when the level's version changes, e.g. after an insert).

        Searches never call it for embedding levels (their units are read by key); BM25 needs every unit of a
        lexical level, and tests compare against it.
        """
        tbl = self.table(level)
        version = table_version(tbl)
        with self._lock:
            cached = self._units.get(level)
            if cached is not None and cached[0] == version:
                return cached[1]
        store = self.store(level)
        hits = [store.hit(r) for r in tbl.select(**store.select()).collect()]
        unit_map = UnitMap(level, [(h.doc_key, h.doc_title, h.heading, h.text, h.kind, h.start, h.end) for h in hits])
        with self._lock:
            self._units[level] = (version, unit_map)
        return unit_map

    def documents(self) -> list[dict[str, Any]]:
        """Every document: its key, title and whether its outline failed (with the error).

        Example:
            >>> cascade.documents()[0]  # doctest: +SKIP
            {'key': 'assert', 'title': 'The "assert" statement', 'error': None}
        """
        docs = self.table()
        if OUTLINE_COLUMN not in docs.columns():  # adopted: its views split the documents
            column = docs[self.key_column] if self.key_column else docs[self.content_column].fileurl
            keys = {self.doc_key_of(str(v)) for v in docs.select(v=column).collect()['v'] if v is not None}
            return [{'key': k, 'title': k, 'error': None} for k in sorted(keys)]
        col = docs[OUTLINE_COLUMN]
        rows = docs.select(
            key=col['key'],
            title=col['title'],
            errortype=col.errortype,
            errormsg=col.errormsg,
            content=docs[self.content_column],
        ).collect()
        out = []
        for r in rows:
            error = None if r['errortype'] is None else f'{r["errortype"]}: {r["errormsg"]}'
            key = r['key'] if r['key'] is not None else str(r['content'])[-80:]
            out.append({'key': str(key), 'title': str(r['title'] or key), 'error': error})
        return sorted(out, key=lambda d: d['key'])

    def problems(self) -> list[dict[str, Any]]:
        """Half-built levels (a view without its embedding index: the process building it ended), then the
        documents that could not be split, each with its error (the others are indexed).

        A half-built level is not searchable and not in :attr:`levels`; ``add_level`` with its definition completes it.

        Example:
            >>> cascade.problems()  # doctest: +SKIP
            [{'key': 'ref/paragraphs', 'title': 'level paragraphs', 'level': 'paragraphs', 'error': 'half-built: …'},
             {'key': '…/broken.md', 'title': '…', 'error': 'UnicodeDecodeError: …'}]
        """
        half = [
            {
                'key': lv.path,
                'title': f'level {lv.name}',
                'level': lv.name,
                'error': f'half-built: its view has no embedding index ({lv.describe()}); '
                f'add_level({lv.name!r}, ...) with the same definition completes it',
            }
            for lv in self._state.half_built
        ]
        return half + [d for d in self.documents() if d['error'] is not None]

    def stats(self) -> list[dict[str, Any]]:
        """Per level: units, documents with units, mean words per unit (over the first 200 units).

        Counted in the database; an adopted level is counted in the store without opening its view (which would load
        its embedding model), so its mean words stay ``None`` until it has been searched.
        """
        out = []
        for lv in self._state.levels:
            out.append({**lv.to_json(), **level_counts(self, lv)})
        return out

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
        vectors: dict[str, np.ndarray] = {}
        times: dict[str, float] = {}
        for lv in levels:
            if lv.embedding is None or lv.embedding in vectors:
                continue
            start = time.perf_counter()
            model = (
                index_embedding(lv.embedding, self.table(lv.name), lv.index_name)
                if lv.adopted is not None
                else resolve_embedding(lv.embedding)
            )
            vectors[lv.embedding] = model.embed_query(query)
            times[lv.embedding] = (time.perf_counter() - start) * 1000
        return vectors, times

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
        text, _ = validate_query(query if query is not None else hit.query)
        k = check_k(k)
        lv = self.level(level)
        coarse = next((x for x in self._state.levels if x.name == hit.level), None)
        if coarse is not None and not linked(coarse, lv):
            flats = [x.adopted['flat'] for x in (lv, coarse) if x.adopted is not None and x.adopted['flat']]
            reason = flats[0] if flats else 'their units are not nested'
            raise InvalidRequestError(
                f'Cannot drill from {coarse.name!r} into {level!r}: {reason}.',
                hint='Drill into a level made from it (a view of its view), or search that level on its own.',
            )
        vectors, _ = self.query_vectors(text, [lv])
        with read_transaction(self.level_tables()):
            return searching.level_hits(self, lv, text, vectors.get(lv.embedding or ''), k, within=hit.span)

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
