"""The tables behind a cascade: its catalog state and levels, its views opened once, each level's
:class:`~pxwidgets.patterns.cascade.store.LevelStore`, and document keys. ``SemanticIndexCascade`` builds on it.

Example:
    >>> cascade = SemanticIndexCascade.open('demo/ref')  # doctest: +SKIP
    >>> cascade.level('sentences').path, cascade.table('sentences').count()  # doctest: +SKIP
    ('demo/ref/sentences', 3784)
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pixeltable as pxt

from pxwidgets.patterns.cascade.catalog import DOCS_VIEW, CascadeState, Level, read_cascade
from pxwidgets.patterns.cascade.documents import DocKeys
from pxwidgets.patterns.cascade.errors import LevelNotFoundError
from pxwidgets.patterns.cascade.fusion import Fusion
from pxwidgets.patterns.cascade.store import LevelStore, doc_stem, level_counts
from pxwidgets.patterns.cascade.units import UnitMap
from pxwidgets.tables.internals import table_version


class CascadeTables:
    """A cascade's catalog state and the tables it reads, each opened once (thread-safe)."""

    def _init(self, path: str) -> None:
        self._path = path
        self._lock = threading.RLock()
        self._handles: dict[str, pxt.Table] = {}
        self._units: dict[str, tuple[int, UnitMap]] = {}
        self._stores: dict[str, LevelStore] = {}
        self._counts: dict[str, tuple[int, dict[str, Any]]] = {}
        self._doc_keys = DocKeys()
        self._state: CascadeState = read_cascade(path)
        self._read_at = time.monotonic()
        self.fusion: Fusion = Fusion('rrf')
        """The fusion :meth:`search` uses by default (:meth:`evaluate` sets the one it chose, in this process)."""

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
    def half_built(self) -> list[Level]:
        """Levels whose view has no embedding index yet (see :meth:`problems`)."""
        return list(self._state.half_built)

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self._state.levels]

    def refresh(self, *, older_than: float = 0.0) -> None:
        """Re-read the levels from the catalog (after another process added or dropped one).

        Args:
            older_than: Only if they were read more than this many seconds ago (a panel opened on a cascade just
                read skips the catalog round trips).
        """
        with self._lock:
            if time.monotonic() - self._read_at < older_than:
                return
            self._state = read_cascade(self._path)
            self._read_at = time.monotonic()
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

    def doc_key_of(self, value: str) -> str:
        """A document's key from the value a level stores (its file URL, or the key column's value)."""
        return value if self.key_column else self._doc_keys.of(self)[0].get(value) or doc_stem(value)

    def doc_value_of(self, key: str) -> str:
        """The stored value of a document's key (the inverse of :meth:`doc_key_of`)."""
        return key if self.key_column else self._doc_keys.of(self)[1].get(key, key)

    def level_tables(self) -> list[pxt.Table]:
        """Every level's view, opened now (Pixeltable cannot open a table inside a read transaction); with adopted
        levels also the source, whose document keys are read now."""
        tables = [self.table(lv.name) for lv in self._state.levels]
        if self.adopted:
            if not self.key_column:
                self._doc_keys.of(self)
            tables.append(self.table_at(self.source))
        return tables

    def units(self, level: str) -> UnitMap:
        """Every unit of a level in memory (re-read when the level's version changes, e.g. after an insert).

        Searches never call it for embedding levels (their units are read by key); BM25 needs every unit of a
        lexical level, and tests compare against it.
        """
        version = table_version(self.table(level))
        with self._lock:
            cached = self._units.get(level)
        if cached is not None and cached[0] == version:
            return cached[1]
        unit_map = self.store(level).unit_map()
        with self._lock:
            self._units[level] = (version, unit_map)
        return unit_map

    def counts(self, level: Level, *, count: bool = True) -> dict[str, Any]:
        """A level's units, documents with units and mean words (see :func:`~.store.level_counts`), counted once per
        version of its view: the next call costs a version check until rows are added or removed.

        Args:
            level: The level.
            count: Count them now if this version's counts are not known; without it they are ``None`` then.
        """
        version = None if level.adopted is not None else table_version(self.table(level.name))
        with self._lock:
            cached = self._counts.get(level.path)
        if cached is not None and version is not None and cached[0] == version:
            return dict(cached[1])
        if not count:
            return {'units': None, 'documents': None, 'mean_words': None}
        counted = level_counts(self, level)
        if version is not None:  # an adopted view is not opened to read its version (it could load its model)
            with self._lock:
                self._counts[level.path] = (version, counted)
        return dict(counted)
