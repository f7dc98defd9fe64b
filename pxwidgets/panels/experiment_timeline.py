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

import time
from typing import Any, NotRequired, TypedDict
from urllib.parse import unquote, urlparse

import pixeltable as pxt
import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command
from pxwidgets.panels.cells import encode_cell
from pxwidgets.panels.charts import FigurePayload, figure_payload
from pxwidgets.panels.contract import Cell
from pxwidgets.patterns.common.plans import Plan
from pxwidgets.patterns.versioned import TableVersions, VersionedExperiment
from pxwidgets.patterns.versioned.charts import numeric_metrics
from pxwidgets.patterns.versioned.compare import TableComparison
from pxwidgets.patterns.versioned.experiment import Run
from pxwidgets.patterns.versioned.rowdiff import MAX_DIFF_LIMIT, RowDiff
from pxwidgets.tables.pages import CellError
from pxwidgets.tables.thumbnails import image_file_thumbnail, video_poster

# ---- message shapes (mirrored in js/experiment_timeline/contract.ts) ---------------------------------------------


class RunInfo(TypedDict):
    version: int
    status: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    started_at: str | None
    duration_s: float | None
    result: str | None
    tables: list[str]
    error: str | None
    promoted: bool
    latest: bool
    dropped: bool


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
    mode: str  # 'experiment' | 'table'
    name: str
    runs: list[RunInfo]
    versions: list[TableVersionInfo]
    current: int | None
    metrics: list[str]
    metric: str | None
    figure: FigurePayload | None
    keep: int | None
    elapsed_ms: float


class DiffColumnInfo(TypedDict):
    name: str
    type_text: str
    kind: str
    is_media: bool
    compared: bool
    status: str  # 'both' | 'added' | 'removed' | 'key'
    note: str


class DiffRowInfo(TypedDict):
    change: str  # 'added' | 'removed' | 'changed'
    key: list[Any]
    changed: list[str]
    before: list[Cell] | None
    after: list[Cell] | None


class DiffPage(TypedDict):
    a: int
    b: int
    added: int
    removed: int
    changed: int
    total: int
    changed_by_column: dict[str, int]
    columns: list[DiffColumnInfo]
    rows: list[DiffRowInfo]
    offset: int
    limit: int
    elapsed_ms: float
    notes: list[str]


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


class StepInfo(TypedDict):
    action: str
    target: str
    description: str
    details: dict[str, Any]


class PlanInfo(TypedDict):
    title: str
    steps: list[StepInfo]
    token: str
    atomic: bool
    warnings: list[str]
    text: str


class KeptInfo(TypedDict):
    version: int
    reason: str


class PlanRequest(TypedDict):
    action: str  # 'cleanup' | 'promote' | 'unpromote' | 'promote_drop' | 'drop_version' | 'revert'
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


class SnapshotRequest(TypedDict):
    version: int
    path: NotRequired[str | None]


class SnapshotReply(TypedDict):
    path: str
    timeline: TimelineReply


# ---- helpers ---------------------------------------------------------------------------------------------------


def _int(payload: dict[str, Any], key: str, default: int | None = None) -> int:
    value = payload.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestError(f'{key!r} must be an integer, not {value!r}.')
    return value


def _media_cell(value: Any, kind: str, buffers: list[bytes]) -> Cell:
    """A media value (a file reference) as a thumbnail cell; the file is read only to draw the thumbnail."""
    if not isinstance(value, str):
        return encode_cell(value, buffers)
    parsed = urlparse(value)
    if parsed.scheme not in ('file', ''):
        return {'kind': 'text', 'value': value}
    path = unquote(parsed.path) if parsed.scheme == 'file' else value
    try:
        thumb = image_file_thumbnail(path) if kind == 'image' else video_poster(path) if kind == 'video' else None
    except Exception as exc:  # an unreadable file is that cell's error
        return encode_cell(CellError(type(exc).__name__, str(exc)), buffers)
    if thumb is None:
        return {'kind': kind if kind in ('document', 'audio') else 'text', 'path': path}
    cell = encode_cell(thumb, buffers)
    if kind == 'video':
        cell['kind'] = 'video'
    return cell


