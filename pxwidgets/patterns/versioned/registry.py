"""The run registry: a small Pixeltable table each experiment owns, ``<name>/runs``, one row per run.

It holds everything the pattern knows (params, start time, duration, metrics, status, promoted, dropped), so an
experiment reopens in a fresh process from the catalog alone. Version numbers are claimed atomically with
``pxt.create_dir('<name>/v<N>', if_exists='error')``: Pixeltable's catalog refuses the second of two processes
that create the same path (``AlreadyExistsError``), and that process takes the next number. A number is never
reused, not even after its version was dropped (the registry keeps the run's row). Declaring is idempotent the same
way: of several processes declaring one new experiment at once, one creates the registry and the others open it.

Example:
    >>> reg = Registry.create('demo/exp', setup_ref='mypkg.pipelines:build', keep=3)  # doctest: +SKIP
    >>> version = reg.claim({'threshold': 0.5})  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pixeltable as pxt

from pxwidgets.patterns.common.metadata import read_role, role_metadata
from pxwidgets.patterns.versioned.errors import ExperimentNameError, NotAnExperimentError

ROLE = 'versioned.experiment'
"""The role key of the registry table's custom metadata."""

REGISTRY = 'runs'
ADOPTED = 'adopted'
"""The ``owner`` of a run adopted from tables versioned by hand (:meth:`VersionedExperiment.adopt`)."""
VERSION_DIR = re.compile(r'^v(\d+)$')
SCHEMA: dict[str, Any] = {
    'version': pxt.Int,
    'status': pxt.String,
    'params': pxt.Json | None,
    'metrics': pxt.Json | None,
    'started_at': pxt.Timestamp,
    'duration_s': pxt.Float | None,
    'result': pxt.String | None,
    'tables': pxt.Json | None,
    'error': pxt.String | None,
    'promoted': pxt.Bool,
    'dropped': pxt.Bool,
    'owner': pxt.String,
    'tags': pxt.Json | None,
}
TAGS = 'tags'
"""The registry column of the runs' tags (added on the first tag to registries made before tags existed)."""
T = TypeVar('T')
DECLARE_ATTEMPTS = 5
"""How often declaring looks again after another process created the registry first."""


def _owner() -> str:
    return f'{socket.gethostname()}:{os.getpid()}'


def _alive(owner: str) -> bool:
    """Whether the process that owns a running run may still be running (unknown hosts count as alive)."""
    host, _, pid = owner.rpartition(':')
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _retry(fn: Callable[[], T], attempts: int = 8) -> T:
    """Run a catalog write, retrying while Pixeltable says a concurrent writer in another process made it conflict
    (its retryable errors: serialization failures and concurrent modifications)."""
    for i in range(attempts):
        try:
            return fn()
        except pxt.Error as exc:
            if not exc.is_retryable or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))
    raise AssertionError('unreachable')


@dataclass(frozen=True, kw_only=True)
class RunState:
    """What the registry records of one run: the fields a registry record and a library
    :class:`~pxwidgets.patterns.versioned.runs.Run` share."""

    version: int
    status: str
    """``'ok'``, ``'failed'``, ``'running'``, ``'abandoned'`` (a running run whose process is gone) or
    ``'unrecorded'`` (a version directory nobody recorded)."""
    params: dict[str, Any]
    metrics: dict[str, Any]
    started_at: datetime.datetime | None
    duration_s: float | None
    result: str | None
    """The path of the table setup returned."""
    tables: list[str]
    """Every table of the version (for a failed run: what it left behind)."""
    error: str | None
    promoted: bool
    dropped: bool
    tags: list[str] = field(default_factory=list)
    """Its names (``'baseline'``, ``'prod'``): each names one run of the experiment."""


@dataclass(frozen=True, kw_only=True)
class RunRecord(RunState):
    """One run as the registry holds it."""

    owner: str
    extra: dict[str, Any] = field(default_factory=dict)


