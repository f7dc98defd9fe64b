"""What a pipeline answers without writing anything: its stages, their rows and statistics, its lineage, problems,
transforms, code, and a preview of a stage not added yet (``ProgressiveRefinement`` reads through these methods).

Example:
    >>> p = ProgressiveRefinement.open('demo/videos')  # doctest: +SKIP
    >>> p.stage_stats()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go

from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.records import TransformEntry
from pxwidgets.patterns.common.registry import Registry
from pxwidgets.patterns.progressive.catalog import PipelineState, scan
from pxwidgets.patterns.progressive.codegen import pipeline_code, stage_code
from pxwidgets.patterns.progressive.lineage import LineageGraph, graph_problems, lineage_graph
from pxwidgets.patterns.progressive.preview import preview_spec, preview_stage, stage_errors
from pxwidgets.patterns.progressive.specs import definition_of, resolve
from pxwidgets.patterns.progressive.stages import Stage
from pxwidgets.patterns.progressive.stats import (
    ColumnSummary,
    Distribution,
    column_distribution,
    column_summaries,
    distribution_figure,
    summaries_frame,
)


class PipelineReading:
    """The reading half of :class:`~pxwidgets.patterns.progressive.ProgressiveRefinement` (every call reads the
    catalog; nothing is written)."""

    _root: str
    _dir: str
    _head: str
    _registry: Registry

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

        The compute time is measured when pxwidgets adds a stage and kept next to the catalog (a restarted kernel
        still shows it); hand-made stages have none. Counts run in the database.

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
        return cast('list[dict[str, str]]', graph_problems(lineage_graph(self._scan(), self._head, counts=False)))

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
            **definition_of(locals()),
        )
        return preview_spec(spec, n=n)

    def _scan(self) -> PipelineState:
        return scan(self._root)
