"""Find every pattern instance in Pixeltable's catalog from stored metadata alone: no table is opened, no model loaded.

Each pattern keeps its roles in the ``custom_metadata`` of the tables and columns it makes (see
``patterns.common.metadata``); those roles are the stored format this module reads:

============ ================================================================ ===========================
kind          found from                                                        ``path`` (what ``open`` takes)
============ ================================================================ ===========================
pipeline      role ``progressive.stage`` on a view or column, or a plain table   the source table
              with views made by hand (what ``ProgressiveRefinement.open``
              adopts)
consensus     columns with role ``consensus.model`` (one per model)              the table
cascade       a ``documents`` view with role ``cascade.cascade`` and its levels  the cascade's directory
              (role ``cascade.level``)
evaluation    a ``settings`` table with role ``incremental.evaluation`` (or the   the evaluated table
              ``incremental.correct`` column whose tables are gone)
experiment    a ``runs`` table with role ``versioned.experiment``                 the experiment's directory
============ ================================================================ ===========================

Problems each kind knows about itself, checked cheaply: a function (UDF, iterator, embedding) whose module cannot be
imported, a column or table the pattern needs that was dropped by hand, failed runs, windows not refreshed since the
evaluated table changed, an operation left pending.

Example:
    >>> [(r.kind, r.path) for r in scan_catalog('demo')]  # doctest: +SKIP
    [('pipeline', 'demo/videos'), ('consensus', 'demo/digits')]
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.metadata import read_role, read_roles
from pxwidgets.patterns.common.names import parent_of, short_name
from pxwidgets.patterns.versioned.registry import ADOPTED
from pxwidgets.tables.internals import (
    StoredCatalog,
    StoredColumn,
    StoredTable,
    count_live_rows,
    count_live_rows_where,
    read_catalog,
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


# ---- detectors ------------------------------------------------------------------------------------------------


def _cascades(cat: CatalogView) -> list[PatternRecord]:
    out = []
    for docs in cat.stored.tables:
        config = read_role(docs.custom_metadata, CASCADE)
        if config is None:
            continue
        path = parent_of(docs.path)
        levels = []
        problems = []
        for t in cat.stored.tables:
            role = read_role(t.custom_metadata, LEVEL)
            if role is None or parent_of(t.path) != path:
                continue
            levels.append((str(role.get('level') or short_name(t.path)), t))
            if role.get('index') != 'bm25' and CASCADE_INDEX not in t.indexes:
                problems.append(f'Level {short_name(t.path)!r} lost its embedding index (dropped by hand).')
        for adopted in config.get('adopted') or []:  # hand-made views adopted as levels keep their own index names
            view = cat.by_id.get(str(adopted.get('table_id')))
            name = str(adopted.get('name'))
            if view is None:
                problems.append(f'Adopted level {name!r} ({adopted.get("path")}) was dropped by hand.')
                continue
            levels.append((name, view))
            if adopted.get('index') not in view.indexes:
                problems.append(f'Adopted level {name!r} lost its embedding index {adopted.get("index")!r}.')
        base = cat.base(docs)
        names = [name for name, _ in levels]
        record = PatternRecord(
            'cascade',
            short_name(path),
            path,
            parent_of(path),
            owns=[docs.path, *(t.path for _, t in levels)],
            reads=[base.path] if base is not None else [],
            problems=problems,
            summary=f'{len(names)} level{"s" if len(names) != 1 else ""}' + (f': {", ".join(names)}' if names else ''),
            details={'levels': names, 'source': base.path if base is not None else None},
        )
        out.append(record)
    return out


def _evaluations(cat: CatalogView) -> list[PatternRecord]:
    out = []
    found_dirs = set()
    for settings in cat.stored.tables:
        spec = read_role(settings.custom_metadata, EVALUATION)
        if spec is None or short_name(settings.path) != 'settings':
            continue
        dir = parent_of(settings.path)
        found_dirs.add(dir)
        table_path = str(spec.get('table'))
        owns = [t.path for t in cat.stored.tables if under(t.path, dir) and t.path != dir]
        problems = []
        for part in ('windows', 'alerts'):
            if f'{dir}/{part}' not in cat.by_path:
                problems.append(f'Its {part} table {dir}/{part} was dropped by hand.')
        evaluated = cat.by_path.get(table_path)
        if evaluated is None:
            problems.append(f'The evaluated table {table_path} was dropped.')
        else:
            columns = cat.columns(evaluated)
            for what in ('prediction', 'ground_truth', 'correct', 'timestamp', 'key'):
                name = spec.get(what)
                if name and name not in columns:
                    problems.append(f'Column {name!r} ({what.replace("_", " ")}) of {table_path} was dropped by hand.')
            last_refresh = max(
                (cat.by_path[p].changed_at for p in (settings.path, f'{dir}/windows') if p in cat.by_path), default=0.0
            )
            if evaluated.changed_at > last_refresh:
                problems.append(f'Stale windows: {table_path} changed after the last refresh.')
        out.append(
            PatternRecord(
                'evaluation',
                str(spec.get('name') or short_name(dir)),
                table_path,
                parent_of(table_path),
                owns=owns,
                reads=[table_path],
                problems=problems,
                details={
                    'prediction': spec.get('prediction'),
                    'ground_truth': spec.get('ground_truth'),
                    'timestamp': spec.get('timestamp'),
                    'store': dir,
                },
            )
        )
    for t in cat.stored.tables:  # an evaluation whose own tables were dropped: its column role remains
        for col in t.columns:
            data = read_role(col.custom_metadata, CORRECT)
            if data is None or str(data.get('dir')) in found_dirs:
                continue
            found_dirs.add(str(data.get('dir')))
            out.append(
                PatternRecord(
                    'evaluation',
                    str(data.get('name')),
                    t.path,
                    parent_of(t.path),
                    reads=[t.path],
                    problems=[f'Its tables in {data.get("dir")} were dropped by hand; column {col.name!r} remains.'],
                    details={'store': data.get('dir')},
                )
            )
    return out


def _experiments(cat: CatalogView) -> list[PatternRecord]:
    out = []
    for runs in cat.stored.tables:
        config = read_role(runs.custom_metadata, EXPERIMENT)
        if config is None or short_name(runs.path) != 'runs':
            continue
        dir = parent_of(runs.path)
        owns = [t.path for t in cat.stored.tables if under(t.path, dir) and t.path != dir]
        version_dirs = [d for d in cat.dirs if parent_of(d) == dir and VERSION_DIR.match(short_name(d))]
        out.append(
            PatternRecord(
                'experiment',
                dir,
                dir,
                parent_of(dir),
                owns=owns,
                details={'setup': config.get('setup'), 'keep': config.get('keep'), 'versions': len(version_dirs)},
            )
        )
    return out


def _experiment_runs(cat: CatalogView, record: PatternRecord) -> None:
    """Runs, failed runs and run directories dropped by hand: three counts on the run registry."""
    runs = cat.by_path[f'{record.path}/runs']
    total = record.rows.get(runs.path)
    failed = count_live_rows_where(runs, {'status': 'failed', 'dropped': False})
    kept = count_live_rows_where(runs, {'status': 'ok', 'dropped': False})
    adopted = count_live_rows_where(runs, {'status': 'ok', 'dropped': False, 'owner': ADOPTED})
    if kept is not None and adopted:  # adopted runs keep their tables where they were: no version directory of ours
        kept -= adopted
    record.details.update({'runs': total, 'failed': failed})
    if failed:
        record.problems.append(f'{failed} failed run{"s" if failed != 1 else ""}.')
    versions = int(record.details.get('versions') or 0)
    if kept is not None and kept > versions:
        gone = kept - versions
        record.problems.append(f'{gone} run director{"ies" if gone != 1 else "y"} dropped by hand (still recorded).')
    record.summary = f'{total or 0} run{"s" if total != 1 else ""}' + (f', {failed} failed' if failed else '')


def _consensuses(cat: CatalogView) -> list[PatternRecord]:
    out = []
    for t in cat.stored.tables:
        models: dict[str, list[tuple[int, str, str]]] = {}
        listed: dict[str, set[str]] = {}
        for col in t.columns:
            roles = read_roles(col.custom_metadata)
            model = roles.get(MODEL)
            if model is not None:
                models.setdefault(str(model.get('consensus')), []).append(
                    (int(model.get('order') or 0), str(model.get('model')), str(model.get('column')))
                )
            column = roles.get(CONSENSUS_COLUMN)
            if column is not None:
                listed.setdefault(str(column.get('consensus')), set()).update(map(str, column.get('models') or ()))
        if not models and not listed:
            continue
        columns = cat.columns(t)
        for name in sorted({*models, *listed}):
            entries = sorted(models.get(name, []))
            names = [m for _, m, _ in entries]
            problems = [
                f'Model {model!r}: its output column {column!r} was dropped by hand.'
                for _, model, column in entries
                if column not in columns
            ]
            problems += [
                f'Model {m!r} was dropped by hand (the consensus columns still count it).'
                for m in sorted(listed.get(name, set()) - set(names))
            ]
            out.append(
                PatternRecord(
                    'consensus',
                    name,
                    t.path,
                    parent_of(t.path),
                    reads=[t.path],
                    problems=problems,
                    summary=f'{len(names)} model{"s" if len(names) != 1 else ""}: {", ".join(names)}',
                    details={'models': names},
                )
            )
    return out


def _hand_made_root(cat: CatalogView, t: StoredTable, owned_elsewhere: set[str], private_dirs: list[str]) -> bool:
    """A plain table with views made by hand (not another pattern's, not inside an evaluation or experiment)."""
    if t.kind != 'table' or any(under(t.path, d) for d in private_dirs):
        return False
    return any(v.kind != 'snapshot' and v.path not in owned_elsewhere for v in cat.views.get(t.id, []))


def _pipelines(cat: CatalogView, others: Iterable[PatternRecord]) -> list[PatternRecord]:
    owned_elsewhere = {p for r in others for p in r.owns}
    private_dirs = [r.details['store'] for r in others if r.kind == 'evaluation' and r.details.get('store')]
    private_dirs += [r.path for r in others if r.kind == 'experiment']
    roots: dict[str, bool] = {}  # root path -> has pxwidgets stage metadata
    for t in cat.stored.tables:
        if t.kind == 'snapshot' or t.path in owned_elsewhere:
            continue
        has_role = read_role(t.custom_metadata, STAGE) is not None or any(
            read_role(c.custom_metadata, STAGE) is not None for c in t.columns
        )
        if has_role:
            roots[cat.root_of(t).path] = True
        elif _hand_made_root(cat, t, owned_elsewhere, private_dirs):
            roots.setdefault(t.path, False)
    out = []
    for root_path, managed in sorted(roots.items()):
        root = cat.by_path[root_path]
        tree = [root, *cat.descendants(root, owned_elsewhere)]
        stages: list[str] = []
        after: list[tuple[str, str]] = []
        for t in tree:
            role = read_role(t.custom_metadata, STAGE)
            stages.append(str(role.get('stage')) if role else short_name(t.path))
            if role and role.get('after'):
                after.append((stages[-1], str(role['after'])))
            for col in t.columns:
                col_role = read_role(col.custom_metadata, STAGE)
                if col_role is not None:
                    stages.append(str(col_role.get('stage') or col.name))
                    if col_role.get('after'):
                        after.append((stages[-1], str(col_role['after'])))
                elif col.computed and not read_roles(col.custom_metadata):
                    stages.append(col.name)
        known = set(stages)
        problems = [
            f'Stage {before!r} (before {stage!r}) is gone: dropped by hand.'
            for stage, before in after
            if before not in known
        ]
        out.append(
            PatternRecord(
                'pipeline',
                short_name(root_path),
                root_path,
                parent_of(root_path),
                owns=[t.path for t in tree[1:]],
                reads=[root_path],
                problems=problems,
                adopted=not managed,
                summary=f'{len(stages)} stage{"s" if len(stages) != 1 else ""}: ' + ' → '.join(stages),
                details={'stages': stages, 'views': len(tree) - 1},
            )
        )
    return out


def _add_reads(cat: CatalogView, record: PatternRecord) -> None:
    """Tables outside the pattern its views are made from (an experiment's setup reading a source, …)."""
    for path in record.owns:
        table = cat.by_path.get(path)
        base = cat.base(table) if table is not None else None
        if base is not None and base.path not in record.owns and base.path not in record.reads:
            record.reads.append(base.path)


def _finish(cat: CatalogView, record: PatternRecord, counts: dict[str, int | None]) -> None:
    tables = [cat.by_path[p] for p in record.tables() if p in cat.by_path]
    record.rows = {t.path: counts.get(t.id) for t in tables}
    if tables:
        last = max(tables, key=lambda t: t.changed_at)
        record.version, record.changed_at, record.changed_table = last.version, last.changed_at, last.path
    for t in tables:
        for problem in cat.function_problems(t):
            if problem not in record.problems:
                record.problems.append(problem)
    if record.kind == 'experiment':
        _experiment_runs(cat, record)
    elif record.kind == 'evaluation':
        store = record.details.get('store')
        windows, alerts = record.rows.get(f'{store}/windows'), record.rows.get(f'{store}/alerts')
        record.details.update({'windows': windows, 'alerts': alerts})
        record.summary = (
            f'{windows or 0} window{"s" if windows != 1 else ""}, {alerts or 0} alert{"s" if alerts != 1 else ""}'
        )


def scan_catalog(dir: str | None = None, *, stored: StoredCatalog | None = None) -> list[PatternRecord]:
    """Every pattern instance in the catalog (or whose path is inside ``dir``), read from stored metadata.

    Args:
        dir: A directory to limit the listing to (``None``: the whole catalog).
        stored: A catalog already read with ``read_catalog()`` (to reuse one reading).

    Raises:
        InvalidRequestError: If ``dir`` is not a directory.

    Example:
        >>> [r.summary for r in scan_catalog('demo') if r.kind == 'consensus']  # doctest: +SKIP
        ['3 models: logreg, knn, forest']
    """
    cat = CatalogView(stored if stored is not None else read_catalog())
    if dir is not None:
        dir = dir.strip('/')
        if dir and dir not in cat.dirs:
            raise InvalidRequestError(
                f'{dir!r} is not a Pixeltable directory.',
                hint='pxt.list_dirs() lists them; leave dir out for the whole catalog.',
            )
    others = [*_cascades(cat), *_evaluations(cat), *_experiments(cat), *_consensuses(cat)]
    records = [*_pipelines(cat, others), *others]
    for record in records:
        _add_reads(cat, record)
    if dir:
        records = [r for r in records if under(r.path, dir)]
    wanted = {p for r in records for p in r.tables()}
    counts = count_live_rows([cat.by_path[p] for p in sorted(wanted) if p in cat.by_path])
    for record in records:
        _finish(cat, record, counts)
    records.sort(key=lambda r: (r.dir, KINDS.index(r.kind), r.path, r.name))
    return records
