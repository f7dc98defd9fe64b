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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import CancelledError, InvalidRequestError, InvalidStageNameError, PxWidgetsError
from pxwidgets.functions.cascade import cascade_units, document_outline, text_outline
from pxwidgets.patterns.cascade.catalog import (
    DOCS_VIEW,
    INDEX_NAME,
    OUTLINE_COLUMN,
    ROLE_CASCADE,
    ROLE_LEVEL,
    UNIT_COLUMNS,
    CascadeState,
    Level,
    cascade_config,
    find_cascades,
    is_dir,
    level_metadata,
    read_cascade,
)
from pxwidgets.patterns.cascade.embeddings import EmbeddingModel, resolve_embedding
from pxwidgets.patterns.cascade.errors import (
    CascadeConflictError,
    CascadeNotFoundError,
    InvalidQueryError,
    LevelBuildError,
    LevelNameError,
    LevelNotFoundError,
)
from pxwidgets.patterns.cascade.evaluation import (
    EvaluationReport,
    LabelledQuery,
    SweepReport,
    evaluate_rankings,
    parse_queries,
)
from pxwidgets.patterns.cascade.fusion import MERGE_RATIO, RRF_K, auto_merge, reciprocal_rank_fusion
from pxwidgets.patterns.cascade.hits import Hit, LevelResult, SearchResult
from pxwidgets.patterns.cascade.metrics import dedupe
from pxwidgets.patterns.cascade.splitters import parse_splitter
from pxwidgets.patterns.cascade.units import UnitMap
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.plans import Plan, Step, execute
from pxwidgets.tables.internals import column_facts, read_transaction, table_version, type_kind
from pxwidgets.tables.resolve import open_table, table_path

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``; raising from it (e.g. ``CancelledError``) stops the work cleanly."""

MAX_QUERY_CHARS = 4000
"""Longer queries are refused (a search box is not a document; MiniLM reads ~256 word pieces anyway)."""

LONG_QUERY_WORDS = 180
"""Above this many words the note says the model reads only the start of the query."""

MAX_K = 40
"""The most hits per level (pgvector's HNSW search looks at 40 candidates)."""

BASELINE = 'bm25_baseline'
"""The name of the lexical baseline in evaluation reports (BM25 over the coarsest level's units)."""


def _validate_query(query: object) -> tuple[str, list[str]]:
    if not isinstance(query, str):
        raise InvalidQueryError(f'A query is a string, not {type(query).__name__}.')
    text = query.strip()
    if not text:
        raise InvalidQueryError('The query is empty.', hint='Type a few words, e.g. "how do I catch an exception?".')
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQueryError(
            f'The query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}.',
            hint='Search with the sentence or paragraph that matters; a whole document is not a query.',
        )
    notes = []
    if len(text.split()) > LONG_QUERY_WORDS:
        notes.append(
            f'The query has {len(text.split())} words; sentence-embedding models read only about the first 200, '
            'so the rest does not change the embedding levels (BM25 uses every word).'
        )
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.5:
        notes.append(
            'The query is mostly non-Latin text; the packaged embedding models were trained on English, so '
            'similarity is weak (BM25 still matches identical words).'
        )
    return text, notes


def _check_k(k: object) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidRequestError(f'k must be an integer from 1 to {MAX_K} (got {k!r}).')
    return k


def _rows_to_hits(level: str, rows: Iterable[Mapping[str, Any]], query: str) -> list[Hit]:
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
        source = open_table(documents_table)
        source_path = table_path(source)
        parent, _, table_name = source_path.rpartition('/')
        cascade_name = validate_stage_name(name if name is not None else f'{table_name}_cascade')
        base_dir = parent if dir is None else dir.strip('/')
        path = f'{base_dir}/{cascade_name}' if base_dir else cascade_name
        facts = {f.name: f for f in column_facts(source)}
        content = facts.get(content_column)
        if content is None:
            raise InvalidRequestError(
                f'{source_path} has no column {content_column!r}.', hint=f'Columns: {", ".join(facts)}.'
            )
        kind = type_kind(content.col_type)
        if kind not in ('document', 'string'):
            raise InvalidRequestError(
                f'Column {content_column!r} holds {kind} values; a cascade indexes Document or String columns.'
            )
        if key_column is not None:
            key_fact = facts.get(key_column)
            if key_fact is None or type_kind(key_fact.col_type) != 'string':
                raise InvalidRequestError(f'key_column {key_column!r} must be a String column of {source_path}.')
        elif kind == 'string':
            raise InvalidRequestError(
                'A String content column needs key_column: the column that names each document.',
                hint=f"e.g. SemanticIndexCascade({source_path!r}, {content_column!r}, key_column='title')",
            )
        config = {'source': source_path, 'content_column': content_column, 'key_column': key_column, 'format': 1}
        existing = cascade_config(path)
        if existing is not None:
            same = {k: existing.get(k) for k in ('source', 'content_column', 'key_column')}
            if same != {k: config[k] for k in same}:
                raise CascadeConflictError(
                    f'A cascade at {path!r} already indexes {existing.get("source")}.{existing.get("content_column")}.',
                    hint='Open it with SemanticIndexCascade.open(path), or give this one another name=.',
                )
        else:
            self._create(path, source, config, kind)
        self._init(path)

    def _init(self, path: str) -> None:
        self._path = path
        self._lock = threading.RLock()
        self._handles: dict[str, pxt.Table] = {}
        self._units: dict[str, tuple[int, UnitMap]] = {}
        self._state: CascadeState = read_cascade(path)

    @staticmethod
    def _create(path: str, source: pxt.Table, config: dict[str, Any], kind: str) -> None:
        if pxt.get_table(path, if_not_exists='ignore') is not None:
            raise CascadeConflictError(f'{path!r} is a table; a cascade needs a directory of that name.')
        made_dir = not is_dir(path)
        if made_dir:
            pxt.create_dir(path, parents=True, if_exists='ignore')
        elif pxt.list_tables(path, recursive=False):
            raise CascadeConflictError(
                f'The directory {path!r} already holds tables that are not a cascade.', hint='Choose another name=.'
            )
        try:
            docs: pxt.Table = pxt.create_view(  # type: ignore[assignment]
                f'{path}/{DOCS_VIEW}',
                source,
                custom_metadata=role_metadata(ROLE_CASCADE, config),
                comment=f'pxwidgets: the documents of the semantic index cascade {path}',
            )
            content = docs[config['content_column']]
            key = docs[config['key_column']] if config['key_column'] else None
            outline = document_outline(content, key) if kind == 'document' else text_outline(content, key)
            docs.add_computed_column(
                **{OUTLINE_COLUMN: outline},  # type: ignore[arg-type]
                on_error='ignore',
                comment='pxwidgets: text and block spans of each document (errors kept per document)',
            )
        except Exception:
            if made_dir:
                pxt.drop_dir(path, force=True, if_not_exists='ignore')
            else:
                pxt.drop_table(f'{path}/{DOCS_VIEW}', force=True, if_not_exists='ignore')
            raise

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
            table = pxt.get_table(path, if_not_exists='ignore')
            found = find_cascades(table) if table is not None else []
            if len(found) != 1:
                raise CascadeNotFoundError(
                    f'No semantic index cascade at {path!r}.'
                    if not found
                    else f'{path} has {len(found)} cascades: {", ".join(found)}.',
                    hint='Open one of them by its directory.' if found else None,
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
        path = f'{self._path}/{DOCS_VIEW}' if level is None else self.level(level).path
        with self._lock:
            handle = self._handles.get(path)
            if handle is None:
                handle = pxt.get_table(path)
                assert handle is not None
                self._handles[path] = handle
            return handle

    def _handles_ready(self) -> list[pxt.Table]:
        """Every level's handle, opened now: Pixeltable cannot open a table inside a read transaction."""
        return [self.table(lv.name) for lv in self._state.levels]

    def units(self, level: str) -> UnitMap:
        """The level's units in memory (re-read when the level's version changes, e.g. after an insert)."""
        tbl = self.table(level)
        version = table_version(tbl)
        with self._lock:
            cached = self._units.get(level)
            if cached is not None and cached[0] == version:
                return cached[1]
        rows = tbl.select(*[tbl[c] for c in UNIT_COLUMNS]).collect()
        unit_map = UnitMap(level, [tuple(r[c] for c in UNIT_COLUMNS) for r in rows])
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
        """The documents that could not be split, each with its error (the others are indexed).

        Example:
            >>> cascade.problems()  # doctest: +SKIP
            [{'key': '…/broken.md', 'title': '…', 'error': 'UnicodeDecodeError: …'}]
        """
        return [d for d in self.documents() if d['error'] is not None]

    def stats(self) -> list[dict[str, Any]]:
        """Per level: units, documents with units, mean words per unit."""
        out = []
        for lv in self._state.levels:
            units = self.units(lv.name)
            words = [len(r[3].split()) for r in units.rows]
            out.append(
                {
                    **lv.to_json(),
                    'units': len(units),
                    'documents': len(units.documents),
                    'mean_words': round(sum(words) / len(words), 1) if words else 0.0,
                }
            )
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
        report = on_progress or (lambda done, total, message: None)
        level_name = self._level_name(name)
        spec = parse_splitter(splitter, size=size, overlap=overlap)
        if lexical and embedding is not None:
            raise InvalidRequestError('A level is either lexical (BM25) or has an embedding, not both.')
        model = None if lexical else resolve_embedding(embedding)
        key = None if model is None else model.key
        path = f'{self._path}/{level_name}'
        existing = next((lv for lv in self._state.levels if lv.name == level_name), None)
        if existing is not None:
            if existing.splitter == spec and existing.embedding == key:
                return existing
            raise LevelNameError(
                f'Level {level_name!r} exists with another definition ({existing.describe()}).',
                hint=f'Choose another name, or drop it first (plan_drop_level({level_name!r})).',
            )
        if pxt.get_table(path, if_not_exists='ignore') is not None or is_dir(path):
            raise LevelNameError(
                f'{path!r} is already taken by another table or directory.', hint='Choose another level name.'
            )
        total = 3 if model is not None else 2
        if model is not None:
            report(0, total, f'Loading the embedding model {model.key}')
            model.probe()
        report(1, total, f'Splitting the documents into {spec["unit"]}s')
        docs = self.table()
        outline = docs[OUTLINE_COLUMN]
        iterator = (
            cascade_units(outline, unit='window', size=spec['size'], overlap=spec['overlap'])
            if spec['unit'] == 'window'
            else cascade_units(outline, unit=spec['unit'])
        )
        try:
            view: pxt.Table = pxt.create_view(  # type: ignore[assignment]
                path,
                docs,
                iterator=iterator,
                custom_metadata=role_metadata(ROLE_LEVEL, level_metadata(self._path, level_name, spec, key)),
                comment=f'pxwidgets: cascade level {level_name!r} ({spec["unit"]})',
            )
        except pxt.Error as exc:
            raise LevelBuildError(f'Pixeltable refused to create level {level_name!r}: {exc}') from None
        try:
            if model is not None:
                report(2, total, f'Embedding every {spec["unit"]} with {model.key}')
                view.add_embedding_index('unit_text', idx_name=INDEX_NAME, embedding=model.udf, metric='cosine')
            report(total, total, f'Level {level_name!r} is ready')
        except BaseException as exc:
            pxt.drop_table(path, force=True, if_not_exists='ignore')
            if isinstance(exc, CancelledError):
                raise CancelledError('Cancelled; the level was removed again, nothing else changed.') from None
            if isinstance(exc, PxWidgetsError):
                raise
            raise LevelBuildError(
                f'Building the index of level {level_name!r} failed ({type(exc).__name__}: {exc}); '
                'the level was removed again.'
            ) from exc
        self.refresh()
        return self.level(level_name)

    def _level_name(self, name: object) -> str:
        try:
            folded = validate_stage_name(name)
        except InvalidStageNameError as exc:
            raise LevelNameError(exc.message, hint=exc.hint) from None
        if folded == DOCS_VIEW:
            raise LevelNameError(f"{DOCS_VIEW!r} is the cascade's documents view.", hint='Choose another name.')
        return folded

    def plan_drop_level(self, name: str) -> Plan:
        """What dropping a level would do (its view and index go; documents and other levels stay).

        Example:
            >>> plan = cascade.plan_drop_level('windows_2048')  # doctest: +SKIP
            >>> cascade.drop_level('windows_2048', expect=plan)  # doctest: +SKIP
        """
        self.refresh()
        lv = self.level(name)
        tbl = self.table(name)
        views = tbl.list_views(recursive=True)
        return Plan(
            f'drop level {name!r}',
            [
                Step(
                    'drop_view',
                    lv.path,
                    f'drop view {lv.path} ({lv.describe()})' + (f' and its {len(views)} view(s)' if views else ''),
                    run=lambda: pxt.drop_table(lv.path, force=True),
                    details={'views': list(views)},
                )
            ],
            state={'path': lv.path, 'version': table_version(tbl), 'views': sorted(views)},
            atomic=True,
            warnings=[f'views made on this level go too: {", ".join(views)}'] if views else [],
        )

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

    def _select(self, levels: Sequence[str] | None) -> list[Level]:
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
            vectors[lv.embedding] = self._model(lv).embed_query(query)
            times[lv.embedding] = (time.perf_counter() - start) * 1000
        return vectors, times

    def _model(self, lv: Level) -> EmbeddingModel:
        return resolve_embedding(lv.embedding)

    def _level_hits(
        self,
        lv: Level,
        query: str,
        vector: np.ndarray | None,
        k: int,
        *,
        documents: set[str] | None = None,
        within: tuple[str, int, int] | None = None,
    ) -> list[Hit]:
        if lv.lexical:
            return self.units(lv.name).bm25_search(query, k, documents=documents, within=within)
        assert vector is not None
        tbl = self.table(lv.name)
        cols = {c: tbl[c] for c in UNIT_COLUMNS}
        if documents is None and within is None:
            sim = tbl.unit_text.similarity(vector=vector, idx=INDEX_NAME)
            rows = tbl.order_by(sim, asc=False).limit(k).select(**cols, score=sim).collect()
            return _rows_to_hits(lv.name, rows, query)
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
        return _rows_to_hits(lv.name, [{**found[i], 'score': float(scores[i])} for i in order], query)

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
            rrf_k: The RRF constant.

        Raises:
            InvalidQueryError: Empty, whitespace-only or over-long query.
            LevelNotFoundError: An unknown level name.

        Example:
            >>> r = cascade.search('catch an exception', k=3)  # doctest: +SKIP
            >>> [(x.level, x.ms) for x in r.levels]  # doctest: +SKIP
        """
        start = time.perf_counter()
        text, notes = _validate_query(query)
        k = _check_k(k)
        selected = self._select(levels)
        doc_filter = set(documents) if documents is not None else None
        if doc_filter is not None and not doc_filter:
            raise InvalidRequestError('documents is empty: name at least one document key, or pass None for all.')
        vectors, embed_ms = self.query_vectors(text, selected)
        results = []
        fused_level = self._fusion_level(selected, fuse_at)
        fused: list[Hit] = []
        # one snapshot for every level, and no catalog round trip per expression
        with read_transaction(self._handles_ready()):
            for lv in selected:
                t0 = time.perf_counter()
                hits = self._level_hits(lv, text, vectors.get(lv.embedding or ''), k, documents=doc_filter)
                results.append(LevelResult(lv.name, hits, (time.perf_counter() - t0) * 1000, lv.embedding))
                if not hits and len(self.units(lv.name)) == 0:
                    notes.append(f'Level {lv.name!r} has no units (no document, or every document failed to split).')
            if fused_level is not None:
                fused = reciprocal_rank_fusion(
                    {r.level: r.hits for r in results}, self.units(fused_level), k0=rrf_k, limit=k
                )
            merged = self._merge(results, selected, merge_ratio)
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

    def _fusion_level(self, selected: Sequence[Level], fuse_at: str | None) -> str | None:
        if fuse_at is not None:
            return self.level(fuse_at).name
        nested = [lv for lv in self._state.levels if lv.nested and lv in selected] or list(selected)
        return nested[0].name if nested else None

    def _merge(self, results: Sequence[LevelResult], selected: Sequence[Level], ratio: float) -> list[Hit]:
        chain_levels = self._nested_chain()
        finest = next(
            (r for lv in reversed(chain_levels) for r in results if r.level == lv.name and lv in selected), None
        )
        if finest is None:
            return []
        names = [lv.name for lv in chain_levels]
        idx = names.index(finest.level)
        pairs = [(self.units(names[i]), self.units(names[i - 1])) for i in range(idx, 0, -1)]
        return auto_merge(finest.hits, pairs, ratio=ratio)

    def _nested_chain(self) -> list[Level]:
        """One nested level per unit kind (section, paragraph, sentence), coarse to fine, preferring embeddings."""
        chain: dict[str, Level] = {}
        for lv in self._state.levels:
            if lv.nested and (lv.unit not in chain or (chain[lv.unit].lexical and not lv.lexical)):
                chain[lv.unit] = lv
        return [chain[u] for u in ('section', 'paragraph', 'sentence') if u in chain]

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
        text, _ = _validate_query(query if query is not None else hit.query)
        k = _check_k(k)
        lv = self.level(level)
        vectors, _ = self.query_vectors(text, [lv])
        with read_transaction(self._handles_ready()):
            return self._level_hits(lv, text, vectors.get(lv.embedding or ''), k, within=hit.span)

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
        with read_transaction(self._handles_ready()):
            return self._context(hit)

    def _context(self, hit: Hit) -> dict[str, Any]:
        chain_levels = self._nested_chain()
        best: Hit | None = None
        if chain_levels:
            finest = chain_levels[-1]
            if hit.level == finest.name:
                best = hit
            elif hit.query:
                vectors, _ = self.query_vectors(hit.query, [finest])
                inside = self._level_hits(finest, hit.query, vectors.get(finest.embedding or ''), 1, within=hit.span)
                best = inside[0] if inside else None
        anchor = best or hit
        chain = [
            unit
            for lv in chain_levels
            if (unit := self.units(lv.name).enclosing(anchor.doc_key, anchor.start, anchor.end)) is not None
        ]

        def unit_json(u: Hit) -> dict[str, Any]:
            return {'level': u.level, 'start': u.start, 'end': u.end, 'text': u.text, 'heading': u.heading}

        return {
            'doc_key': hit.doc_key,
            'doc_title': hit.doc_title,
            'chain': [unit_json(u) for u in chain],
            'best': unit_json(best) if best is not None else None,
        }

    # ---------------------------------------------------------------------------------------------------- quality

    def evaluate(
        self,
        queries: Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str,
        k: int = 5,
        *,
        levels: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> EvaluationReport:
        """recall@k, MRR@k and nDCG@k per level, for the fused ranking and for a BM25 baseline (``'bm25_baseline'``).

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
        labelled = parse_queries(queries)
        k = _check_k(k)
        selected = self._select(levels)
        if not selected:
            raise InvalidRequestError('The cascade has no level to evaluate.', hint='Add one with add_level(...).')
        per_unit = min(MAX_K, max(4 * k, 20))
        baseline_units = self.units(selected[0].name)
        fused_level = self._fusion_level(selected, None)
        methods = [lv.name for lv in selected] + ['fused', BASELINE]
        rankings: dict[str, list[list[str]]] = {m: [] for m in methods}
        latencies: dict[str, list[float]] = {lv.name: [] for lv in selected}
        for i, item in enumerate(labelled):
            if on_progress is not None:
                on_progress(i, len(labelled), f'Query {i + 1} of {len(labelled)}')
            vectors, _ = self.query_vectors(item.query, selected)
            results = {}
            with read_transaction(self._handles_ready()):
                for lv in selected:
                    t0 = time.perf_counter()
                    hits = self._level_hits(lv, item.query, vectors.get(lv.embedding or ''), per_unit)
                    latencies[lv.name].append((time.perf_counter() - t0) * 1000)
                    results[lv.name] = hits
                    rankings[lv.name].append(dedupe(h.doc_key for h in hits))
                fused = reciprocal_rank_fusion(results, self.units(fused_level)) if fused_level else []
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
        self,
        queries: Sequence[LabelledQuery | Mapping[str, Any]] | Mapping[str, Sequence[str]] | str,
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
            self.add_level(name, 'window', size=size, overlap=int(size * overlap), embedding=embedding)
            built_s[name] = time.perf_counter() - t0
            names.append(name)
        if on_progress is not None:
            on_progress(len(sizes), total, 'Evaluating')
        report = self.evaluate(labelled, k, levels=names)
        if on_progress is not None:
            on_progress(total, total, 'Done')
        return SweepReport.from_evaluation(report, names, built_s)
