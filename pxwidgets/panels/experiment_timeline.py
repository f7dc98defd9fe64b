"""ExperimentTimeline: the runs of a versioned experiment (or the versions of any table) on a timeline.

Runs with their params and metrics side by side and a chart of a chosen metric over the runs; pick two to see what
differs (params, metrics, schema, and the rows whose values differ, changed cells marked); promote, drop and clean up
versions, or, for a table, snapshot and revert — every destructive action shows its exact plan and waits for
confirmation.

Example:
    >>> from pxwidgets import ExperimentTimeline
    >>> ExperimentTimeline(exp)  # an experiment  # doctest: +SKIP
    >>> ExperimentTimeline('demo/photos')  # any table: its versions, row diffs, snapshot, revert  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from typing import Any, NotRequired, TypedDict

import pixeltable as pxt
import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command
from pxwidgets.panels.contract import FigurePayload, NoPayload, PlanInfo, StepInfo
from pxwidgets.panels.row_diffs import DiffPage, encode_row_diff, encode_table_comparison
from pxwidgets.patterns.common.plans import Plan
from pxwidgets.patterns.common.records import ParamSpec
from pxwidgets.patterns.versioned import TableVersions, VersionedExperiment
from pxwidgets.patterns.versioned.charts import metric_spec, numeric_metrics, parallel_lines_spec
from pxwidgets.patterns.versioned.records import DiffStatInfo, RunInfo
from pxwidgets.patterns.versioned.rowdiff import MAX_DIFF_LIMIT
from pxwidgets.patterns.versioned.run_form import setup_params, takes_progress

# ---- message shapes (js/experiment_timeline/contract.ts is generated from them) -----------------------------------


class TableVersionInfo(TypedDict):
    version: int
    created_at: str | None
    change_type: str | None
    inserts: int
    updates: int
    deletes: int
    errors: int
    schema_change: str | None


class TimelineRequest(TypedDict):
    metric: NotRequired[str | None]


class TimelineReply(TypedDict):
    mode: str
    """``'experiment'`` or ``'table'``."""
    name: str
    runs: list[RunInfo]
    versions: list[TableVersionInfo]
    current: int | None
    metrics: list[str]
    metric: str | None
    figure: FigurePayload | None
    keep: int | None
    """How many successful versions cleanup keeps by default (experiments only)."""
    parallel: FigurePayload | None
    """Parameters → the chosen metric over all runs, in parallel coordinates drawn with lines (experiments with a
    metric; ``exp.parallel_figure()`` is the same as a plotly ``Parcoords``)."""
    tags: dict[str, int]
    """Tag -> the version it names."""
    can_run: bool
    """Whether the experiment has a setup function to start a run with."""
    elapsed_ms: float


class DiffRequest(TypedDict):
    a: int
    b: int
    kind: NotRequired[str | None]
    offset: NotRequired[int]
    limit: NotRequired[int]


class ParamDelta(TypedDict):
    name: str
    a: Any
    b: Any
    same: bool


class MetricDelta(TypedDict):
    name: str
    a: Any
    b: Any
    delta: float | None


class SchemaColumn(TypedDict):
    name: str
    type: NotRequired[str]
    a: NotRequired[str]
    b: NotRequired[str]


class SchemaDiff(TypedDict):
    added: list[SchemaColumn]
    removed: list[SchemaColumn]
    changed: list[SchemaColumn]


class CompareRequest(TypedDict):
    a: int
    b: int


class CompareReply(TypedDict):
    a: int
    b: int
    params: list[ParamDelta]
    metrics: list[MetricDelta]
    schema: SchemaDiff | None
    rows_a: int | None
    rows_b: int | None
    diff: DiffPage | None
    notes: list[str]


class KeptInfo(TypedDict):
    version: int
    reason: str


class PlanRequest(TypedDict):
    action: str
    """``'cleanup'``, ``'promote'``, ``'unpromote'``, ``'promote_drop'``, ``'drop_version'`` or ``'revert'``."""
    version: NotRequired[int]
    keep: NotRequired[int]
    force: NotRequired[bool]


class PlanReply(TypedDict):
    plan: PlanInfo
    kept: list[KeptInfo]


class ExecuteRequest(PlanRequest):
    token: str


class ExecuteReply(TypedDict):
    title: str
    done: list[StepInfo]
    timeline: TimelineReply


class TagRequest(TypedDict):
    name: str
    version: NotRequired[int]
    """The version to tag (absent: remove the tag)."""
    move: NotRequired[bool]


class StatRequest(TypedDict):
    a: int
    b: int


class RunFormReply(TypedDict):
    setup: str
    params: list[ParamSpec]
    progress: bool
    """Whether the setup reports its steps (and so can be cancelled between them)."""


class RunRequest(TypedDict):
    params: dict[str, Any]


class RunReply(TypedDict):
    version: int
    timeline: TimelineReply


class SnapshotRequest(TypedDict):
    version: int
    path: NotRequired[str | None]


class SnapshotReply(TypedDict):
    path: str
    timeline: TimelineReply


# ---- helpers ---------------------------------------------------------------------------------------------------


def _spec_payload(spec: dict[str, Any]) -> FigurePayload:
    """A figure spec (``{data, layout}`` as plotly serialises it) made JSON-safe: what
    :func:`~pxwidgets.panels.charts.figure_payload` makes of the figure, without building (and validating) one."""
    safe = json.loads(json.dumps(spec, default=str))
    return {'data': safe['data'], 'layout': safe['layout']}


def _int(payload: dict[str, Any], key: str, default: int | None = None) -> int:
    value = payload.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestError(f'{key!r} must be an integer, not {value!r}.')
    return value


# ---- the panel -------------------------------------------------------------------------------------------------


class ExperimentTimeline(Panel):
    """Runs of an experiment (or versions of a table): compare any two, promote, snapshot, revert, clean up.

    Args:
        source: A :class:`~pxwidgets.patterns.versioned.VersionedExperiment`, an experiment's name, or a table
            (or its path) to show Pixeltable's own versions of.

    Example:
        >>> panel = ExperimentTimeline(VersionedExperiment.open('demo/faces'))  # doctest: +SKIP
        >>> panel  # displays it  # doctest: +SKIP
    """

    _esm = esm('experiment_timeline')
    _css = css('experiment_timeline')

    mode = traitlets.Unicode('experiment').tag(sync=True)
    """``'experiment'`` or ``'table'``."""
    name = traitlets.Unicode('').tag(sync=True)
    """The experiment's name or the table's path."""
    metric = traitlets.Unicode('').tag(sync=True)
    """The metric the chart shows ('' for the first one)."""
    selected = traitlets.List(traitlets.Int(), default_value=[]).tag(sync=True)
    """The two versions compared last (older first)."""

    def __init__(self, source: VersionedExperiment | pxt.Table | str, **kwargs: Any) -> None:
        self.experiment: VersionedExperiment | None = None
        self.versions: TableVersions | None = None
        if isinstance(source, VersionedExperiment):
            self.experiment = source
        elif isinstance(source, str) and VersionedExperiment.exists(source):
            self.experiment = VersionedExperiment.open(source)
        else:
            self.versions = TableVersions(source)
        mode = 'experiment' if self.experiment is not None else 'table'
        name = self.experiment.name if self.experiment is not None else self.versions.path  # type: ignore[union-attr]
        super().__init__(mode=mode, name=name, **kwargs)

    # ---- reading ------------------------------------------------------------------------------------------------

    def timeline(self, metric: str | None = None) -> TimelineReply:
        """What the timeline shows: runs (or table versions), the metric names and the chart of one metric."""
        start = time.perf_counter()
        if self.experiment is not None:
            runs = self.experiment.runs()
            names = numeric_metrics(runs)
            chosen = metric if metric in names else (self.metric if self.metric in names else None)
            chosen = chosen or (names[0] if names else None)
            figure = _spec_payload(metric_spec(runs, chosen)) if chosen else None
            parallel = _spec_payload(parallel_lines_spec(runs, chosen)) if chosen else None
            return {
                'mode': 'experiment',
                'name': self.experiment.name,
                'runs': [r.to_json() for r in runs],
                'versions': [],
                'current': None,
                'metrics': names,
                'metric': chosen,
                'figure': figure,
                'keep': self.experiment.keep,
                'parallel': parallel,
                'tags': {t: r.version for r in runs if not r.dropped for t in r.tags},
                'can_run': self.experiment.setup is not None,
                'elapsed_ms': round((time.perf_counter() - start) * 1000, 1),
            }
        assert self.versions is not None
        records = self.versions.versions()
        return {
            'mode': 'table',
            'name': self.versions.path,
            'runs': [],
            'versions': [
                {
                    'version': int(r['version']),
                    'created_at': r.get('created_at'),
                    'change_type': r.get('change_type'),
                    'inserts': int(r.get('inserts') or 0),
                    'updates': int(r.get('updates') or 0),
                    'deletes': int(r.get('deletes') or 0),
                    'errors': int(r.get('errors') or 0),
                    'schema_change': r.get('schema_change'),
                }
                for r in records
            ],
            'current': int(records[0]['version']) if records else None,
            'metrics': [],
            'metric': None,
            'figure': None,
            'keep': None,
            'parallel': None,
            'tags': {},
            'can_run': False,
            'elapsed_ms': round((time.perf_counter() - start) * 1000, 1),
        }

    @command('timeline', request=TimelineRequest, reply=TimelineReply)
    def _timeline(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        metric = payload.get('metric')
        if metric is not None and not isinstance(metric, str):
            raise InvalidRequestError('metric must be a metric name.')
        reply = self.timeline(metric)
        if reply['metric']:
            self.metric = reply['metric']
        return reply

    @command('compare', background=True, request=CompareRequest, reply=CompareReply)
    def _compare(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        a, b = _int(payload, 'a'), _int(payload, 'b')
        progress(0, 2, f'Comparing v{a} and v{b}')
        if self.experiment is None:
            raise InvalidRequestError('compare is for experiment runs; a table compares versions with diff.')
        start = time.perf_counter()
        c = self.experiment.compare(a, b)
        elapsed = (time.perf_counter() - start) * 1000
        progress(1, 2, 'Preparing the rows that differ')
        buffers: list[bytes] = []
        tables = c.tables
        reply: CompareReply = {
            'a': a,
            'b': b,
            'params': [{'name': k, **v} for k, v in c.params.items()],  # type: ignore[typeddict-item]
            'metrics': [{'name': k, **v} for k, v in c.metrics.items()],  # type: ignore[typeddict-item]
            'schema': tables.schema if tables is not None else None,  # type: ignore[typeddict-item]
            'rows_a': tables.rows_a if tables is not None else None,
            'rows_b': tables.rows_b if tables is not None else None,
            'diff': encode_table_comparison(tables, a, b, buffers, elapsed) if tables is not None else None,
            'notes': c.notes,
        }
        self.selected = sorted([a, b])
        return reply, buffers

    @command('diff', background=True, request=DiffRequest, reply=DiffPage)
    def _diff(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        if self.versions is None:
            raise InvalidRequestError('diff compares versions of a table; an experiment compares runs with compare.')
        a, b = _int(payload, 'a'), _int(payload, 'b')
        limit = _int(payload, 'limit', 25)
        if not 1 <= limit <= MAX_DIFF_LIMIT:
            raise InvalidRequestError(f'limit must be from 1 to {MAX_DIFF_LIMIT}.')
        kind = payload.get('kind') or None
        progress(0, 1, f'Diffing v{min(a, b)} and v{max(a, b)}')
        diff = self.versions.diff(a, b, kind=kind, offset=_int(payload, 'offset', 0), limit=limit)
        self.selected = [diff.a, diff.b]
        return encode_row_diff(diff)

    @command('stat', background=True, request=StatRequest, reply=DiffStatInfo)
    def _stat(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        if self.versions is None:
            raise InvalidRequestError('stat summarises the diff of two versions of a table.')
        a, b = _int(payload, 'a'), _int(payload, 'b')
        progress(0, 1, f'Counting what changed between v{min(a, b)} and v{max(a, b)}')
        return self.versions.stat(a, b).to_json()

    # ---- tags and runs ------------------------------------------------------------------------------------------

    def _need_experiment(self, what: str) -> VersionedExperiment:
        if self.experiment is None:
            raise InvalidRequestError(f'{what} is for experiment runs.')
        return self.experiment

    @command('tag', request=TagRequest, reply=TimelineReply)
    def _tag(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        exp = self._need_experiment('tag')
        name = payload.get('name')
        if not isinstance(name, str):
            raise InvalidRequestError('name must be a tag such as "prod".')
        if payload.get('version') is None:
            exp.untag(name)
        else:
            exp.tag(_int(payload, 'version'), name, move=bool(payload.get('move', False)))
        return self.timeline(self.metric or None)

    @command('run_form', request=NoPayload, reply=RunFormReply)
    def _run_form(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        exp = self._need_experiment('run_form')
        if exp.setup is None:
            from pxwidgets.patterns.versioned.errors import SetupMissingError

            raise SetupMissingError(
                f'Experiment {exp.name!r} has no setup function to run.',
                hint=f'Open it with VersionedExperiment.open({exp.name!r}, setup=...).',
            )
        fields = setup_params(exp.setup)
        return {
            'setup': getattr(exp.setup, '__qualname__', 'setup'),
            'params': [p.to_json() for p in fields.params],
            'progress': takes_progress(exp.setup),
        }

    @command('run', background=True, request=RunRequest, reply=RunReply)
    def _run(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        exp = self._need_experiment('run')
        if exp.setup is None:
            raise InvalidRequestError(f'Experiment {exp.name!r} has no setup function to run.')
        values = payload.get('params')
        params = setup_params(exp.setup).validate(values if isinstance(values, dict) else None)
        run = exp.start(params, progress=progress)
        return {'version': run.version, 'timeline': self.timeline(self.metric or None)}

    # ---- plans --------------------------------------------------------------------------------------------------

    def _plan(self, payload: dict[str, Any]) -> tuple[Plan, list[KeptInfo]]:
        action = payload.get('action')
        force = bool(payload.get('force', False))
        exp, versions = self.experiment, self.versions
        if exp is not None and action == 'cleanup':
            keep = _int(payload, 'keep', exp.keep)
            return exp.plan_cleanup(keep, force=force), exp.kept(keep, force=force)  # type: ignore[return-value]
        if exp is not None and action in ('promote', 'promote_drop'):
            return exp.plan_promote(_int(payload, 'version'), drop_others=action == 'promote_drop', force=force), []
        if exp is not None and action == 'unpromote':
            return exp.plan_unpromote(_int(payload, 'version')), []
        if exp is not None and action == 'drop_version':
            return exp.plan_drop_version(_int(payload, 'version'), force=force), []
        if versions is not None and action == 'revert':
            return versions.plan_revert(_int(payload, 'version')), []
        known = 'cleanup, promote, unpromote, promote_drop, drop_version' if exp is not None else 'revert'
        raise InvalidRequestError(f'Unknown action {action!r} here; this panel knows: {known}.')

    @command('plan', request=PlanRequest, reply=PlanReply)
    def _plan_cmd(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        plan, kept = self._plan(payload)
        return {'plan': plan.to_json(), 'kept': kept}

    @command('execute', background=True, request=ExecuteRequest, reply=ExecuteReply)
    def _execute(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        token = payload.get('token')
        if not isinstance(token, str) or not token:
            raise InvalidRequestError('execute needs the token of the plan the user confirmed.')
        from pxwidgets.patterns.common.plans import execute

        progress(0, None, 'Checking the plan is still what was confirmed')
        result = execute(token, lambda: self._plan(payload)[0])
        return {
            'title': result.plan.title,
            'done': [s.to_json() for s in result.done],
            'timeline': self.timeline(self.metric or None),
        }

    @command('snapshot', request=SnapshotRequest, reply=SnapshotReply)
    def _snapshot(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        if self.versions is None:
            raise InvalidRequestError('snapshot is for tables; an experiment keeps its versions itself.')
        path = payload.get('path') or None
        if path is not None and not isinstance(path, str):
            raise InvalidRequestError('path must be a table path such as "dir/name".')
        snap = self.versions.snapshot(path, version=_int(payload, 'version'))
        from pxwidgets.tables.resolve import table_path

        return {'path': table_path(snap), 'timeline': self.timeline()}
