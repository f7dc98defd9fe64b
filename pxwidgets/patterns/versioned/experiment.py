"""VersionedExperiment: every run of a pipeline kept as its own version, the latest marked, any two compared.

Instead of ``pxt.drop_dir('demo', force=True)`` at the top of a notebook, a setup function builds each run into
a fresh directory ``<name>/v<N>``; the experiment records the run's parameters, start time, duration, metrics and
status in its registry table (``<name>/runs``) and marks it latest only if setup succeeded. Old versions go only
through :meth:`VersionedExperiment.cleanup`, a confirmed plan that never drops the latest or a promoted version,
a running one, or one that tables outside it depend on (unless forced, and then it names them).

Example:
    >>> def setup(path: str, threshold: float) -> pxt.Table:  # in a module, so it survives a restart
    ...     t = pxt.create_table(f'{path}/photos', {'img': pxt.Image})
    ...     ...
    ...     return t
    >>> exp = VersionedExperiment('demo/faces', setup, metrics=count_faces)  # doctest: +SKIP
    >>> exp.run(threshold=0.5); exp.run(threshold=0.7)  # doctest: +SKIP
    >>> exp.compare(1, 2).metrics  # doctest: +SKIP
    >>> plan = exp.plan_cleanup(keep=1); print(plan)  # doctest: +SKIP
    >>> exp.cleanup(keep=1, expect=plan)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import importlib
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.common.plans import Plan, PlanResult, Step, execute
from pxwidgets.patterns.versioned.compare import Comparison, compare_runs
from pxwidgets.patterns.versioned.errors import (
    HasDependentsError,
    SetupFailedError,
    SetupMissingError,
    UnknownVersionError,
)
from pxwidgets.patterns.versioned.records import RunInfo
from pxwidgets.patterns.versioned.registry import Registry, RunRecord
from pxwidgets.tables.resolve import open_table

Setup = Callable[..., Any]
"""``setup(path, **params)`` builds one version under directory ``path`` and returns its result table, or
``(table, metrics)``."""
MetricsFn = Callable[[pxt.Table], Mapping[str, Any]]

PROTECTED_STATUSES = ('running', 'unrecorded')


@dataclass(frozen=True)
class Run:
    """One run (version) of an experiment."""

    experiment: str
    version: int
    status: str
    """``'ok'``, ``'failed'``, ``'running'``, ``'abandoned'`` (its process is gone) or ``'unrecorded'``."""
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
    latest: bool
    dropped: bool

    @property
    def path(self) -> str:
        """The version's directory."""
        return f'{self.experiment}/v{self.version}'

    @property
    def table(self) -> pxt.Table:
        """The result table of the run."""
        if self.result is None or self.dropped:
            why = 'was dropped' if self.dropped else f'has no result table ({self.status})'
            raise UnknownVersionError(f'Version {self.version} of {self.experiment!r} {why}.')
        return open_table(self.result)

    def to_json(self) -> RunInfo:
        return {
            'version': self.version,
            'status': self.status,
            'params': _json_safe(self.params),
            'metrics': _json_safe(self.metrics),
            'started_at': self.started_at.isoformat() if self.started_at else None,
            'duration_s': self.duration_s,
            'result': self.result,
            'tables': list(self.tables),
            'error': self.error,
            'promoted': self.promoted,
            'latest': self.latest,
            'dropped': self.dropped,
        }


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _setup_ref(setup: Setup | None) -> str | None:
    if setup is None:
        return None
    module = getattr(setup, '__module__', None)
    qualname = getattr(setup, '__qualname__', None)
    if not module or not qualname or module == '__main__' or '<' in qualname:
        return None
    return f'{module}:{qualname}'


def _import_setup(ref: str | None) -> Setup | None:
    if not ref:
        return None
    module, _, qualname = ref.partition(':')
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split('.'):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj if callable(obj) else None


def _check_params(params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(dict(params))))
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            f'Run parameters must be JSON values (numbers, strings, lists, dicts): {exc}.',
            hint='Pass a model by its name, not the model object.',
        ) from None


