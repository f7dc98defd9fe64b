"""The message contract between a panel's Python side and its JavaScript side, declared once, in Python.

This module declares the shapes every panel shares (and imports the pattern records two panels share); a panel's own
command shapes live in its module (``pxwidgets/panels/<panel>.py``). ``scripts/contract_ts.py`` writes the TypeScript
types from these TypedDicts (``js/lib/contract.ts``, ``js/<panel>/contract.ts``) when ``npm run build`` runs; a test
fails when a committed file is stale. Each ``@command`` names its request and reply TypedDicts, and
``tests/protocol/test_contract_agreement.py`` checks real replies against them.

Every command is a request with an id; the kernel answers it exactly once with a response (ok or error) and may
send progress messages for the same id before that. Binary payloads (thumbnails) travel in the message's
buffers; a cell refers to its buffer by index (its ``buffer`` field). A request with ``'inline': True`` gets them as
base64 strings in the message instead (``inline_buffers``), for front ends that drop binary buffers (``js/lib/rpc.ts``
asks for that after a reply arrived whose payload refers to more buffers than came with it).

JS → Python::

    {'type': 'request', 'id': 'r7', 'kind': 'page', 'payload': {...}}

Python → JS::

    {'type': 'response', 'id': 'r7', 'ok': True, 'payload': {...}}          # + buffers
    {'type': 'response', 'id': 'r7', 'ok': True, 'payload': {...}, 'inline_buffers': [b64, ...]}   # asked inline
    {'type': 'response', 'id': 'r7', 'ok': False, 'error': {'message': ..., 'hint': ..., 'code': ..., 'details': {...}}}
    {'type': 'progress', 'id': 'r7', 'done': 3, 'total': 10, 'message': 'computing'}
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Required, TypedDict

# pattern records that several panels send: declared in the pattern, so in js/lib/contract.ts (imported from here)
from pxwidgets.patterns.common.records import ParamSpec as ParamSpec
from pxwidgets.patterns.common.records import PlanInfo
from pxwidgets.patterns.common.records import StepInfo as StepInfo
from pxwidgets.patterns.common.records import TransformEntry as TransformEntry


class Request(TypedDict):
    type: Literal['request']
    id: str
    kind: str
    payload: dict[str, object]
    inline: NotRequired[bool]
    """Put the reply's buffers into the message as base64 (for front ends that drop binary buffers)."""


class ParamError(TypedDict):
    """Per-field message of a refused form (``details.params``)."""

    param: str
    message: str


class ErrorDetails(TypedDict, total=False):
    """Structured facts of an error: ``params`` for a form's fields, the new ``plan`` when a confirmed one went stale.

    Other keys are the error's own facts (a plan's ``done`` / ``failed`` / ``not_done`` steps, ``dependents``, …).
    """

    params: list[ParamError]
    plan: PlanInfo


class ErrorInfo(TypedDict):
    """A refused or failed command; the JavaScript never parses ``message``: it reads ``code`` and ``details``."""

    message: str
    code: str
    hint: NotRequired[str]
    details: NotRequired[ErrorDetails]


class OkResponse(TypedDict):
    type: Literal['response']
    id: str
    ok: Literal[True]
    payload: object
    inline_buffers: NotRequired[list[str]]
    """The buffers as base64, when the request asked for them inline (then none are sent as binary)."""


class ErrorResponse(TypedDict):
    type: Literal['response']
    id: str
    ok: Literal[False]
    error: ErrorInfo


class Progress(TypedDict):
    type: Literal['progress']
    id: str
    done: int
    total: int | None
    message: str


Incoming = OkResponse | ErrorResponse | Progress
"""What the kernel sends a panel."""


class FigurePayload(TypedDict):
    """A plotly figure as ``js/lib/chart.ts`` draws it (``charts.figure_payload(fig)``)."""

    data: list[dict[str, Any]]
    layout: dict[str, Any]


# ---- shapes shared by every panel that shows rows -------------------------------------------------------------


class ColumnInfo(TypedDict):
    """One column of a page: what the grid needs to render its header and cells."""

    name: str
    type: str
    """``'string'``, ``'int'``, ``'float'``, ``'bool'``, ``'timestamp'``, ``'json'``, ``'array'``, ``'image'``, …"""
    type_text: str
    """Pixeltable's own rendering of the type, e.g. ``'Image'`` or ``'Array[(384,), Float]'``."""
    computed_with: str | None
    is_stored: bool
    is_computed: bool
    sortable: bool
    problem: str | None
    """Why the column cannot be computed now, e.g. a UDF that cannot be loaded after a kernel restart."""


