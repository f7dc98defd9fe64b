"""StageBuilder: a progressive-refinement pipeline as a clickable graph of stages.

Click a stage to see its rows (frames, detections drawn over them, errors); click "+" to add a stage from the
transform registry, preview it on a few rows first, then add it (with progress); drop a stage after seeing exactly
what goes with it; read the Pixeltable code of the whole pipeline.

Example:
    >>> from pxwidgets import StageBuilder
    >>> StageBuilder('demo/videos')  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pixeltable as pxt
import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Heartbeat, Panel, ProgressReporter, Reply, command, required_text
from pxwidgets.panels.cells import encode_page
from pxwidgets.panels.charts import figure_payload
from pxwidgets.panels.contract import (
    CountReply,
    ExportRequest,
    FigurePayload,
    NoPayload,
    PageReply,
    PageRequest,
    TransformEntry,
)
from pxwidgets.panels.exports import export_command, page_query
from pxwidgets.patterns import ProgressiveRefinement, compose
from pxwidgets.patterns.compose.records import ComposeAction, ComposePreviewRecord
from pxwidgets.patterns.progressive.lineage import LineageEdge, LineageGraph, LineageNode, StageProblem, graph_problems
from pxwidgets.patterns.progressive.stats import ColumnSummary, distribution_figure
from pxwidgets.tables import PageQuery, count_rows, fetch_page
from pxwidgets.tables.frames import page_from_dataframe

MAX_PREVIEW_ROWS = 50


def _text(payload: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    return required_text(payload, key)


# ---- message shapes (js/stage_builder/contract.ts is generated from them) ------------------------------------------

StageNode = LineageNode
"""One stage in the graph (the names this panel's TypeScript uses)."""
StageEdge = LineageEdge


class GraphReply(LineageGraph):
    """The pipeline's lineage graph and its problems."""

    problems: list[StageProblem]


class StageRowsRequest(PageRequest):
    """A page of one stage's rows."""

    stage: str


class StageExportRequest(ExportRequest):
    """The next chunk of a CSV export of one stage's rows (its filters, errors-only and sort)."""

    stage: str


class TransformsRequest(TypedDict):
    after: NotRequired[str | None]


class TransformsReply(TypedDict):
    transforms: list[TransformEntry]


class StageDraft(TypedDict):
    """What Preview and Add send: the new stage, after an existing one."""

    after: str
    transform: str
    params: dict[str, Any]
    name: str


class PreviewRequest(StageDraft):
    n: int


class AddReply(TypedDict):
    stage: StageNode
    graph: GraphReply


class StageRequest(TypedDict):
    stage: str


class DropPlanReply(TypedDict):
    plan: list[str]


class DropRequest(TypedDict):
    stage: str
    expect: list[str]


class DropReply(TypedDict):
    dropped: list[str]
    graph: GraphReply


class CodeRequest(TypedDict):
    stage: NotRequired[str | None]


class CodeReply(TypedDict):
    code: str


class ColumnStatsReply(TypedDict):
    """Per column of a stage: nulls, errors, min / max / mean (``ProgressiveRefinement.column_stats``)."""

    stage: str
    table: str
    columns: list[ColumnSummary]


class ColumnChartRequest(TypedDict):
    """A column's histogram (``bins``) or top values (``top``)."""

    stage: str
    column: str
    bins: NotRequired[int]
    top: NotRequired[int]


class ColumnChartReply(TypedDict):
    """The column's distribution as a plotly figure (``ProgressiveRefinement.stats_figure``)."""

    stage: str
    column: str
    kind: str
    """``'histogram'``, ``'top'`` or ``'none'`` (then ``note`` says why, and the figure is empty)."""
    note: str
    other: int
    figure: FigurePayload


class ComposeActionsReply(TypedDict):
    stage: str
    actions: list[ComposeAction]


class ComposeDraft(TypedDict):
    """What Preview and Create send: the action on a stage, with the form's values."""

    stage: str
    action: str
    values: dict[str, Any]


ComposePreviewReply = ComposePreviewRecord
"""What the action would create (``patterns.compose.ComposePreview``); nothing was written."""


class ComposeCreateReply(TypedDict):
    preview: ComposePreviewReply
    pixeltable_code: str
    graph: GraphReply


class StageBuilder(Panel):
    """Build and inspect a progressive-refinement pipeline by clicking.

    Args:
        pipeline: a :class:`~pxwidgets.patterns.ProgressiveRefinement`, or a table (or its path) to start one from
            — any existing table or view chain works, including ones made without pxwidgets.

    Example:
        >>> builder = StageBuilder('demo/videos')  # doctest: +SKIP
        >>> builder  # displays the panel  # doctest: +SKIP
        >>> builder.pipeline.add_stage('frames', transform='extract_frames', params={'fps': 1.0})  # doctest: +SKIP
    """

    _esm = esm('stage_builder')
    _css = css('stage_builder')

    source = traitlets.Unicode('').tag(sync=True)
    """The path of the pipeline's source table."""
    selected = traitlets.Unicode('').tag(sync=True)
    """The stage whose rows are shown ('' for none)."""
    head = traitlets.Unicode('').tag(sync=True)
    """The stage new stages go after by default."""

    def __init__(self, pipeline: ProgressiveRefinement | pxt.Table | str, **kwargs: Any) -> None:
        self.pipeline = (
            pipeline if isinstance(pipeline, ProgressiveRefinement) else ProgressiveRefinement.open(_path(pipeline))
        )
        self._stage_tables: dict[str, str] = {}
        super().__init__(source=self.pipeline.path, head=self.pipeline.head, **kwargs)

    # ---- commands -----------------------------------------------------------------------------------------------

    def _graph(self) -> dict[str, Any]:
        lineage = self.pipeline.lineage()  # one reading of the pipeline serves the graph and its problems
        self._stage_tables = {node['id']: node['table'] for node in lineage['nodes']}
        graph: dict[str, Any] = {**lineage, 'problems': graph_problems(lineage)}
        self.head = self.pipeline.head
        return graph

    @command('graph', request=NoPayload, reply=GraphReply)
    def _graph_cmd(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return self._graph()

    @command('rows', request=StageRowsRequest, reply=PageReply)
    def _rows(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name = str(_text(payload, 'stage'))
        page = fetch_page(self._stage_table(name), PageQuery.from_dict(payload), wait_for_count=False)
        self.selected = name
        return encode_page(page)

    @command('count', request=StageRowsRequest, reply=CountReply)
    def _count(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'total': count_rows(self._stage_table(str(_text(payload, 'stage'))), PageQuery.from_dict(payload))}

    _export_csv = export_command(
        StageExportRequest, lambda self, payload: (self._stage_table(str(_text(payload, 'stage'))), page_query(payload))
    )

    def _stage_table(self, name: str) -> str:
        # the graph the panel shows already names each stage's table: no catalog scan per page
        return self._stage_tables.get(name) or self.pipeline.stage(name).table

    @command('transforms', request=TransformsRequest, reply=TransformsReply)
    def _transforms(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'transforms': self.pipeline.transforms(_text(payload, 'after', required=False))}

    def _definition(self, payload: dict[str, Any]) -> dict[str, Any]:
        params = payload.get('params') or {}
        if not isinstance(params, dict):
            raise InvalidRequestError('params must be an object of parameter values.')
        return {
            'transform': _text(payload, 'transform'),
            'params': params,
            'after': _text(payload, 'after', required=False),
        }

    @command('preview', request=PreviewRequest, reply=PageReply)
    def _preview(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        n = payload.get('n', 5)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_PREVIEW_ROWS:
            raise InvalidRequestError(f'n must be an integer from 1 to {MAX_PREVIEW_ROWS}.')
        name = _text(payload, 'name', required=False) or 'preview'
        df = self.pipeline.preview_transform(**self._definition(payload), n=n, name=name)
        return encode_page(page_from_dataframe(df, path=f'preview of {name!r}'))

    @command('add', background=True, request=StageDraft, reply=AddReply)
    def _add(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name = str(_text(payload, 'name'))
        definition = self._definition(payload)
        with Heartbeat(progress, f'Adding stage {name!r}') as beat:
            stage = self.pipeline.add_stage(name, **definition, on_progress=beat.update)
            progress.report(0, None, 'Counting the rows of every stage')
            graph = self._graph()
        self.selected = stage.name
        node = next(n for n in graph['nodes'] if n['id'] == stage.name)  # the graph was read after the add
        return {'stage': node, 'graph': graph}

    @command('drop_plan', request=StageRequest, reply=DropPlanReply)
    def _drop_plan(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'plan': self.pipeline.drop_plan(str(_text(payload, 'stage')))}

    @command('drop', request=DropRequest, reply=DropReply)
    def _drop(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        expect = payload.get('expect')
        if not isinstance(expect, list) or not all(isinstance(s, str) for s in expect):
            raise InvalidRequestError('drop needs the confirmed plan: expect = the list drop_plan returned.')
        dropped = self.pipeline.drop_stage(str(_text(payload, 'stage')), cascade=True, expect=expect)
        if self.selected in dropped:
            self.selected = ''
        return {'dropped': dropped, 'graph': self._graph()}

    @command('code', request=CodeRequest, reply=CodeReply)
    def _code(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        stage = _text(payload, 'stage', required=False)
        return {'code': self.pipeline.stage_code(stage) if stage else self.pipeline.to_code()}

    # ---- Columns: statistics of a stage's columns, computed in the database --------------------------------------

    @command('column_stats', request=StageRequest, reply=ColumnStatsReply)
    def _column_stats(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name = str(_text(payload, 'stage'))
        return {'stage': name, 'table': self._stage_table(name), 'columns': self.pipeline.column_summaries(name)}

    @command('column_chart', request=ColumnChartRequest, reply=ColumnChartReply)
    def _column_chart(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name, column = str(_text(payload, 'stage')), str(_text(payload, 'column'))
        dist = self.pipeline.column_distribution(name, column, bins=payload.get('bins', 10), top=payload.get('top', 10))
        figure = figure_payload(distribution_figure(dist, stage=name))
        return {
            'stage': name,
            'column': column,
            'kind': dist['kind'],
            'note': dist['note'],
            'other': dist['other'],
            'figure': figure,
        }

    # ---- "Use this stage": start another pattern on a stage's table ---------------------------------------------

    @command('compose_actions', request=StageRequest, reply=ComposeActionsReply)
    def _compose_actions(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        stage = str(_text(payload, 'stage'))
        return {'stage': stage, 'actions': [f.to_json() for f in compose.actions(self.pipeline, stage)]}

    def _draft(self, payload: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        values = payload.get('values') or {}
        if not isinstance(values, dict):
            raise InvalidRequestError('values must be an object of field values.')
        return str(_text(payload, 'stage')), str(_text(payload, 'action')), values

    @command('compose_preview', request=ComposeDraft, reply=ComposePreviewReply)
    def _compose_preview(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return compose.preview(self.pipeline, *self._draft(payload)).to_json()

    @command('compose_create', background=True, request=ComposeDraft, reply=ComposeCreateReply)
    def _compose_create(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        stage, action, values = self._draft(payload)
        with Heartbeat(progress, f'Creating from stage {stage!r}') as beat:
            made = compose.create(self.pipeline, stage, action, values, on_progress=beat.update)
            progress.report(0, None, 'Reading the pipeline again')
            graph = self._graph()
        return {'preview': made.preview.to_json(), 'pixeltable_code': made.pixeltable_code, 'graph': graph}


def _path(table: pxt.Table | str) -> str:
    from pxwidgets.tables import open_table, table_path

    return table_path(open_table(table))
