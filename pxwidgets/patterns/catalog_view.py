"""The catalog as the pattern detectors read it: a found pattern (``PatternRecord``), the stored tables by path with
their bases, columns and descendants (``CatalogView``), the roles patterns store, and whether a function a table calls
can still be imported.

Example:
    >>> cat = CatalogView(read_catalog())  # doctest: +SKIP
    >>> cat.root_of(cat.by_path['demo/frames']).path  # doctest: +SKIP
    'demo/videos'
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from pxwidgets.tables.internals import (
    StoredCatalog,
    StoredColumn,
    StoredTable,
)

KINDS = ('pipeline', 'consensus', 'cascade', 'evaluation', 'experiment')
"""Every pattern kind, in the order the catalog lists them."""

STAGE = 'progressive.stage'
MODEL = 'consensus.model'
CONSENSUS_COLUMN = 'consensus.column'
CASCADE = 'cascade.cascade'
LEVEL = 'cascade.level'
EVALUATION = 'incremental.evaluation'
CORRECT = 'incremental.correct'
EXPERIMENT = 'versioned.experiment'
CASCADE_INDEX = 'cascade_embedding'
VERSION_DIR = re.compile(r'^v\d+$')


@dataclass
class PatternRecord:
    """One pattern instance of the catalog.

    Attributes:
        kind: ``'pipeline'``, ``'consensus'``, ``'cascade'``, ``'evaluation'`` or ``'experiment'``.
        name: Its name (a consensus's or evaluation's name, the short name of a table or directory).
        path: What its class's ``open`` takes (a table or a directory).
        dir: The directory it lives in (the parent of ``path``).
        owns: The tables it made (views, its own tables).
        reads: The tables it reads and does not own (its source).
        rows: The row count of every table it owns or reads, by path (``None``: not countable).
        version: The version of the table that changed last.
        changed_at: When that was (seconds since the epoch).
        changed_table: Which table that was.
        problems: What is wrong, one sentence each.
        adopted: Made by hand with plain Pixeltable (no pxwidgets metadata).
        summary: One line: stages, models, levels, windows or runs.
        details: The same as data (``{'stages': [...]}``, ``{'models': [...]}``, …).
    """

    kind: str
    name: str
    path: str
    dir: str
    owns: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    rows: dict[str, int | None] = field(default_factory=dict)
    version: int | None = None
    changed_at: float | None = None
    changed_table: str | None = None
    problems: list[str] = field(default_factory=list)
    adopted: bool = False
    summary: str = ''
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A stable identity: ``'kind:path:name'``."""
        return f'{self.kind}:{self.path}:{self.name}'

    def tables(self) -> list[str]:
        """Every table it owns or reads."""
        return [*self.owns, *(p for p in self.reads if p not in self.owns)]


def under(path: str, dir: str) -> bool:
    """Whether ``path`` is ``dir`` or inside it (everything is inside ``''``)."""
    return not dir or path == dir or path.startswith(dir + '/')


class FunctionCheck:
    """Whether the functions stored columns call can still be imported, without importing them (cached per check).

    A function is stored by its path (``'pkg.module.fn'``; a notebook's as ``'__main__.fn'``). A module already
    imported is checked for the attribute; another one is looked up with ``importlib.util.find_spec`` (its parent
    packages are imported, the module itself is not run).
    """

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def problem(self, path: str) -> str | None:
        """Why ``path`` cannot be loaded, or ``None``."""
        if path not in self._seen:
            self._seen[path] = self._check(path)
        return self._seen[path]

    @staticmethod
    def _check(path: str) -> str | None:
        parts = path.split('.')
        if parts[0] == '__main__':
            main = sys.modules.get('__main__')
            if len(parts) > 1 and main is not None and hasattr(main, parts[1]):
                return None
            return 'was defined in a notebook and is not defined in this session'
        for i in range(len(parts) - 1, 0, -1):
            module = '.'.join(parts[:i])
            loaded = sys.modules.get(module)
            if loaded is not None:
                obj: Any = loaded
                for attr in parts[i:]:
                    if not hasattr(obj, attr):
                        return f'is missing from its module {module}'
                    obj = getattr(obj, attr)
                return None
            try:
                if importlib.util.find_spec(module) is not None:
                    return None
            except (ImportError, ValueError):
                continue
        return f'cannot be imported (no module {".".join(parts[:-1])})'


class CatalogView:
    """The stored catalog with the lookups the detectors need."""

    def __init__(self, stored: StoredCatalog) -> None:
        self.stored = stored
        self.dirs = set(stored.dirs)
        self.by_id = {t.id: t for t in stored.tables}
        self.by_path = {t.path: t for t in stored.tables}
        self.views: dict[str, list[StoredTable]] = {}
        for t in stored.tables:
            if t.base_id is not None:
                self.views.setdefault(t.base_id, []).append(t)
        self.functions = FunctionCheck()

    def base(self, table: StoredTable) -> StoredTable | None:
        return self.by_id.get(table.base_id) if table.base_id else None

    def columns(self, table: StoredTable) -> dict[str, StoredColumn]:
        """Every column of a table, its bases' included."""
        out: dict[str, StoredColumn] = {}
        current: StoredTable | None = table
        while current is not None:
            for col in current.columns:
                out.setdefault(col.name, col)
            current = self.base(current)
        return out

    def descendants(self, table: StoredTable, skip: set[str]) -> list[StoredTable]:
        """Every view below ``table`` (snapshots and tables in ``skip`` excluded, with what is below them)."""
        out: list[StoredTable] = []
        frontier = [table]
        while frontier:
            current = frontier.pop()
            for view in sorted(self.views.get(current.id, []), key=lambda t: t.path, reverse=True):
                if view.kind == 'snapshot' or view.path in skip:
                    continue
                out.append(view)
                frontier.append(view)
        return out

    def root_of(self, table: StoredTable) -> StoredTable:
        """The top of a table's chain of bases (stopping below a snapshot)."""
        current = table
        while True:
            base = self.base(current)
            if base is None or base.kind == 'snapshot':
                return current
            current = base

    def function_problems(self, table: StoredTable) -> list[str]:
        out = []
        for col in table.columns:
            for fn in col.functions:
                why = self.functions.problem(fn)
                if why is not None:
                    out.append(f'{table.path}: column {col.name!r} calls {fn}, which {why}.')
        named = {fn for col in table.columns for fn in col.functions}
        for fn in table.functions:
            why = self.functions.problem(fn) if fn not in named else None
            if why is not None:
                what = 'its iterator' if fn == table.iterator else 'an index'
                out.append(f'{table.path}: {what} calls {fn}, which {why}.')
        if not table.live:
            out.append(f'{table.path}: an operation on it did not finish (Pixeltable will complete or undo it).')
        return out
