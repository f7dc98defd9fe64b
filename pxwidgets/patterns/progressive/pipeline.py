"""``ProgressiveRefinement``: a pipeline of refinement stages over one Pixeltable table, declared in Python.

Each stage is a real Pixeltable object, queryable on its own and kept up to date by Pixeltable as the source gets new
rows: an iterator view (one row becomes many: frames, chunks, sentences), a computed column (one value per row: a
detection, a count, an embedding), or a filtered view (the rows that pass a predicate).

The object holds no state of its own beyond the stage new stages go after (``head``): every call reads the catalog.
Declaring the same stage again converges (nothing is written); declaring a changed stage under an existing name raises
``StageConflictError``. ``ProgressiveRefinement.open(path)`` rebuilds the object after a kernel restart, also for
pipelines made by hand with plain Pixeltable.

Example:
    >>> from pxwidgets.patterns import ProgressiveRefinement
    >>> p = ProgressiveRefinement('demo/videos')  # doctest: +SKIP
    >>> p.add_stage('frames', transform='extract_frames', params={'fps': 1.0})  # doctest: +SKIP
    >>> p.add_stage('faces', transform='detect_faces')  # doctest: +SKIP
    >>> p.add_stage('n_faces', transform='count_detections')  # doctest: +SKIP
    >>> p.add_stage('with_faces', transform='keep_if', params={'op': '>', 'value': 0})  # doctest: +SKIP
    >>> p.preview('faces', n=3)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go

from pxwidgets.errors import (
    BrokenColumnError,
    InvalidRequestError,
    InvalidStageNameError,
    PxWidgetsError,
    StageConflictError,
    StageCreationError,
    StageHasDependentsError,
)
from pxwidgets.patterns.common.guards import BrokenStageWarning, broken_fix
from pxwidgets.patterns.common.names import parent_of, validate_stage_name
from pxwidgets.patterns.common.plans import Plan, Step, execute
from pxwidgets.patterns.common.records import TransformEntry
from pxwidgets.patterns.common.registry import Registry, default_registry
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord, column_is_stored, scan, table_metadata
from pxwidgets.patterns.progressive.codegen import pipeline_code, stage_code
from pxwidgets.patterns.progressive.lineage import LineageGraph, lineage_graph
from pxwidgets.patterns.progressive.preview import preview_spec, preview_stage, stage_errors
from pxwidgets.patterns.progressive.specs import StageSpec, resolve
from pxwidgets.patterns.progressive.stages import Stage
from pxwidgets.patterns.progressive.stats import (
    ColumnSummary,
    Distribution,
    column_distribution,
    column_summaries,
    distribution_figure,
    record_compute_time,
    summaries_frame,
)
from pxwidgets.tables.counting import failed_rows
from pxwidgets.tables.internals import table_path

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``: ``done`` of ``total`` rows, with a short message."""


def _table_path(source: str | pxt.Table) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, pxt.Table):
        return table_path(source)
    raise InvalidRequestError(f'A pipeline starts from a table or its path, not {type(source).__name__}.')


def _count(tbl: pxt.Table) -> int:
    try:
        return int(tbl.count())
    except Exception:
        return 0