def _cells(values: dict[str, Any] | None, columns: list[DiffColumnInfo], buffers: list[bytes]) -> list[Cell] | None:
    if values is None:
        return None
    out: list[Cell] = []
    for col in columns:
        value = values.get(col['name'])
        out.append(_media_cell(value, col['kind'], buffers) if col['is_media'] else encode_cell(value, buffers))
    return out


def encode_row_diff(diff: RowDiff) -> tuple[DiffPage, list[bytes]]:
    """A table row diff for the wire (thumbnails of media cells in buffers)."""
    buffers: list[bytes] = []
    columns: list[DiffColumnInfo] = [c.to_json() for c in diff.columns]  # type: ignore[misc]
    rows: list[DiffRowInfo] = [
        {
            'change': r.change,
            'key': list(r.rowid),
            'changed': r.changed,
            'before': _cells(r.before, columns, buffers),
            'after': _cells(r.after, columns, buffers),
        }
        for r in diff.rows
    ]
    page: DiffPage = {
        'a': diff.a,
        'b': diff.b,
        'added': diff.added,
        'removed': diff.removed,
        'changed': diff.changed,
        'total': diff.total,
        'changed_by_column': diff.changed_by_column,
        'columns': columns,
        'rows': rows,
        'offset': diff.offset,
        'limit': diff.limit,
        'elapsed_ms': round(diff.elapsed_ms, 1),
        'notes': diff.notes,
    }
    return page, buffers


def encode_table_comparison(
    t: TableComparison, a: int, b: int, buffers: list[bytes], elapsed_ms: float = 0.0
) -> DiffPage:
    """The sample of differing rows of two runs' tables, in the same shape as a table row diff."""
    kinds = t.kinds
    columns: list[DiffColumnInfo] = [
        {
            'name': n,
            'type_text': kinds.get(n, ('', ''))[1],
            'kind': kinds.get(n, ('string', ''))[0],
            'is_media': kinds.get(n, ('string', ''))[0] in ('image', 'video', 'audio', 'document'),
            'compared': n not in t.key,
            'status': 'key' if n in t.key else 'both',
            'note': '',
        }
        for n in [*t.key, *t.compared]
    ]
    rows: list[DiffRowInfo] = []
    for rec in t.sample.to_dict('records'):
        before = {n: rec.get(n, rec.get(f'{n} (a)')) for n in [*t.key, *t.compared]}
        after = {n: rec.get(n, rec.get(f'{n} (b)')) for n in [*t.key, *t.compared]}
        rows.append(
            {
                'change': 'changed',
                'key': [rec.get(k) for k in t.key],
                'changed': [c for c in str(rec.get('changed', '')).split(', ') if c],
                'before': _cells(before, columns, buffers),
                'after': _cells(after, columns, buffers),
            }
        )
    return {
        'a': a,
        'b': b,
        'added': t.only_in_b,
        'removed': t.only_in_a,
        'changed': t.differing,
        'total': t.differing,
        'changed_by_column': t.differing_by_column,
        'columns': columns,
        'rows': rows,
        'offset': 0,
        'limit': len(rows),
        'elapsed_ms': round(elapsed_ms, 1),
        'notes': t.notes,
    }


def _run_info(run: Run) -> RunInfo:
    return run.to_json()  # type: ignore[return-value]


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
            from pxwidgets.patterns.versioned.charts import metric_figure

            figure = figure_payload(metric_figure(runs, chosen)) if chosen else None
            return {
                'mode': 'experiment',
                'name': self.experiment.name,
                'runs': [_run_info(r) for r in runs],
                'versions': [],
                'current': None,
                'metrics': names,
                'metric': chosen,
                'figure': figure,
                'keep': self.experiment.keep,
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
