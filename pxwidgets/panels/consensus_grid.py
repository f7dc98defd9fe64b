"""ConsensusGrid: N models side by side over the same rows, their consensus, and how they compare.

Rows are the inputs (thumbnails), one column per model (label + confidence, or its boxes over the image), the
consensus and the agreement; disagreeing cells are marked. Filters run in the database (disagreements only, ties,
consensus wrong, a model wrong, two models that differ); a summary tab shows the leaderboard, the best model, the
kappa heatmap and quality against cost; models are added by click (previewed first) and removed after confirming
the plan. Every action shows the Pixeltable code it ran. All Pixeltable work is in
:class:`~pxwidgets.patterns.consensus.MultiModelConsensus`.

Example:
    >>> from pxwidgets import ConsensusGrid
    >>> ConsensusGrid('demo/digits')  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from typing import Any, NotRequired, TypedDict

import pixeltable as pxt
import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, Reply, command, required_text
from pxwidgets.panels.charts import figure_payload
from pxwidgets.panels.contract import ExportFields, FigurePayload, NoPayload, PlanInfo, StepInfo, TransformEntry
from pxwidgets.panels.exports import export_command, row_query
from pxwidgets.patterns.consensus import FILTERS, MultiModelConsensus, metrics
from pxwidgets.patterns.consensus import figures as consensus_figures
from pxwidgets.patterns.consensus.curves import best_thresholds
from pxwidgets.patterns.consensus.records import ModelEntry
from pxwidgets.tables.thumbnails import Thumbnail

MAX_PREVIEW_ROWS = 20


# ---- message shapes (js/consensus_grid/contract.ts is generated from them) ---------------------------------------


class ConsensusInfo(TypedDict):
    path: str
    name: str
    input: str | None
    kind: str | None
    ground_truth: str | None
    truth_column: str | None
    options: dict[str, Any]
    models: list[ModelEntry]
    columns: dict[str, str]
    rows: int
    filters: list[str]


class RowsRequest(TypedDict):
    filter: NotRequired[str]
    model: NotRequired[str | None]
    other: NotRequired[str | None]
    order: NotRequired[str]
    asc: NotRequired[bool]
    offset: NotRequired[int]
    limit: NotRequired[int]
    count: NotRequired[bool]
    """Count the filtered rows in the same reply (default true); the panel asks false and sends 'count' after."""
    reference: NotRequired[str]
    """'confusion': what the model is scored against ('truth', 'consensus' or 'auto')."""
    actual: NotRequired[str]
    """'confusion': the cell's reference label."""
    predicted: NotRequired[str]
    """'confusion': the cell's predicted label ('∅': no prediction)."""


class ConsensusExportRequest(RowsRequest, ExportFields):
    """The next chunk of a CSV export of every row the filter keeps, in the grid's order (every column)."""


class ConfusionRequest(TypedDict):
    model: str
    reference: NotRequired[str]


class ClassScore(TypedDict):
    """One class of the reference: the model's precision, recall, F1 and how many rows have that class."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


class ConfusionReply(TypedDict):
    """A model's confusion matrix (rows = the reference's labels, columns = the model's) and its per-class scores."""

    model: str
    reference: str
    labels: list[str]
    counts: list[list[int]]
    report: list[ClassScore]
    figure: FigurePayload
    elapsed_ms: float


class BestThreshold(TypedDict):
    model: str
    threshold: float | None
    precision: float | None
    recall: float | None
    f1: float | None


class CurvesReply(TypedDict):
    """Detections: the models' precision–recall curves over score thresholds and each one's F1-optimal threshold."""

    figure: FigurePayload
    best: list[BestThreshold]
    elapsed_ms: float


class SuspectsReply(TypedDict):
    """Suspect labels were scored: how many cleanlab estimates are wrong, over how many labelled rows."""

    issues: int
    scored: int
    column: str
    state: ConsensusInfo
    code: str


class CountReply(TypedDict):
    """How many rows a filter keeps (asked after its first page is on screen)."""

    total: int
    elapsed_ms: float


