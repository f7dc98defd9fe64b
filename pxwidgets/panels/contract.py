"""The message contract between a panel's Python side and its JavaScript side.

Declared once here and once in ``js/lib/contract.ts``; both sides read the same shapes.

Every command is a request with an id; the kernel answers it exactly once with a response (ok or error) and may
send progress messages for the same id before that. Binary payloads (thumbnails) travel in the message's
buffers; a cell refers to its buffer by index.

JS → Python::

    {'type': 'request', 'id': 'r7', 'kind': 'page', 'payload': {...}}

Python → JS::

    {'type': 'response', 'id': 'r7', 'ok': True, 'payload': {...}}          # + buffers
    {'type': 'response', 'id': 'r7', 'ok': False, 'error': {'message': ..., 'hint': ..., 'code': ..., 'details': {...}}}
    {'type': 'progress', 'id': 'r7', 'done': 3, 'total': 10, 'message': 'computing'}
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class Request(TypedDict):
    type: Literal['request']
    id: str
    kind: str
    payload: dict[str, Any]


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

    kind: str
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
