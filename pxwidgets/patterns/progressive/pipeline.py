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

import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import (
    InvalidRequestError,
    PxWidgetsError,
    StageConflictError,
)
from pxwidgets.patterns.common.guards import BrokenStageWarning, broken_fix
from pxwidgets.patterns.common.names import parent_of, validate_stage_name
from pxwidgets.patterns.common.plans import Plan, execute
from pxwidgets.patterns.common.registry import Registry, default_registry
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord
from pxwidgets.patterns.progressive.drops import fallback_head, plan_drop
from pxwidgets.patterns.progressive.reading import PipelineReading
from pxwidgets.patterns.progressive.specs import definition_of, resolve
from pxwidgets.patterns.progressive.stages import Stage
from pxwidgets.patterns.progressive.stats import (
    record_compute_time,
)
from pxwidgets.patterns.progressive.writes import (
    added_summary,
    check_free,
    check_same,
    create_stage,
    refuse_broken,
    row_count,
)
from pxwidgets.tables.internals import table_path

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``: ``done`` of ``total`` rows, with a short message."""


def _table_path(source: str | pxt.Table) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, pxt.Table):
        return table_path(source)
    raise InvalidRequestError(f'A pipeline starts from a table or its path, not {type(source).__name__}.')


class ProgressiveRefinement(PipelineReading):
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
        spec = resolve(state, self._registry, name=name, after=after, **definition_of(locals()))
        if existing is not None:
            check_same(existing, spec)
            self._head = name
            if on_progress is not None:
                on_progress(1, 1, f'Stage {name!r} already exists with this definition; nothing to do.')
            return existing.stage
        check_free(state, spec, self._dir)
        refuse_broken(state, self._root)
        total = row_count(spec.context.tbl)
        if on_progress is not None:
            on_progress(0, total, f'Adding {spec.kind} stage {name!r} over {total} rows of {spec.context.path!r}')
        if comment is None and spec.transform is not None:
            comment = f'pxwidgets: {self._registry.get(spec.transform).description}'
        started = time.perf_counter()
        create_stage(spec, comment, self._dir)
        seconds = time.perf_counter() - started
        after_state = self._scan()
        record = after_state.record(name)
        record_compute_time(after_state, record, seconds)
        self._head = name
        if on_progress is not None:
            on_progress(total, total, added_summary(record))
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
        return plan_drop(self._scan(), name, cascade=cascade)

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
            self._head = fallback_head(state, name)
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

    def _warn_problems(self, state: PipelineState) -> None:
        for stage in state.stages():
            if stage.problem is not None:
                warnings.warn(
                    f'Stage {stage.name!r} of pipeline {self._root!r} cannot run any more: {stage.problem}\n'
                    f'{broken_fix(stage.name)}',
                    BrokenStageWarning,
                    stacklevel=3,
                )
