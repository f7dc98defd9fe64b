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

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import CancelledError, InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.common.plans import Plan, PlanResult, Step, execute
from pxwidgets.patterns.versioned import charts
from pxwidgets.patterns.versioned.adopt import adoption_rows
from pxwidgets.patterns.versioned.cleanup import DEPENDENTS, CleanupPlan, CleanupPlanner, check_keep
from pxwidgets.patterns.versioned.compare import Comparison, compare_runs
from pxwidgets.patterns.versioned.errors import (
    HasDependentsError,
    SetupFailedError,
    SetupMissingError,
    TagError,
    UnknownVersionError,
)
from pxwidgets.patterns.versioned.registry import TAGS, Registry, is_dir
from pxwidgets.patterns.versioned.run_form import PROGRESS, takes_progress
from pxwidgets.patterns.versioned.runs import (
    MetricsFn,
    Run,
    Setup,
    check_metrics,
    check_params,
    check_tag,
    import_setup,
    setup_ref,
    to_runs,
)
from pxwidgets.tables.resolve import table_path

__all__ = ['MetricsFn', 'Progress', 'Run', 'Setup', 'VersionedExperiment']

Progress = Callable[[int, int | None, str], None]
"""``progress(done, total, message)``: a run's progress (it may raise to cancel the run)."""


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
        check_keep(keep)
        config = {'keep': keep, 'setup': setup_ref(setup), 'metrics': setup_ref(metrics)}
        self._registry, stored = Registry.create(name, config)
        self.name = name
        self.keep = keep
        self.setup = setup if setup is not None else import_setup(stored.get('setup'))
        self.metrics = metrics if metrics is not None else import_setup(stored.get('metrics'))

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

    @classmethod
    def adopt(
        cls,
        name: str,
        tables: str | Sequence[str] | None = None,
        *,
        result: str | None = None,
        params: Mapping[int | str, Mapping[str, Any]] | None = None,
        metrics: MetricsFn | Mapping[int | str, Mapping[str, Any]] | None = None,
        setup: Setup | None = None,
        keep: int = 3,
        check_schema: bool = True,
    ) -> VersionedExperiment:
        """Record versions made by hand as the runs of an experiment (and reopen it with :meth:`open` later).

        Two layouts are found: a directory ``name`` holding ``v1``, ``v2``, … (each run's tables inside; adopted
        in place), or tables named ``<stem>_v1``, ``<stem>_v2``, … (``name='lab/faces'`` finds ``lab/faces_v1``…
        next to it; pass ``tables=`` for other names). The tables stay where they are; version numbers come from
        their names; runs have no params or metrics unless given. Adopting again records only what is new.

        Args:
            name: The experiment (its registry goes to ``<name>/runs``).
            tables: The versions' tables (a list, or a pattern such as ``'lab/faces_v*'``).
            result: For ``v<N>`` directories with several tables: the result table's name inside them.
            params: Each run's parameters, by version number or result table path.
            metrics: Each run's metrics (by version or path), or a function computing them from a result table
                (kept for later runs too).
            setup: The function that builds new versions with :meth:`run`.
            keep: How many successful versions :meth:`cleanup` keeps by default.
            check_schema: Refuse result tables whose input columns differ (their rows cannot be compared).

        Example:
            >>> exp = VersionedExperiment.adopt('lab/faces', params={1: {'threshold': 0.3}})  # doctest: +SKIP
            >>> exp.compare(1, 2).metrics  # doctest: +SKIP

        Raises:
            AdoptionError: Nothing to adopt, names that do not form a series, result tables with other inputs, a
                table of another experiment, a version already recorded with another table. Nothing is written.
            ExperimentNameError: ``name`` is a table, or a directory holding other things.
        """
        check_keep(keep)
        rows, fn = adoption_rows(name, tables, result=result, params=params, metrics=metrics, check_schema=check_schema)
        created = not cls.exists(name)
        made_dir = not is_dir(name)
        exp = cls(name, setup, keep, metrics=fn)
        if rows:
            try:
                exp._registry.adopt(rows)
            except BaseException:
                if created:  # leave nothing behind
                    pxt.drop_table(Registry.path_of(name), if_not_exists='ignore')
                    if made_dir:
                        pxt.drop_dir(name, if_not_exists='ignore')
                raise
        return exp

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
        return self.start(params)

    def start(self, params: Mapping[str, Any], *, progress: Progress | None = None) -> Run:
        """:meth:`run` with the parameters as a dict, and a progress callback ``progress(done, total, message)``.

        A setup that takes a ``progress`` keyword receives it (and can report its steps). The callback is called
        once more when setup returns: if it raises (a Cancel click in a panel), the run is recorded as failed with
        that reason and never becomes latest; its tables are left for cleanup.

        Example:
            >>> exp.start({'threshold': 0.5}, progress=lambda done, total, msg: print(msg))  # doctest: +SKIP
        """
        if self.setup is None:
            raise SetupMissingError(
                f'Experiment {self.name!r} has no setup function to run.',
                hint=f'VersionedExperiment.open({self.name!r}, setup=...) with the function that builds a version.',
            )
        clean = check_params(params)
        version = self._registry.claim(clean)
        path = f'{self.name}/v{version}'
        start = time.perf_counter()
        try:
            extra = {PROGRESS: progress} if progress is not None and takes_progress(self.setup) else {}
            if progress is not None:
                progress(0, None, f'Building v{version} in {path}')
            result = self.setup(path, **params, **extra)
            table, metrics = self._unpack(result, path)
            if self.metrics is not None:
                metrics = {**metrics, **check_metrics(self.metrics(table))}
            if progress is not None:
                progress(1, 1, f'v{version} built')
        except BaseException as exc:
            partial = sorted(pxt.list_tables(path, recursive=True))
            cancelled = isinstance(exc, CancelledError)
            error = 'cancelled by the user' if cancelled else f'{type(exc).__name__}: {exc}'
            self._registry.update(
                version,
                {'status': 'failed', 'error': error, 'duration_s': time.perf_counter() - start, 'tables': partial},
            )
            if cancelled or not isinstance(exc, Exception):
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
                'result': table_path(table),
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
        path_of_result = table_path(result)
        if not path_of_result.startswith(f'{path}/'):
            raise ValueError(f"setup returned {path_of_result!r}, which is outside the run's directory {path!r}")
        return result, check_metrics(metrics)

    def runs(self, *, include_dropped: bool = True) -> list[Run]:
        """Every run, oldest first."""
        runs = to_runs(self.name, self._registry.records())
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

    def get(self, version: int | str) -> Run:
        """One run, by its version number or one of its tags.

        Raises:
            UnknownVersionError: The experiment has no such version (or tag).
        """
        runs = self.runs()
        if isinstance(version, str):
            tagged = next((r for r in runs if version in r.tags and not r.dropped), None)
            if tagged is None:
                tags = sorted({t for r in runs if not r.dropped for t in r.tags})
                raise UnknownVersionError(
                    f'Experiment {self.name!r} has no tag {version!r}.', hint=f'Tags: {", ".join(tags) or "none"}.'
                )
            return tagged
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidRequestError(f'A version is an integer (or a tag), not {version!r}.')
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
        base = self._cleanup_plan(keep=None, force=force, spare=version).plan if drop_others else None
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

    # ---- tags ---------------------------------------------------------------------------------------------------

    def tags(self) -> dict[str, int]:
        """Every tag and the version it names (``{'baseline': 1, 'prod': 3}``)."""
        return {tag: r.version for r in self.runs() if not r.dropped for tag in r.tags}

    def tag(self, version: int | str, name: str, *, move: bool = False) -> Run:
        """Name a successful version (``'baseline'``, ``'prod'``); a tagged version is kept by every cleanup.

        A tag names one version: a tag already on another version is refused, unless ``move=True`` moves it.
        Tags live in the experiment's registry, so they survive a restart; :meth:`get` accepts them.

        Example:
            >>> exp.tag(3, 'prod'); exp.get('prod').version  # doctest: +SKIP
            3

        Raises:
            TagError: An invalid or reserved name, a tag already on another version (without ``move``), a version
                that failed or was dropped. Nothing is written.
        """
        check_tag(name)
        run = self.get(version)
        if run.status != 'ok' or run.dropped:
            raise TagError(
                f'Version {run.version} cannot be tagged {name!r}: it is {"dropped" if run.dropped else run.status}.'
            )
        holder = self.tags().get(name)
        if holder == run.version:
            return run
        if holder is not None and not move:
            raise TagError(
                f'Tag {name!r} is already on version {holder}: a tag names one version.',
                hint=f'Pass move=True to move it from v{holder} to v{run.version}, or pick another name.',
                details={'tag': name, 'version': holder},
            )
        self._registry.ensure_column(TAGS)
        if holder is not None:
            self._registry.update(holder, {TAGS: [t for t in self.get(holder).tags if t != name]})
        self._registry.update(run.version, {TAGS: [*run.tags, name]})
        return self.get(run.version)

    def untag(self, name: str) -> Run:
        """Remove a tag (the version it named may be cleaned up again).

        Raises:
            TagError: No such tag.
        """
        holder = self.tags().get(name)
        if holder is None:
            raise TagError(f'{self.name!r} has no tag {name!r}.', hint=f'Tags: {", ".join(self.tags()) or "none"}.')
        self._registry.update(holder, {TAGS: [t for t in self.get(holder).tags if t != name]})
        return self.get(holder)

    # ---- compare ------------------------------------------------------------------------------------------------

    def compare(self, a: int | str, b: int | str, *, key: list[str] | None = None, sample: int = 20) -> Comparison:
        """Params, metrics, schema, row counts, and a sample of rows whose values differ, between two runs."""
        return compare_runs(self.get(a), self.get(b), key=key, sample=sample)

    def metric_figure(self, metric: str | None = None) -> Any:
        """A plotly figure of a metric over the runs (the first metric by default)."""
        return charts.metric_figure(self.runs(), metric)

    def parallel_figure(self, metric: str | None = None) -> Any:
        """A plotly parallel-coordinates figure of every run's parameters → a metric (the first one by default);
        non-numeric parameters are axes of categories."""
        return charts.parallel_figure(self.runs(), metric)

    # ---- cleanup ------------------------------------------------------------------------------------------------

    def _cleanup_plan(self, keep: int | None, force: bool, spare: int | None = None) -> CleanupPlan:
        def mark_dropped(version: int) -> None:
            self._registry.update(version, {'dropped': True})

        return CleanupPlanner(self.name, self.runs(), mark_dropped).plan(keep, force, spare)

    def plan_cleanup(self, keep: int | None = None, *, force: bool = False) -> Plan:
        """What :meth:`cleanup` would drop (:meth:`kept` says what it keeps and why).

        Never planned: the latest version, promoted versions, running ones, the ``keep`` newest successful ones,
        and versions that tables outside them depend on (with ``force=True`` those are planned, and the plan names
        the dependents that go with them). A version with a table that cannot be inspected is kept even when
        forced, with the reason in the plan's warnings. Failed runs' partial tables are planned for dropping.

        Raises:
            InvalidRequestError: ``keep`` < 1.
        """
        keep = self.keep if keep is None else keep
        check_keep(keep)
        return self._cleanup_plan(keep, force).plan

    def kept(self, keep: int | None = None, *, force: bool = False) -> list[dict[str, Any]]:
        """The versions cleanup keeps, each with its reason."""
        keep = self.keep if keep is None else keep
        check_keep(keep)
        kept = self._cleanup_plan(keep, force).kept
        return [{'version': version, 'reason': reason} for version, reason in sorted(kept.items())]

    def cleanup(self, keep: int | None = None, *, expect: Plan | str, force: bool = False) -> PlanResult:
        """Drop old versions after the user confirmed :meth:`plan_cleanup` (its plan or token).

        Raises:
            PlanChangedError: Runs or dependents changed since the plan was made (nothing done).
            PartialExecutionError: A version could not be dropped after others were (lists which).
        """
        keep = self.keep if keep is None else keep
        check_keep(keep)
        return execute(expect, lambda: self._cleanup_plan(keep, force).plan)

    def plan_drop_version(self, version: int, *, force: bool = False) -> Plan:
        """A plan that drops one version (refused for latest / promoted / running, or with dependents unless
        forced)."""
        run = self.get(version)
        cleanup = self._cleanup_plan(keep=None, force=force)
        plan = cleanup.plan
        steps = [s for s in plan.steps if s.details.get('version') == version]
        if not steps:
            if run.dropped:
                raise UnknownVersionError(f'Version {version} of {self.name!r} was already dropped.')
            reason = cleanup.kept[version]
            if reason == DEPENDENTS:
                dependents = cleanup.inspections[version].dependents
                raise HasDependentsError(
                    f'Version {version} cannot be dropped: {", ".join(dependents)} depend on it.',
                    dependents=dependents,
                    hint='force=True drops them too.',
                )
            raise InvalidRequestError(
                f'Version {version} cannot be dropped: {reason}.',
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