def _check_metrics(metrics: Any) -> dict[str, Any]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f'metrics must be a dict of numbers, not {type(metrics).__name__}')
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, bool):
            value = int(value)
        if hasattr(value, 'item'):  # numpy scalars
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if value is not None and not isinstance(value, int | float | str):
            raise TypeError(f'metric {key!r} must be a number or a string, not {type(value).__name__}')
        out[str(key)] = value
    return out


class VersionedExperiment:
    """An experiment whose every run is kept as a version.

    Args:
        name: The experiment's directory (``'demo/faces'``); created if needed. Refused if it is a table, or a
            directory that holds anything but this experiment.
        setup: ``setup(path, **params)`` builds a run's tables under the directory ``path`` and returns its result
            table (or ``(table, metrics)``). Define it in a module: a notebook function cannot be found again after
            a restart (the experiment still opens, but needs ``setup=`` to run again).
        keep: How many successful versions :meth:`cleanup` keeps by default.
        metrics: Optional ``metrics(table) -> dict`` computed on each successful run's result table.
    """

    def __init__(
        self, name: str, setup: Setup | None = None, keep: int = 3, *, metrics: MetricsFn | None = None
    ) -> None:
        _check_keep(keep)
        config = {'keep': keep, 'setup': _setup_ref(setup), 'metrics': _setup_ref(metrics)}
        self._registry, stored = Registry.create(name, config)
        self.name = name
        self.keep = keep
        self.setup = setup if setup is not None else _import_setup(stored.get('setup'))
        self.metrics = metrics if metrics is not None else _import_setup(stored.get('metrics'))

    @classmethod
    def exists(cls, name: str) -> bool:
        """Whether an experiment lives at ``name``."""
        try:
            Registry.open(name)
        except PxWidgetsError:
            return False
        return True

    @classmethod
    def open(cls, name: str, setup: Setup | None = None, *, metrics: MetricsFn | None = None) -> VersionedExperiment:
        """Reopen an experiment from the catalog (e.g. after a kernel restart).

        Raises:
            NotAnExperimentError: There is no experiment at ``name``.
        """
        _, config = Registry.open(name)
        return cls(name, setup, int(config.get('keep', 3)), metrics=metrics)

    # ---- runs ---------------------------------------------------------------------------------------------------

    def run(self, **params: Any) -> Run:
        """Build a new version with ``setup(path, **params)`` and record it.

        The new version becomes latest only if setup returned a table inside its directory. If it raised (or
        returned something else), the run is recorded as failed with what it left behind, and
        :class:`SetupFailedError` says so.

        Raises:
            SetupMissingError: No setup function (reopened without one).
            SetupFailedError: Setup raised or returned no table.
        """
        if self.setup is None:
            raise SetupMissingError(
                f'Experiment {self.name!r} has no setup function to run.',
                hint=f'VersionedExperiment.open({self.name!r}, setup=...) with the function that builds a version.',
            )
        clean = _check_params(params)
        version = self._registry.claim(clean)
        path = f'{self.name}/v{version}'
        start = time.perf_counter()
        try:
            result = self.setup(path, **params)
            table, metrics = self._unpack(result, path)
            if self.metrics is not None:
                metrics = {**metrics, **_check_metrics(self.metrics(table))}
        except BaseException as exc:
            partial = sorted(pxt.list_tables(path, recursive=True))
            error = f'{type(exc).__name__}: {exc}'
            self._registry.update(
                version,
                {'status': 'failed', 'error': error, 'duration_s': time.perf_counter() - start, 'tables': partial},
            )
            if not isinstance(exc, Exception):
                raise
            raise SetupFailedError(
                f'Run v{version} of {self.name!r} failed: {error}', version=version, error=error, partial_tables=partial
            ) from exc
        self._registry.update(
            version,
            {
                'status': 'ok',
                'metrics': metrics,
                'duration_s': time.perf_counter() - start,
                'result': _path(table),
                'tables': sorted(pxt.list_tables(path, recursive=True)),
            },
        )
        return self.get(version)

    @staticmethod
    def _unpack(result: Any, path: str) -> tuple[pxt.Table, dict[str, Any]]:
        metrics: Any = {}
        if isinstance(result, tuple) and len(result) == 2:
            result, metrics = result
        if not isinstance(result, pxt.Table):
            raise TypeError(f"setup must return the run's result table (or (table, metrics)), not {result!r}")
        table_path = _path(result)
        if not table_path.startswith(f'{path}/'):
            raise ValueError(f"setup returned {table_path!r}, which is outside the run's directory {path!r}")
        return result, _check_metrics(metrics)

    def runs(self, *, include_dropped: bool = True) -> list[Run]:
        """Every run, oldest first."""
        records = self._registry.records()
        latest = max((r.version for r in records if r.status == 'ok' and not r.dropped), default=None)
        runs = [_to_run(self.name, r, latest) for r in records]
        return runs if include_dropped else [r for r in runs if not r.dropped]

    def versions(self) -> pd.DataFrame:
        """The runs as a DataFrame: version, status, latest, promoted, dropped, duration_s, started_at, result,
        error, then one column per parameter (``param.<name>``) and per metric (``metric.<name>``)."""
        records = []
        for run in self.runs():
            rec: dict[str, Any] = {
                'version': run.version,
                'status': run.status,
                'latest': run.latest,
                'promoted': run.promoted,
                'dropped': run.dropped,
                'started_at': run.started_at,
                'duration_s': run.duration_s,
                'result': run.result,
                'error': run.error,
            }
            rec.update({f'param.{k}': v for k, v in run.params.items()})
            rec.update({f'metric.{k}': v for k, v in run.metrics.items()})
            records.append(rec)
        return pd.DataFrame.from_records(records)

    def get(self, version: int) -> Run:
        """One run.

        Raises:
            UnknownVersionError: The experiment has no such version.
        """
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidRequestError(f'A version is an integer, not {version!r}.')
        runs = self.runs()
        run = next((r for r in runs if r.version == version), None)
        if run is None:
            known = ', '.join(str(r.version) for r in runs) or 'none yet'
            raise UnknownVersionError(f'Experiment {self.name!r} has no version {version}.', hint=f'Versions: {known}.')
        return run

    def latest(self) -> Run | None:
        """The newest successful version that was not dropped (``None`` before the first successful run)."""
        return next((r for r in self.runs() if r.latest), None)

    # ---- promote ------------------------------------------------------------------------------------------------

    def promote(self, version: int, *, promoted: bool = True) -> Run:
        """Mark a successful version as promoted (kept by every cleanup), or unmark it with ``promoted=False``."""
        run = self.get(version)
        if promoted and (run.status != 'ok' or run.dropped):
            raise InvalidRequestError(
                f'Version {version} cannot be promoted: it is {"dropped" if run.dropped else run.status}.'
            )
        self._registry.update(version, {'promoted': promoted})
        return self.get(version)

    def plan_promote(self, version: int, *, drop_others: bool = True, force: bool = False) -> Plan:
        """Promote ``version`` and drop every other version that cleanup may drop (none is kept by count)."""
        run = self.get(version)
        if run.status != 'ok' or run.dropped:
            raise InvalidRequestError(f'Version {version} cannot be promoted: it is {run.status}.')
        base = self._cleanup_plan(keep=None, force=force, spare=version) if drop_others else None
        mark = Step(
            'promote',
            f'{self.name}:v{version}',
            f'mark version {version} as promoted',
            run=lambda: self._registry.update(version, {'promoted': True}),
        )
        steps = [mark, *(base.steps if base else [])]
        return Plan(
            f'promote version {version} of {self.name}' + (' and drop the others' if drop_others else ''),
            steps,
            state={**(base.state if base else {}), 'promote': version},
            warnings=list(base.warnings) if base else [],
        )

    def plan_unpromote(self, version: int) -> Plan:
        """Unmark a promoted version (cleanup may drop it afterwards)."""
        run = self.get(version)
        if not run.promoted:
            raise InvalidRequestError(f'Version {version} is not promoted.')
        step = Step(
            'unpromote',
            f'{self.name}:v{version}',
            f'unmark version {version} as promoted (cleanup may drop it afterwards)',
            run=lambda: self._registry.update(version, {'promoted': False}),
        )
        return Plan(f'unpromote version {version} of {self.name}', [step], state={'unpromote': version})

    def promote_and_drop(self, version: int, *, expect: Plan | str, force: bool = False) -> PlanResult:
        """Carry out a confirmed :meth:`plan_promote` (with ``drop_others=True``)."""
        return execute(expect, lambda: self.plan_promote(version, force=force))

    # ---- compare ------------------------------------------------------------------------------------------------

    def compare(self, a: int, b: int, *, key: list[str] | None = None, sample: int = 20) -> Comparison:
        """Params, metrics, schema, row counts, and a sample of rows whose values differ, between two runs."""
        return compare_runs(self.get(a), self.get(b), key=key, sample=sample)

    def metric_figure(self, metric: str | None = None) -> Any:
        """A plotly figure of a metric over the runs (the first metric by default)."""
        from pxwidgets.patterns.versioned.charts import metric_figure

        return metric_figure(self.runs(), metric)

    # ---- cleanup ------------------------------------------------------------------------------------------------

    def _dependents_outside(self, run: Run) -> list[str]:
        inside = f'{run.path}/'
        out: set[str] = set()
        for path in pxt.list_tables(run.path, recursive=True):
            try:
                views = open_table(path).list_views()
            except (pxt.Error, PxWidgetsError):
                continue
            out |= {str(v) for v in views if not str(v).startswith(inside)}
        return sorted(out)

    def _cleanup_plan(self, keep: int | None, force: bool, spare: int | None = None) -> Plan:
        runs = [r for r in self.runs() if not r.dropped]
        ok = [r for r in runs if r.status == 'ok']
        kept_by_count = {r.version for r in ok[-keep:]} if keep else set()
        steps: list[Step] = []
        kept: list[dict[str, Any]] = []
        warnings: list[str] = []
        state_runs = []
        for run in runs:
            reason = None
            if run.latest:
                reason = 'latest'
            elif run.promoted:
                reason = 'promoted'
            elif run.version == spare:
                reason = 'being promoted'
            elif run.status in PROTECTED_STATUSES:
                reason = 'still running' if run.status == 'running' else 'claimed but not recorded (may be starting)'
            elif run.version in kept_by_count:
                reason = f'among the {keep} newest successful versions'
            dependents = self._dependents_outside(run) if reason is None else []
            state_runs.append([run.version, run.status, run.promoted, dependents])
            if reason is None and dependents and not force:
                reason = f'tables outside it depend on it: {", ".join(dependents)}'
            if reason is not None:
                kept.append({'version': run.version, 'reason': reason})
                continue
            tables = sorted(pxt.list_tables(run.path, recursive=True))
            what = f'{len(tables)} table(s)' if tables else 'no tables'
            if dependents:
                warnings.append(f'forced: dropping v{run.version} also drops {", ".join(dependents)}')
            steps.append(
                Step(
                    'drop_version',
                    run.path,
                    f'drop version {run.version} ({run.status}, {what}'
                    + (f'; and {len(dependents)} dependent table(s) outside it' if dependents else '')
                    + ')',
                    run=self._drop_version(run.version, run.path),
                    details={'version': run.version, 'tables': tables, 'dependents': dependents},
                )
            )
        return Plan(
            f'clean up {self.name}' + (f', keeping {keep} successful version(s)' if keep else ''),
            steps,
            state={'runs': state_runs, 'force': force},
            warnings=warnings,
            atomic=False,
        )

    def _drop_version(self, version: int, path: str) -> Callable[[], None]:
        def run() -> None:
            pxt.drop_dir(path, force=True, if_not_exists='ignore')
            self._registry.update(version, {'dropped': True})

        return run

    def plan_cleanup(self, keep: int | None = None, *, force: bool = False) -> Plan:
        """What :meth:`cleanup` would drop, and (in ``details`` of nothing) what it keeps and why.

        Never planned: the latest version, promoted versions, running ones, the ``keep`` newest successful ones,
        and versions that tables outside them depend on (with ``force=True`` those are planned, and the plan names
        the dependents that go with them). Failed runs' partial tables are planned for dropping.

        Raises:
            InvalidRequestError: ``keep`` < 1.
        """
        keep = self.keep if keep is None else keep
        _check_keep(keep)
        return self._cleanup_plan(keep, force)

    def kept(self, keep: int | None = None, *, force: bool = False) -> list[dict[str, Any]]:
        """The versions cleanup keeps, each with its reason."""
        keep = self.keep if keep is None else keep
        _check_keep(keep)
        plan = self._cleanup_plan(keep, force)
        planned = {s.details['version'] for s in plan.steps}
        return [
            {'version': r.version, 'reason': _keep_reason(r, keep, self.runs())}
            for r in self.runs()
            if not r.dropped and r.version not in planned
        ]

    def cleanup(self, keep: int | None = None, *, expect: Plan | str, force: bool = False) -> PlanResult:
        """Drop old versions after the user confirmed :meth:`plan_cleanup` (its plan or token).

        Raises:
            PlanChangedError: Runs or dependents changed since the plan was made (nothing done).
            PartialExecutionError: A version could not be dropped after others were (lists which).
        """
        keep = self.keep if keep is None else keep
        _check_keep(keep)
        return execute(expect, lambda: self._cleanup_plan(keep, force))

    def plan_drop_version(self, version: int, *, force: bool = False) -> Plan:
        """A plan that drops one version (refused for latest / promoted / running, or with dependents unless
        forced)."""
        run = self.get(version)
        plan = self._cleanup_plan(keep=None, force=force)
        steps = [s for s in plan.steps if s.details.get('version') == version]
        if not steps:
            if run.dropped:
                raise UnknownVersionError(f'Version {version} of {self.name!r} was already dropped.')
            dependents = self._dependents_outside(run)
            if dependents and not (run.latest or run.promoted):
                raise HasDependentsError(
                    f'Version {version} cannot be dropped: {", ".join(dependents)} depend on it.',
                    dependents=dependents,
                    hint='force=True drops them too.',
                )
            raise InvalidRequestError(
                f'Version {version} cannot be dropped: {_keep_reason(run, None, self.runs())}.',
                hint='Unpromote it first, or run a newer version so it is no longer latest.'
                if run.latest or run.promoted
                else None,
            )
        return Plan(f'drop version {version} of {self.name}', steps, state=plan.state, warnings=plan.warnings)

    def drop_version(self, version: int, *, expect: Plan | str, force: bool = False) -> PlanResult:
        """Carry out a confirmed :meth:`plan_drop_version`."""
        return execute(expect, lambda: self.plan_drop_version(version, force=force))

    def __repr__(self) -> str:
        runs = self.runs()
        latest = next((r.version for r in runs if r.latest), None)
        return f'VersionedExperiment({self.name!r}, {len(runs)} run(s), latest={latest})'