class Registry:
    """The registry table of one experiment."""

    def __init__(self, name: str, table: pxt.Table) -> None:
        self.name = name
        self._table = table

    # ---- create / open ------------------------------------------------------------------------------------------

    @classmethod
    def path_of(cls, name: str) -> str:
        return f'{name}/{REGISTRY}'

    @classmethod
    def config_of(cls, table: pxt.Table) -> dict[str, Any] | None:
        return read_role(table.get_metadata().get('custom_metadata'), ROLE)

    @classmethod
    def open(cls, name: str) -> tuple[Registry, dict[str, Any]]:
        """The registry of experiment ``name`` and its configuration (``keep``, ``setup``)."""
        try:
            table = pxt.get_table(cls.path_of(name))
        except pxt.Error:
            raise NotAnExperimentError(
                f'There is no experiment at {name!r}.', hint='Create it with VersionedExperiment(name, setup).'
            ) from None
        config = cls.config_of(table) if table is not None else None
        assert table is not None
        if config is None:
            raise NotAnExperimentError(
                f'{name!r} holds a table named {REGISTRY!r} that is not an experiment registry.',
                hint='Pick another name for the experiment.',
            )
        return cls(name, table), config

    @classmethod
    def create(cls, name: str, config: Mapping[str, Any]) -> tuple[Registry, dict[str, Any]]:
        """Open the experiment's registry, creating the experiment (its directory and registry) if needed.

        Raises:
            ExperimentNameError: ``name`` is a table, or a directory that holds other things than an experiment.
        """
        if not isinstance(name, str) or not name.strip('/') or name != name.strip():
            raise ExperimentNameError(f'An experiment name is a directory path such as "demo/exp", not {name!r}.')
        if _is_table(name):
            raise ExperimentNameError(
                f'{name!r} is an existing table, not an experiment: an experiment is a directory of versions.',
                hint='Pick another name; nothing was changed.',
            )
        for _ in range(DECLARE_ATTEMPTS):
            try:
                return _retry(lambda: cls.open(name))
            except NotAnExperimentError:
                pass
            try:
                _retry(lambda: pxt.create_dir(name, parents=True, if_exists='ignore'))
            except pxt.Error as exc:
                raise ExperimentNameError(f'{name!r} cannot be an experiment: {exc}') from None
            cls._refuse_foreign(name)
            try:
                table = _retry(
                    lambda: pxt.create_table(
                        cls.path_of(name),
                        SCHEMA,
                        if_exists='error',
                        comment=f'pxwidgets: runs of experiment {name}',
                        custom_metadata=role_metadata(ROLE, {'format': 1, **config}),
                    )
                )
            except pxt.AlreadyExistsError:
                continue  # another process declared it first (or something else holds the path): look again
            return cls(name, table), dict(config)
        cls._refuse_foreign(name, registry=True)
        raise AssertionError(f'{name!r}: the registry kept appearing and disappearing')  # pragma: no cover

    @classmethod
    def _refuse_foreign(cls, name: str, *, registry: bool = False) -> None:
        """Refuse a directory that holds anything but an experiment's registry and version directories.

        A table at the registry's own path counts as foreign only with ``registry=True`` (once it is known to be no
        registry): until then another process may be declaring the same experiment right now.

        Raises:
            ExperimentNameError: What is in the way, before anything is written.
        """
        own = cls.path_of(name)
        foreign = [t for t in pxt.list_tables(name, recursive=False) if registry or t != own] + [
            d for d in pxt.list_dirs(name, recursive=False) if not VERSION_DIR.match(d.rsplit('/', 1)[-1])
        ]
        if foreign:
            raise ExperimentNameError(
                f'{name!r} already holds {", ".join(sorted(foreign))}, which are not part of an experiment.',
                hint='Pick another name (an experiment needs a directory of its own); nothing was changed.',
            )

    # ---- reading ------------------------------------------------------------------------------------------------

    def _fresh(self) -> pxt.Table:
        table = pxt.get_table(self.path_of(self.name))
        if table is None:
            raise NotAnExperimentError(f'The registry of experiment {self.name!r} was dropped.')
        self._table = table
        return table

    def version_dirs(self) -> dict[int, str]:
        out = {}
        for d in pxt.list_dirs(self.name, recursive=False):
            m = VERSION_DIR.match(d.rsplit('/', 1)[-1])
            if m:
                out[int(m.group(1))] = d
        return out

    def records(self) -> list[RunRecord]:
        """Every run, oldest first (rows of dropped runs included), plus version directories nobody recorded."""
        rows = self._fresh().order_by(self._table.version).collect()
        out: list[RunRecord] = []
        for row in rows:
            status = str(row['status'])
            if status == 'running' and not _alive(str(row['owner'])):
                status = 'abandoned'
            out.append(
                RunRecord(
                    version=int(row['version']),
                    status=status,
                    params=dict(row['params'] or {}),
                    metrics=dict(row['metrics'] or {}),
                    started_at=row['started_at'],
                    duration_s=row['duration_s'],
                    result=row['result'],
                    tables=list(row['tables'] or []),
                    error=row['error'],
                    promoted=bool(row['promoted']),
                    dropped=bool(row['dropped']),
                    owner=str(row['owner']),
                    tags=list(row.get(TAGS) or []),
                )
            )
        recorded = {r.version for r in out}
        for version in sorted(set(self.version_dirs()) - recorded):
            out.append(RunRecord(version=version, status='unrecorded', params={}, metrics={}, started_at=None,
                                 duration_s=None, result=None, tables=[], error=None, promoted=False, dropped=False,
                                 owner=''))  # fmt: skip
        return sorted(out, key=lambda r: r.version)

    # ---- writing ------------------------------------------------------------------------------------------------

    def claim(self, params: Mapping[str, Any]) -> int:
        """Claim the next version number (atomically, across processes) and record the run as running."""
        taken = set(self.version_dirs())
        taken |= {int(v) for v in self._fresh().select(self._table.version).collect()['version']}
        version = max(taken, default=0) + 1
        for _ in range(1000):
            try:
                _retry(functools.partial(pxt.create_dir, f'{self.name}/v{version}', if_exists='error'))
                break
            except pxt.AlreadyExistsError:
                version += 1  # another process claimed it
        else:  # pragma: no cover - a thousand concurrent claims
            raise RuntimeError('could not claim a version number')
        row = {
            'version': version,
            'status': 'running',
            'params': dict(params),
            'started_at': datetime.datetime.now(datetime.UTC),
            'promoted': False,
            'dropped': False,
            'owner': _owner(),
        }
        _retry(lambda: self._fresh().insert([row]))
        return version

    def adopt(self, rows: list[dict[str, Any]]) -> None:
        """Record runs made by hand (each row: version, params, metrics, started_at, result, tables), in one insert."""
        full = [
            {'status': 'ok', 'promoted': False, 'dropped': False, 'owner': ADOPTED, 'duration_s': None, **row}
            for row in rows
        ]
        _retry(lambda: self._fresh().insert(full))

    def has_column(self, name: str) -> bool:
        return name in self._fresh().columns()

    def ensure_column(self, name: str) -> None:
        """Add a column of :data:`SCHEMA` that a registry made by an older pxwidgets lacks."""
        if not self.has_column(name):
            _retry(lambda: self._fresh().add_column(**{name: SCHEMA[name]}, if_exists='ignore'))

    def update(self, version: int, values: Mapping[str, Any]) -> None:
        """Change one run's row (status, metrics, promoted, dropped, …)."""

        def write() -> None:
            t = self._fresh()
            t.update(dict(values), where=t.version == version)

        _retry(write)

    def version_of_table(self) -> int:
        return int(self._fresh().get_metadata()['version'])


def is_dir(path: str) -> bool:
    """Whether ``path`` is a Pixeltable directory."""
    parent, _, short = path.rpartition('/')
    try:
        return any(d.rpartition('/')[2] == short for d in pxt.list_dirs(parent, recursive=False))
    except pxt.Error:
        return False


def _is_table(path: str) -> bool:
    try:
        return pxt.get_table(path) is not None
    except pxt.Error:
        return False