class ImageRef(TypedDict):
    buffer: int
    mime: str
    width: int
    height: int


class ModelCellError(TypedDict):
    errortype: str
    errormsg: str


class Detections(TypedDict):
    """Detections as Pixeltable's detectors give them: boxes [x1, y1, x2, y2] in the original image's pixels."""

    bboxes: list[list[float]]
    labels: list[Any]
    scores: NotRequired[list[float]]
    votes: NotRequired[list[float]]
    """How many models found each box (the consensus's fused boxes)."""


class ModelCell(TypedDict):
    label: NotRequired[str | None]
    confidence: NotRequired[float | None]
    detections: NotRequired[Detections | None]
    error: NotRequired[ModelCellError]


class ConsensusRow(TypedDict):
    index: int
    image: ImageRef | None
    image_error: NotRequired[str]
    input_text: NotRequired[str]
    models: dict[str, ModelCell]
    consensus: dict[str, Any] | None
    truth: NotRequired[Any]
    weighted_label: NotRequired[str | None]
    accuracy_weighted_label: NotRequired[str | None]
    custom_label: NotRequired[str | None]


class RowsReply(TypedDict):
    rows: list[ConsensusRow]
    total: int | None
    offset: int
    limit: int
    elapsed_ms: float
    code: str
    pandas_code: str
    """Every row the filter keeps, in this order, as a pandas DataFrame (what "Download CSV" saves)."""


class RowRequest(RowsRequest):
    index: int


class RowReply(TypedDict):
    row: ConsensusRow


class SummaryReply(TypedDict):
    kind: str | None
    metrics: list[dict[str, Any]]
    best: str | None
    best_metric: str
    fleiss: float | None
    fleiss_rows: int
    groups: int
    leaderboard: FigurePayload
    kappa: FigurePayload | None
    cost: FigurePayload
    elapsed_ms: float


class TransformsReply(TypedDict):
    transforms: list[TransformEntry]


class PreviewRequest(TypedDict):
    transform: str
    params: NotRequired[dict[str, Any]]
    n: NotRequired[int]


class PreviewRow(TypedDict):
    output: Any
    error: str | None
    label: NotRequired[str | None]
    confidence: NotRequired[float | None]
    boxes: NotRequired[int | None]


class PreviewReply(TypedDict):
    rows: list[PreviewRow]
    kind: str | None


class AddRequest(TypedDict):
    name: str
    transform: str
    params: NotRequired[dict[str, Any]]


class AddReply(TypedDict):
    model: ModelEntry
    state: ConsensusInfo
    code: str


class RemovePlanRequest(TypedDict):
    model: str


RemovePlan = PlanInfo
"""What removing a model would do (the names this panel's TypeScript uses)."""
PlanStepInfo = StepInfo


class RemovePlanReply(TypedDict):
    plan: RemovePlan


class RemoveRequest(TypedDict):
    model: str
    token: str


class RemoveReply(TypedDict):
    done: list[str]
    state: ConsensusInfo
    code: str


class CodeReply(TypedDict):
    code: str
    last: str


# ---- helpers -------------------------------------------------------------------------------------------------------


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(df: Any) -> list[dict[str, Any]]:
    return [
        {k: _json_number(v) for k, v in row.items()}
        for row in df.astype(object).where(df.notna(), None).to_dict('records')
    ]


def encode_rows(rows: list[dict[str, Any]]) -> tuple[list[ConsensusRow], list[bytes]]:
    """Rows from the library with their thumbnails moved into binary buffers."""
    buffers: list[bytes] = []
    out: list[ConsensusRow] = []
    for row in rows:
        image = row.get('image')
        encoded: dict[str, Any] = {**row, 'image': None}
        if isinstance(image, Thumbnail):
            buffers.append(image.data)
            encoded['image'] = {
                'buffer': len(buffers) - 1,
                'mime': image.mime,
                'width': image.width,
                'height': image.height,
            }
        out.append(encoded)  # type: ignore[arg-type]
    return out, buffers