def _dropper(stage: str, drop: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            drop()
        except pxt.Error as exc:
            raise StageCreationError(f'Pixeltable refused to drop stage {stage!r}: {exc}') from None

    return run


def _params_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    changes = [f'{k}: {old.get(k)!r} -> {new.get(k)!r}' for k in sorted({*old, *new}) if old.get(k) != new.get(k)]
    return '; '.join(changes)


class ProgressiveRefinement:
    """A pipeline of refinement stages that starts at one table.

    Args:
        source: The table the pipeline starts from (a ``pxt.Table`` or its path); it may already have stages.
        dir: The Pixeltable directory for new views (default: where the existing pxwidgets views are, else the
            source's directory).
        registry: The transforms ``add_stage(transform=...)`` can use (default: the process-wide registry).

    Raises:
        TableNotFoundError: If there is no table at ``source``.

    Example:
        >>> p = ProgressiveRefinement('demo/videos')  # doctest: +SKIP
        >>> [s.name for s in p.stages]  # doctest: +SKIP
        ['videos']
    """

    def __init__(self, source: str | pxt.Table, *, dir: str | None = None, registry: Registry | None = None) -> None:
        self._root = _table_path(source)
        self._registry = registry if registry is not None else default_registry()
        state = self._scan()
        self._dir = dir if dir is not None else self._default_dir(state)
        self._head = state.root_info().stage
        self._warn_problems(state)

    @classmethod
    def open(cls, path: str, *, dir: str | None = None, registry: Registry | None = None) -> ProgressiveRefinement:
        """Rebuild a pipeline from the catalog (e.g. after a kernel restart); new stages go after the last one.

        Works for pipelines made by hand with plain Pixeltable too: iterator views, filtered views and computed
        columns below ``path`` become stages.

        Args:
            path: The source table's path.
            dir: Where new views go (see the constructor).
            registry: The transforms to use (see the constructor).

        Example:
            >>> p = ProgressiveRefinement.open('demo/videos')  # doctest: +SKIP
            >>> p.head  # doctest: +SKIP
            'with_faces'
        """
        pipeline = cls(path, dir=dir, registry=registry)
        pipeline._head = pipeline._scan().names()[-1]
        return pipeline

    # ----------------------------------------------------------------------------------------------- reading

    @property
    def path(self) -> str:
        """The source table's path."""
        return self._root

    @property
    def dir(self) -> str:
        """The directory new views are created in."""
        return self._dir

    @property
    def head(self) -> str:
        """The stage the next ``add_stage`` goes after unless told otherwise (the last one added or declared)."""
        return self._head

    @property
    def registry(self) -> Registry:
        """The transforms this pipeline uses."""
        return self._registry

    @property
    def stages(self) -> list[Stage]:
        """Every stage, the source first; each comes after the stages it reads from.

        Example:
            >>> [(s.name, s.kind) for s in p.stages]  # doctest: +SKIP
            [('videos', 'source'), ('frames', 'iterator'), ('faces', 'column')]
        """
        return self._scan().stages()

    def stage(self, name: str) -> Stage:
        """One stage.

        Raises:
            StageNotFoundError: If there is none of that name.
        """
        return self._scan().record(name).stage

    def table(self, name: str) -> pxt.Table:
        """The Pixeltable table or view that holds a stage's rows (a column stage's table).

        Example:
            >>> p.table('faces').select(p.table('faces').faces).limit(3).collect()  # doctest: +SKIP
        """
        return self._scan().record(name).tbl

    def preview(self, name: str, n: int = 10, offset: int = 0, *, errors_only: bool = False) -> pd.DataFrame:
        """The rows of a stage: a view's rows, or a column with its inputs and per-row error type and message.

        Args:
            name: The stage.
            n: How many rows (1–100).
            offset: How many rows to skip.
            errors_only: Only the rows where a stored computed column of the stage failed (filtered in the database;
                raises ``InvalidRequestError`` for a stage without one).

        Example:
            >>> p.preview('faces', n=3)  # doctest: +SKIP
            >>> p.preview('frames', errors_only=True)  # rows where faces or n_faces failed  # doctest: +SKIP
        """
        return preview_stage(self._scan().record(name), n=n, offset=offset, errors_only=errors_only)

    def stage_stats(self) -> pd.DataFrame:
        """Per stage: rows, rows with errors, error rate and compute time (seconds; ``NaN`` where unknown).

        The compute time is measured when this process adds a stage; hand-made stages (and stages added by another
        process) have none. Counts run in the database.

        Example:
            >>> p.stage_stats()[['stage', 'rows', 'error_rate', 'compute_seconds']]  # doctest: +SKIP
        """
        nodes = self.lineage()['nodes']
        columns = ['stage', 'kind', 'rows', 'errors', 'error_rate', 'compute_seconds']
        records = [{**n, 'stage': n['id']} for n in nodes]
        return pd.DataFrame.from_records(records, columns=columns)

    def column_stats(self, name: str) -> pd.DataFrame:
        """Per column of a stage: type, rows, nulls, errors, min / max / mean — aggregated in the database.

        A view's (or the source's) every column; a column stage's own column. Unstored columns (computed when read)
        get the row count only; media and JSON columns nulls and errors.

        Example:
            >>> p.column_stats('frames')[['column', 'nulls', 'min', 'max', 'mean']]  # doctest: +SKIP
        """
        return summaries_frame(self.column_summaries(name))

    def column_summaries(self, name: str) -> list[ColumnSummary]:
        """``column_stats`` as JSON-able dicts (what StageBuilder's Columns view shows).

        Example:
            >>> [s['column'] for s in p.column_summaries('faces')]  # doctest: +SKIP
            ['faces']
        """
        return column_summaries(self._scan().record(name))

    def column_distribution(self, name: str, column: str, *, bins: int = 10, top: int = 10) -> Distribution:
        """A column's histogram (numbers, ``bins`` equal-width bins) or ``top`` values (strings, bools), counted
        with ``group_by`` in the database.

        Example:
            >>> p.column_distribution('frames', 'n_faces', bins=5)['counts']  # doctest: +SKIP
        """
        return column_distribution(self._scan().record(name), column, bins=bins, top=top)

    def stats_figure(self, name: str, column: str, *, bins: int = 10, top: int = 10) -> go.Figure:
        """The plotly bar chart of ``column_distribution`` (the same figure StageBuilder's Columns view draws).

        Example:
            >>> p.stats_figure('frames', 'n_faces')  # doctest: +SKIP
        """
        return distribution_figure(self.column_distribution(name, column, bins=bins, top=top), stage=name)

    def errors(self, name: str, n: int = 20) -> pd.DataFrame:
        """The rows where a column stage failed: its inputs, ``errortype`` and ``errormsg``.

        Example:
            >>> p.errors('faces')  # doctest: +SKIP
        """
        return stage_errors(self._scan().record(name), n=n)

    def lineage(self, *, counts: bool = True) -> LineageGraph:
        """The pipeline as a graph: nodes (kind, table, column, rows, errors, definition, …) and edges.

        See ``pxwidgets.patterns.progressive.lineage`` for the schema.

        Example:
            >>> [(e['source'], e['target']) for e in p.lineage()['edges']]  # doctest: +SKIP
            [('videos', 'frames'), ('frames', 'faces')]
        """
        return lineage_graph(self._scan(), self._head, counts=counts)

    def problems(self) -> list[dict[str, str]]:
        """Stages that cannot run any more (e.g. a notebook UDF lost in a kernel restart), with how to fix each.

        Example:
            >>> p.problems()  # doctest: +SKIP
            []
        """
        return [
            {'stage': s.name, 'problem': s.problem, 'fix': broken_fix(s.name)}
            for s in self._scan().stages()
            if s.problem is not None
        ]

    def transforms(self, after: str | None = None) -> list[TransformEntry]:
        """The registry entries that can read the output of a stage (default: ``head``), as JSON-able dicts.

        Example:
            >>> [t['name'] for t in p.transforms('frames')][:2]  # doctest: +SKIP
            ['detect_faces', 'detect_eyes']
        """
        state = self._scan()
        record = state.record(after if after is not None else self._head)
        output = record.stage.output
        if output is None:
            return []
        col_type = record.tbl[output].col_type
        return self._registry.to_json(input_type=col_type)

    def validate_params(self, transform: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """A transform's parameters checked and completed with defaults (raises ``InvalidParameterError``).

        Example:
            >>> p.validate_params('extract_frames', {'fps': 2})  # doctest: +SKIP
            {'fps': 2.0}
        """
        return self._registry.validate(transform, params)

    def to_code(self, *, dir: str | None = None, metadata: bool = True) -> str:
        """The plain Pixeltable code that rebuilds this pipeline.

        Args:
            dir: The directory the code builds the views in (its ``DIR`` variable); default: this pipeline's.
            metadata: Include pxwidgets' stage metadata (so the copy opens with the same transforms and parameters).

        Raises:
            CodegenError: If a stage has no plain-code form (e.g. an anonymous function).

        Example:
            >>> print(p.to_code())  # doctest: +SKIP
        """
        return pipeline_code(self._scan(), view_dir=self._dir, target_dir=dir, metadata=metadata)

    def stage_code(self, name: str, *, metadata: bool = False) -> str:
        """The plain Pixeltable code that makes one stage: what ``add_stage`` ran for it.

        Example:
            >>> print(p.stage_code('with_faces'))  # doctest: +SKIP
            import pixeltable as pxt
            <BLANKLINE>
            frames = pxt.get_table('demo/frames')
            with_faces = pxt.create_view('demo/with_faces', frames.where(frames.n_faces > 0.0), if_exists='ignore')
        """
        return stage_code(self._scan(), name, metadata=metadata)

    def preview_transform(
        self,
        *,
        transform: str | None = None,
        params: Mapping[str, Any] | None = None,
        column: Any = None,
        iterator: Any = None,
        where: Any = None,
        after: str | None = None,
        input: str | None = None,
        output: str | None = None,
        n: int = 5,
        name: str = 'preview',
        allow_notebook_udfs: bool = False,
    ) -> pd.DataFrame:
        """Try a stage on a few rows of the stage it would follow, without writing anything.

        Takes the same definition arguments as ``add_stage``. A column or filter is computed by a query on ``n`` rows
        (filters add a ``keep`` column); an iterator runs in Python on the first source rows and returns its first
        ``n`` output rows. Rows that fail carry the reason in an ``error`` column.

        Raises:
            InvalidStageNameError: ``name`` is one ``add_stage`` would refuse (checked here too, so a preview never
                shows a stage that cannot be added).

        Example:
            >>> p.preview_transform(transform='detect_faces', after='frames', n=3)  # doctest: +SKIP
        """
        name = validate_stage_name(name)
        state = self._scan()
        spec = resolve(
            state,
            self._registry,
            name=name,
            after=after if after is not None else self._head,
            transform=transform,
            params=params,
            column=column,
            iterator=iterator,
            where=where,
            input=input,
            output=output,
            allow_notebook_udfs=allow_notebook_udfs,
        )
        return preview_spec(spec, n=n)

    # ----------------------------------------------------------------------------------------------- writing

    def add_stage(
        self,
        name: str,
        *,
        transform: str | None = None,
        params: Mapping[str, Any] | None = None,
        column: Any = None,
        iterator: Any = None,
        where: Any = None,
        after: str | None = None,
        input: str | None = None,
        output: str | None = None,
        comment: str | None = None,
        on_progress: ProgressCallback | None = None,
        allow_notebook_udfs: bool = False,
    ) -> Stage:
        """Add one refinement stage, or confirm that an equal one exists (then nothing is written).

        Say what the stage does with exactly one of:

        - ``transform='detect_faces', params={...}``: a registry entry (its kind decides the stage's kind);
        - ``column=expr`` or ``column=udf``: a computed column; a bare UDF is applied to the input column, with
          ``params`` as its keyword arguments;
        - ``iterator=call`` or ``iterator=gen_fn``: an iterator view (a bare iterator is applied to the input column);
          ``where=`` may filter the rows it iterates over;
        - ``where=predicate`` (or a bool UDF): a filtered view.

        Computed columns are added with ``on_error='ignore'``: rows where the UDF raises keep ``None`` and record
        ``errortype`` / ``errormsg`` (see ``errors()``); the other rows are computed.

        Args:
            name: The stage's name: the column's name, or the view's name (created in ``dir``).
            transform: A registry entry's name.
            params: The transform's (or bare UDF's) parameters.
            column: A Pixeltable expression or UDF.
            iterator: A Pixeltable iterator call or iterator.
            where: A boolean Pixeltable expression or UDF.
            after: The stage it refines (default: ``head``; for an existing stage, the one it was added after).
            input: The column a transform or bare function reads (default: ``after``'s output).
            output: For views: the column a following stage reads by default.
            comment: A comment stored with the view or column.
            on_progress: Called as ``on_progress(done, total, message)`` before and after the work.
            allow_notebook_udfs: Accept UDFs defined in the notebook (they break the table after a kernel restart).

        Returns:
            The stage.

        Raises:
            InvalidStageNameError: An invalid or reserved name, or one taken by a column or table outside the pipeline.
            StageConflictError: A stage of that name exists with a different definition.
            InvalidParameterError: Transform parameters of the wrong type or out of range.
            ForeignColumnError: The definition reads a column of a table the stage does not derive from.
            NotebookUDFError: The definition uses a UDF defined in the notebook.
            BrokenColumnError: A stage of this pipeline cannot run any more; it must be fixed first.
            StageCreationError: Pixeltable refused the stage (e.g. an iterator failed on a source row).

        Example:
            >>> p.add_stage('faces', transform='detect_faces', params={'min_neighbors': 3})  # doctest: +SKIP
        """
        name = validate_stage_name(name)
        state = self._scan()
        existing = state.records.get(name)
        if after is None:
            after = self._default_after(state, existing)
        spec = resolve(
            state,
            self._registry,
            name=name,
            after=after,
            transform=transform,
            params=params,
            column=column,
            iterator=iterator,
            where=where,
            input=input,
            output=output,
            allow_notebook_udfs=allow_notebook_udfs,
        )
        if existing is not None:
            self._check_same(existing, spec)
            self._head = name
            if on_progress is not None:
                on_progress(1, 1, f'Stage {name!r} already exists with this definition; nothing to do.')
            return existing.stage
        self._check_free(state, spec)
        self._refuse_broken(state)
        total = _count(spec.context.tbl)
        if on_progress is not None:
            on_progress(0, total, f'Adding {spec.kind} stage {name!r} over {total} rows of {spec.context.path!r}')
        if comment is None and spec.transform is not None:
            comment = f'pxwidgets: {self._registry.get(spec.transform).description}'
        started = time.perf_counter()
        self._create(spec, comment)
        seconds = time.perf_counter() - started
        after_state = self._scan()
        record = after_state.record(name)
        record_compute_time(after_state, record, seconds)
        self._head = name
        if on_progress is not None:
            on_progress(total, total, self._summary(record))
        return record.stage

    def drop_plan(self, name: str) -> list[str]:
        """What ``drop_stage(name, cascade=True)`` would drop, in the order it would drop it (``name`` last).

        Example:
            >>> p.drop_plan('faces')  # doctest: +SKIP
            ['with_faces', 'n_faces', 'faces']
        """
        return self.plan_drop(name).targets()

    def plan_drop(self, name: str, *, cascade: bool = True) -> Plan:
        """The confirmed-plan form of a drop: every stage that goes, in order, and the catalog state it was read from.

        ``drop_stage(name, cascade=True, expect=plan.token)`` carries it out only if it is still exactly this.

        Raises:
            StageHasDependentsError: Other stages depend on it and ``cascade`` is false.
            InvalidRequestError: It is the source, or views outside the pipeline (e.g. snapshots) depend on it.

        Example:
            >>> print(p.plan_drop('faces').describe())  # doctest: +SKIP
            drop stage 'faces':
              1. drop view 'demo/with_faces' (stage with_faces)
              2. drop column n_faces of 'demo/frames' (stage n_faces)
              3. drop column faces of 'demo/frames' (stage faces)
        """
        state = self._scan()
        self._refuse_source(state, name)
        dependents = state.dependents(name)
        if dependents and not cascade:
            order = state.names()
            raise StageHasDependentsError(name, sorted(dependents, key=order.index))
        names = [*dependents, name]
        dropped_tables = {state.record(s).table_id for s in names if state.record(s).stage.is_view}
        outside = [v for t in dropped_tables for v in state.tables[t].external_views]
        if outside:
            raise InvalidRequestError(
                f'Dropping {name!r} would drop views that are not stages of this pipeline: {", ".join(outside)}.',
                hint='Drop those (e.g. snapshots) with pxt.drop_table first.',
            )
        steps = []
        for stage_name in names:
            record = state.record(stage_name)
            if record.stage.is_view:
                steps.append(
                    Step(
                        'drop_view',
                        stage_name,
                        f'drop view {record.stage.table!r} (stage {stage_name})',
                        run=_dropper(stage_name, functools.partial(pxt.drop_table, record.stage.table)),
                    )
                )
            elif record.table_id not in dropped_tables:
                column = record.stage.column
                assert column is not None
                steps.append(
                    Step(
                        'drop_column',
                        stage_name,
                        f'drop column {column} of {record.stage.table!r} (stage {stage_name})',
                        run=_dropper(stage_name, functools.partial(record.tbl.drop_column, column)),
                    )
                )
            else:  # its view goes with it
                steps.append(Step('drop_with_view', stage_name, f'stage {stage_name} goes with its view'))
        versions = {info.path: (info.md or {}).get('version') for info in state.tables.values()}
        return Plan(f'drop stage {name!r}', steps, state={'stages': state.names(), 'versions': versions})

    def drop_stage(
        self, name: str, *, cascade: bool = False, expect: list[str] | str | Plan | None = None
    ) -> list[str]:
        """Drop a stage (its view or column).

        Args:
            name: The stage.
            cascade: Also drop every stage that depends on it (``drop_plan(name)`` lists them first).
            expect: The plan the user confirmed: the list from ``drop_plan``, or a ``plan_drop`` plan or its token.
                If the pipeline changed since and the plan no longer matches, nothing is dropped.

        Returns:
            The dropped stages, in the order they were dropped.

        Raises:
            StageHasDependentsError: Other stages depend on it and ``cascade`` is false (nothing is dropped).
            StageConflictError: ``expect`` (a list) differs from the current plan (nothing is dropped).
            PlanChangedError: ``expect`` (a plan or token) differs from the current plan (nothing is dropped).
            PartialExecutionError: A drop failed after others were done (each is listed).
            InvalidRequestError: It is the source, or views outside the pipeline (e.g. snapshots) depend on it.

        Example:
            >>> p.drop_stage('n_faces', cascade=True)  # doctest: +SKIP
            ['with_faces', 'n_faces']
        """
        plan = self.plan_drop(name, cascade=cascade)
        if isinstance(expect, list) and list(expect) != plan.targets():
            targets = plan.targets()
            raise StageConflictError(
                f'The pipeline changed since the drop was planned: dropping {name!r} now drops {", ".join(targets)}, '
                f'not {", ".join(expect)}.',
                existing=', '.join(targets),
                requested=', '.join(expect),
                hint='Look at drop_plan() again and confirm the new list.',
            )
        confirmed: Plan | str = expect if isinstance(expect, Plan | str) else plan
        state = self._scan()
        result = execute(confirmed, lambda: self.plan_drop(name, cascade=cascade))
        if self._head in result.plan.targets():
            self._head = self._fallback_head(state, name)
        return [s.target for s in result.done]

    def branch(self, name: str) -> ProgressiveRefinement:
        """A pipeline that starts at a stage's table, with that stage as its head: new stages refine it.

        Example:
            >>> b = p.branch('frames')  # doctest: +SKIP
            >>> b.add_stage('eyes', transform='detect_eyes')  # doctest: +SKIP
        """
        record = self._scan().record(name)
        branch = ProgressiveRefinement(record.stage.table, dir=self._dir, registry=self._registry)
        if name in branch._scan().records:
            branch._head = name
        return branch

    def __repr__(self) -> str:
        try:
            stages = ', '.join(self._scan().names())
        except PxWidgetsError as exc:
            stages = f'unavailable: {exc.message}'
        return f'ProgressiveRefinement({self._root!r}: {stages}; head={self._head!r})'

    # ----------------------------------------------------------------------------------------------- helpers

    def _scan(self) -> PipelineState:
        return scan(self._root)

    def _default_dir(self, state: PipelineState) -> str:
        for record in state.records.values():
            if record.stage.managed and record.stage.is_view and record.stage.kind != 'source':
                return parent_of(record.stage.table)
        return parent_of(self._root)

    def _default_after(self, state: PipelineState, existing: StageRecord | None) -> str:
        """Where a stage goes by default: after ``head``, or, re-declaring one, where it already is."""
        if existing is None or existing.stage.kind == 'source':
            return self._head
        if existing.stage.after is not None and existing.stage.after in state.records:
            return existing.stage.after
        if existing.stage.kind == 'column':
            return state.tables[existing.table_id].stage
        assert existing.context is not None
        return existing.context.stage

    def _fallback_head(self, state: PipelineState, dropped: str) -> str:
        record = state.record(dropped)
        for candidate in (record.stage.after, *record.stage.inputs):
            if candidate is not None and candidate in state.records and candidate != dropped:
                return candidate
        return state.root_info().stage

    def _warn_problems(self, state: PipelineState) -> None:
        for stage in state.stages():
            if stage.problem is not None:
                warnings.warn(
                    f'Stage {stage.name!r} of pipeline {self._root!r} cannot run any more: {stage.problem}\n'
                    f'{broken_fix(stage.name)}',
                    BrokenStageWarning,
                    stacklevel=3,
                )

    def _check_same(self, existing: StageRecord, spec: StageSpec) -> None:
        if existing.stage.kind == spec.kind and existing.canonical == spec.canonical:
            return
        old, new = existing.stage, spec
        details = [f'  existing: {old.kind} {old.definition} (on {existing.stage.table})']
        details.append(f'  requested: {new.kind} {new.definition} (on {spec.context.path})')
        if old.transform is not None and old.transform == new.transform and dict(old.params) != new.params:
            details.append(f'  changed parameters: {_params_diff(old.params, new.params)}')
        raise StageConflictError(
            f'Stage {old.name!r} already exists with a different definition; re-running never changes a stage '
            'silently.\n' + '\n'.join(details),
            existing=old.definition,
            requested=new.definition,
            hint=f'To change it, drop it first (drop_stage({old.name!r}, cascade=True) also drops what depends on '
            'it), or give the new definition another name.',
        )

    def _check_free(self, state: PipelineState, spec: StageSpec) -> None:
        if spec.kind == 'column':
            context = spec.context
            affected = [
                info for info in state.tables.values() if context.id in state.ancestry(info.id) and info.md is not None
            ]
            for info in affected:
                if spec.name in info.md['columns']:
                    raise InvalidStageNameError(
                        f'{info.path!r} already has a column named {spec.name!r}, which is not a stage of this '
                        'pipeline.',
                        hint='Choose another name.',
                    )
            return
        path = self._view_path(spec.name)
        try:
            taken = pxt.get_table(path, if_not_exists='ignore') is not None
        except pxt.Error:
            taken = True
        if taken:
            raise InvalidStageNameError(
                f'{path!r} already exists and is not a stage of this pipeline.', hint='Choose another name.'
            )

    def _refuse_broken(self, state: PipelineState) -> None:
        broken = [s for s in state.stages() if s.problem is not None]
        if broken:
            first = broken[0]
            raise BrokenColumnError(
                f'Stage {first.name!r} of this pipeline cannot run any more, so inserts into {self._root!r} fail: '
                f'{first.problem}',
                hint=broken_fix(first.name),
            )

    def _refuse_source(self, state: PipelineState, name: str) -> None:
        if state.record(name).stage.kind == 'source':
            raise InvalidRequestError(
                f'{name!r} is the source of this pipeline; it is not dropped as a stage.',
                hint='Drop the table itself with pxt.drop_table (and force=True to drop its views).',
            )

    def _view_path(self, name: str) -> str:
        return f'{self._dir}/{name}' if self._dir else name

    def _create(self, spec: StageSpec, comment: str | None) -> None:
        context = spec.context
        version = table_metadata(context.tbl)['version']
        try:
            if spec.kind == 'column':
                new_column: dict[str, Any] = {spec.name: spec.expr}
                context.tbl.add_computed_column(
                    **new_column,
                    on_error='ignore',
                    custom_metadata=spec.metadata(),
                    comment=comment or '',
                )
                return
            if self._dir:
                pxt.create_dir(self._dir, parents=True, if_exists='ignore')
            base = context.tbl.where(spec.expr) if spec.expr is not None else context.tbl
            pxt.create_view(
                self._view_path(spec.name),
                base,
                iterator=spec.iterator,
                custom_metadata=spec.metadata(),
                comment=comment,
            )
        except pxt.Error as exc:
            unchanged = table_metadata(context.tbl)['version'] == version
            raise StageCreationError(
                f'Pixeltable refused stage {spec.name!r}: {exc}',
                hint='Nothing was written.' if unchanged else None,
            ) from None

    def _summary(self, record: StageRecord) -> str:
        stage = record.stage
        rows = _count(record.tbl)
        if stage.kind != 'column':
            return f'Added {stage.kind} stage {stage.name!r}: {rows} rows.'
        assert stage.column is not None
        if not column_is_stored(record.tbl, stage.column):  # unstored values are computed on read: no error record
            return f'Added column stage {stage.name!r} (computed when read): {rows} rows.'
        failed = failed_rows(record.tbl, stage.column)
        return f'Added column stage {stage.name!r}: {rows} rows, {failed} failed (see errors({stage.name!r})).'