def _keep_reason(run: Run, keep: int | None, runs: list[Run]) -> str:
    if run.latest:
        return 'it is the latest version'
    if run.promoted:
        return 'it is promoted'
    if run.status == 'running':
        return 'it is still running'
    if run.status == 'unrecorded':
        return 'it was claimed but not recorded (it may be starting)'
    ok = [r.version for r in runs if r.status == 'ok' and not r.dropped]
    if keep and run.version in ok[-keep:]:
        return f'it is among the {keep} newest successful versions'
    return 'tables outside it depend on it'


def _check_keep(keep: Any) -> None:
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise InvalidRequestError(
            f'keep must be an integer of at least 1, not {keep!r}.',
            hint='The latest version is always kept; keep=1 keeps only it (and promoted versions).',
        )


def _to_run(name: str, rec: RunRecord, latest: int | None) -> Run:
    return Run(
        experiment=name,
        version=rec.version,
        status=rec.status,
        params=rec.params,
        metrics=rec.metrics,
        started_at=rec.started_at,
        duration_s=rec.duration_s,
        result=rec.result,
        tables=rec.tables,
        error=rec.error,
        promoted=rec.promoted,
        latest=rec.version == latest,
        dropped=rec.dropped,
    )


def _path(table: pxt.Table) -> str:
    from pxwidgets.tables.resolve import table_path

    return table_path(table)