class ConsensusGrid(Panel):
    """Compare and combine N models over the same rows, by clicking.

    Args:
        consensus: A :class:`~pxwidgets.patterns.consensus.MultiModelConsensus`, or a table (or its path) with a
            consensus on it (opened with ``MultiModelConsensus.open``).
        name: The consensus's name when opening one from a table.

    Example:
        >>> grid = ConsensusGrid(MultiModelConsensus('demo/digits', 'image', ground_truth='label'))  # doctest: +SKIP
        >>> grid  # displays the panel  # doctest: +SKIP
    """

    _esm = esm('consensus_grid')
    _css = css('consensus_grid')

    table = traitlets.Unicode('').tag(sync=True)
    """The path of the table the models run on."""
    consensus_name = traitlets.Unicode('consensus').tag(sync=True)
    """The consensus's name (its columns' prefix)."""
    filter = traitlets.Unicode('all').tag(sync=True)
    """The row filter shown (one of the library's FILTERS)."""

    def __init__(
        self, consensus: MultiModelConsensus | pxt.Table | str, *, name: str = 'consensus', **kwargs: Any
    ) -> None:
        if isinstance(consensus, MultiModelConsensus):
            self.consensus = consensus
        else:
            self.consensus = MultiModelConsensus.open(consensus, name=name)
        super().__init__(table=self.consensus.path, consensus_name=self.consensus.name, **kwargs)

    def _info(self) -> ConsensusInfo:
        info: dict[str, Any] = self.consensus.to_json()
        info['filters'] = list(FILTERS)
        return info  # type: ignore[return-value]

    # ---- commands -----------------------------------------------------------------------------------------------

    @command('state', request=NoPayload, reply=ConsensusInfo)
    def _state(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return self._info()

    def _query(self, payload: dict[str, Any]) -> dict[str, Any]:
        keys = ('filter', 'model', 'other', 'order', 'asc', 'offset', 'limit', 'reference', 'actual', 'predicted')
        return {k: payload[k] for k in keys if k in payload}

    @command('rows', request=RowsRequest, reply=RowsReply)
    def _rows(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        count = payload.get('count', True)
        if not isinstance(count, bool):
            raise InvalidRequestError('count must be true or false.')
        page = self.consensus.rows(**self._query(payload), count=count)
        rows, buffers = encode_rows(page['rows'])
        self.filter = str(payload.get('filter') or 'all')
        return {**page, 'rows': rows}, buffers

    _export_csv = export_command(
        ConsensusExportRequest,
        lambda self, payload: (self.consensus.path, self.consensus.export_rows(**row_query(self._query(payload)))),
    )

    @command('count', request=RowsRequest, reply=CountReply)
    def _count(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        start = time.perf_counter()
        query = {k: v for k, v in self._query(payload).items() if k not in ('offset', 'limit', 'order', 'asc')}
        total = self.consensus.count(**query)
        return {'total': total, 'elapsed_ms': round((time.perf_counter() - start) * 1000, 1)}

    @command('row', request=RowRequest, reply=RowReply)
    def _row(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        index = payload.get('index')
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise InvalidRequestError('index must be a non-negative integer.')
        query = {k: v for k, v in self._query(payload).items() if k not in ('offset', 'limit')}
        row = self.consensus.row(index, **query)
        rows, buffers = encode_rows([row])
        return {'row': rows[0]}, buffers

    @command('summary', request=NoPayload, reply=SummaryReply)
    def _summary(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        m = self.consensus.metrics()
        kind = self.consensus.kind
        metric = 'f1' if kind == 'detections' else 'accuracy'
        scored = metric in m.summary and bool(((m.summary['kind'] == 'model') & m.summary[metric].notna()).any())
        best = self.consensus.best_model(metric, summary=m.summary) if scored else None
        return {
            'kind': kind,
            'metrics': _records(m.summary),
            'best': best,
            'best_metric': metric,
            'fleiss': _json_number(m.fleiss),
            'fleiss_rows': m.fleiss_rows,
            'groups': m.groups,
            'leaderboard': figure_payload(consensus_figures.leaderboard_figure(m.summary, metric)),
            'kappa': figure_payload(consensus_figures.kappa_heatmap(m.kappa)) if m.kappa is not None else None,
            'cost': figure_payload(consensus_figures.cost_quality_figure(m.summary, metric)),
            'elapsed_ms': round(m.elapsed_ms, 1),
        }

    @command('confusion', request=ConfusionRequest, reply=ConfusionReply)
    def _confusion(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        start = time.perf_counter()
        model = required_text(payload, 'model')
        reference = payload.get('reference', 'auto')
        if not isinstance(reference, str):
            raise InvalidRequestError("reference must be 'truth', 'consensus' or 'auto'.")
        matrix = self.consensus.confusion_matrix(model, reference)
        report = metrics.class_report(matrix)
        figure = consensus_figures.confusion_figure(matrix, model)
        return {
            'model': model,
            'reference': str(matrix.index.name),
            'labels': [str(c) for c in matrix.columns],
            'counts': matrix.to_numpy().astype(int).tolist(),
            'report': [{'label': r.pop('class'), **r} for r in _records(report)],
            'figure': figure_payload(figure),
            'elapsed_ms': round((time.perf_counter() - start) * 1000, 1),
        }

    @command('pr_curves', request=NoPayload, reply=CurvesReply)
    def _pr_curves(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        start = time.perf_counter()
        curves = self.consensus.pr_curves()
        return {
            'figure': figure_payload(consensus_figures.pr_figure(curves)),
            'best': _records(best_thresholds(curves)),
            'elapsed_ms': round((time.perf_counter() - start) * 1000, 1),
        }

    @command('find_suspects', background=True, request=NoPayload, reply=SuspectsReply)
    def _find_suspects(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        progress(0, None, 'Scoring the labels with cleanlab')
        found = self.consensus.find_suspects()
        return {**found, 'state': self._info(), 'code': self.consensus.last_code}

    @command('transforms', request=NoPayload, reply=TransformsReply)
    def _transforms(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        inp = self.consensus.input
        if inp is None:
            return {'transforms': []}
        col_type = self.consensus.table()[inp].col_type
        return {'transforms': self.consensus.registry.to_json(kind='column', input_type=col_type)}

    def _params(self, payload: dict[str, Any]) -> dict[str, Any]:
        params = payload.get('params') or {}
        if not isinstance(params, dict):
            raise InvalidRequestError('params must be an object of parameter values.')
        return params

    @command('preview', request=PreviewRequest, reply=PreviewReply)
    def _preview(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        n = payload.get('n', 5)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_PREVIEW_ROWS:
            raise InvalidRequestError(f'n must be an integer from 1 to {MAX_PREVIEW_ROWS}.')
        df = self.consensus.preview_model(required_text(payload, 'transform'), self._params(payload), n=n)
        return {'rows': _records(df), 'kind': self.consensus.kind}

    @command('add', background=True, request=AddRequest, reply=AddReply)
    def _add(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        name = required_text(payload, 'name')
        progress(0, None, f'Checking {name!r}')
        info = self.consensus.add_model(
            name,
            required_text(payload, 'transform'),
            params=self._params(payload),
            on_progress=lambda done, total, message: progress(done, total, message),
        )
        return {'model': info.to_json(), 'state': self._info(), 'code': self.consensus.last_code}

    @command('remove_plan', request=RemovePlanRequest, reply=RemovePlanReply)
    def _remove_plan(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'plan': self.consensus.plan_remove_model(required_text(payload, 'model')).to_json()}

    @command('remove', background=True, request=RemoveRequest, reply=RemoveReply)
    def _remove(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        model = required_text(payload, 'model')
        token = required_text(payload, 'token')
        progress(0, None, f'Removing {model!r}')
        result = self.consensus.remove_model(model, expect=token)
        return {
            'done': [s.description for s in result.done],
            'state': self._info(),
            'code': self.consensus.last_code,
        }

    @command('code', request=NoPayload, reply=CodeReply)
    def _code(self, payload: dict[str, Any], progress: ProgressReporter) -> Reply:
        return {'code': self.consensus.to_code(), 'last': self.consensus.last_code}