CellKind = Literal[
    'null', 'text', 'number', 'bool', 'timestamp', 'json', 'array', 'image', 'video', 'document', 'audio', 'error'
]
"""What a cell holds, which decides how the grid renders it."""


class Overlay(TypedDict):
    """Detections drawn over an image cell: boxes ``[x1, y1, x2, y2]`` in the original image's pixels."""

    column: str
    boxes: list[tuple[float, float, float, float]]
    labels: list[str | int | None]
    scores: list[float | None]


class Cell(TypedDict, total=False):
    """One value of a page.

    Media cells carry ``buffer`` (an index into the message buffers) and the original ``width``/``height``; image
    cells may carry ``overlays`` (detections to draw over the thumbnail).
    """

    kind: Required[CellKind]
    value: Any
    truncated: bool
    length: int
    buffer: int
    mime: str
    width: int
    height: int
    overlays: list[Overlay]
    shape: list[int]
    dtype: str
    summary: str
    errortype: str
    errormsg: str
    path: str


class PageCursor(TypedDict):
    """The keys of a page's first and last row: the next page is asked ``after: last``, the previous ``before: first``
    (fetched by key, not by offset: see ``pxwidgets.tables.keyset``)."""

    first: str
    last: str


class PageReply(TypedDict):
    """The answer to a 'page' request."""

    columns: list[ColumnInfo]
    rows: list[list[Cell]]
    offset: int
    limit: int
    total: int | None
    """None: still being counted (the grid then asks with a ``count`` request)."""
    elapsed_ms: float
    code: str
    """The Pixeltable code that fetches the same rows."""
    cursor: NotRequired[PageCursor | None]
    fetched_by: NotRequired[str]
    """``'key'``, ``'offset from the end'`` or ``'offset'``: how the rows were found."""
    pandas_code: NotRequired[str]
    """The whole filtered, sorted result as a DataFrame: the lines that follow ``code``'s ``t = pxt.get_table(…)``."""


class NoPayload(TypedDict):
    """The request of a command that takes no arguments."""


FilterOp = Literal['==', '!=', '<', '<=', '>', '>=', 'contains', 'startswith', 'is_null', 'not_null']
"""The operators of ``pxwidgets.tables.filters.FILTER_OPS``."""


class FilterSpec(TypedDict):
    """One filter of a page request (see ``pxwidgets.tables.filters``)."""

    column: str
    op: FilterOp
    value: NotRequired[Any]


Filter = FilterSpec
"""The name the TypeScript side uses."""


class OrderBy(TypedDict):
    column: str
    asc: bool


class RowsQuery(TypedDict):
    """Which rows, in which order: a grid's query without its window (what an export takes)."""

    order_by: OrderBy | None
    filters: list[FilterSpec]
    errors_only: bool
    columns: NotRequired[list[str] | None]
    """Only these columns, in this order (default: all)."""


class PageRequest(RowsQuery):
    """A page of rows: where it starts, how many, sorted and filtered how."""

    offset: int
    limit: int
    after: NotRequired[str | None]
    """The cursor of the previous page's last row (``PageReply.cursor.last``): the rows after it, by key."""
    before: NotRequired[str | None]
    """The cursor of the next page's first row: the rows before it, by key."""


class ExportFields(TypedDict):
    """Where a CSV export of a grid's whole filtered, sorted result stands: a grid's export request is its page
    request and these (``after``: the previous chunk's ``next``; none for the first chunk, which carries the header)."""

    after: NotRequired[str | None]
    done: NotRequired[int]
    """Rows received so far."""
    chunk_rows: NotRequired[int]


class ExportRequest(RowsQuery, ExportFields):
    """The next chunk of a CSV export of a page query's rows (TableBrowser)."""


class ExportChunkReply(TypedDict):
    """One chunk of CSV text, in the reply's first buffer (UTF-8)."""

    rows: int
    done: int
    total: int | None
    next: str | None
    """The cursor of the next chunk; null when the export is complete."""
    truncated: bool
    """Stopped at the row limit while more rows match."""
    max_rows: int
    filename: str
    columns: list[str]
    problems: list[str]
    pandas_code: str
    """The plain Pixeltable code of the same rows as a pandas DataFrame."""


class CountReply(TypedDict):
    """The number of rows a page request matches (the grid asks for it after the page)."""

    total: int
