"""The message contract between a panel's Python side and its JavaScript side.

Declared once here (shapes every panel shares) and once in ``js/lib/contract.ts``; a panel's own command shapes live in
its module (``pxwidgets/panels/<panel>.py``) and in ``js/<panel>/``. Each ``@command`` names its request and reply
TypedDicts, and ``tests/protocol/test_contract_agreement.py`` checks that TypeScript declares the same interfaces with
the same fields.

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


class Request(TypedDict):
    type: Literal['request']
    id: str
    kind: str
    payload: dict[str, Any]
    inline: NotRequired[bool]
    """Put the reply's buffers into the message as base64 (for front ends that drop binary buffers)."""


class ErrorInfo(TypedDict):
    """A refused or failed command, as the panel shows it; the JavaScript never parses ``message``.

    ``details`` carries structured facts: ``params`` (a list of ``{param, message}`` for a form's fields), a plan's
    ``done`` / ``failed`` / ``not_done`` steps, or the new ``plan`` when a confirmed one went stale.
    """

    message: str
    code: str
    hint: NotRequired[str]
    details: NotRequired[dict[str, Any]]


class OkResponse(TypedDict):
    type: Literal['response']
    id: str
    ok: Literal[True]
    payload: Any
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


# ---- shapes shared by every panel that shows rows -------------------------------------------------------------


class ColumnInfo(TypedDict):
    """One column of a page: what the grid needs to render its header and cells."""

    name: str
    type: str  # 'string' | 'int' | 'float' | 'bool' | 'timestamp' | 'date' | 'json' | 'array' | 'image' | 'video' | ...
    type_text: str  # Pixeltable's own rendering of the type, e.g. 'Image' or 'Array[(384,), Float]'
    computed_with: str | None
    is_stored: bool
    is_computed: bool
    sortable: bool
    problem: str | None  # e.g. a UDF that cannot be loaded after a kernel restart


class Cell(TypedDict, total=False):
    """One value of a page.

    ``kind`` is one of: 'null', 'text', 'number', 'bool', 'timestamp', 'json', 'array', 'image', 'video',
    'document', 'audio', 'error'. Media cells carry ``buffer`` (an index into the message buffers) and the
    original ``width``/``height``; image cells may carry ``overlays`` (detections to draw over the thumbnail).
    """

    kind: Required[str]
    value: Any
    truncated: bool
    length: int
    buffer: int
    mime: str
    width: int
    height: int
    overlays: list[dict[str, Any]]
    shape: list[int]
    dtype: str
    summary: str
    errortype: str
    errormsg: str
    path: str


class PageReply(TypedDict):
    """The answer to a 'page' request."""

    columns: list[ColumnInfo]
    rows: list[list[Cell]]
    offset: int
    limit: int
    total: int | None  # None: still being counted; the panel asks with a 'count' request
    elapsed_ms: float
    code: str  # the Pixeltable code that fetches the same rows


class NoPayload(TypedDict):
    """The request of a command that takes no arguments."""


class FilterSpec(TypedDict):
    """One filter of a page request (see ``pxwidgets.tables.filters``). TypeScript: ``Filter``."""

    column: str
    op: str
    value: NotRequired[Any]


class OrderBy(TypedDict):
    column: str
    asc: bool


class PageRequest(TypedDict):
    """A page of rows: where it starts, how many, sorted and filtered how."""

    offset: int
    limit: int
    order_by: OrderBy | None
    filters: list[FilterSpec]
    errors_only: bool
    columns: NotRequired[list[str] | None]


class CountReply(TypedDict):
    """The number of rows a page request matches (the grid asks for it after the page)."""

    total: int


class ParamSpec(TypedDict):
    """One parameter of a registry transform, as a form is generated from it (``Param.to_json()``)."""

    name: str
    type: str
    default: Any
    description: str
    minimum: float | None
    maximum: float | None
    exclusive_minimum: float | None
    choices: list[str] | None
    nullable: bool


class TransformEntry(TypedDict):
    """A registry transform as a panel lists it (``Transform.to_json()``)."""

    name: str
    description: str
    kind: str
    input_type: str
    output: str | None
    output_type: str | None
    notes: str | None
    source: str | None
    builtin: bool
    params: list[ParamSpec]
    json_schema: dict[str, Any]
