"""Encode a :class:`~pxwidgets.tables.Page` for the wire: JSON cells plus binary buffers for thumbnails."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any, cast

import numpy as np

from pxwidgets.panels.contract import Cell, Overlay, PageReply
from pxwidgets.tables.pages import CellError, MediaRef, Page, array_summary
from pxwidgets.tables.thumbnails import Thumbnail

MAX_TEXT = 2000
MAX_JSON = 20_000


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def encode_cell(value: Any, buffers: list[bytes]) -> Cell:
    """One value as a cell; media bytes are appended to ``buffers`` and referred to by index."""
    if value is None:
        return {'kind': 'null'}
    if isinstance(value, CellError):
        return {'kind': 'error', 'errortype': value.errortype, 'errormsg': value.errormsg[:MAX_TEXT]}
    if isinstance(value, Thumbnail):
        buffers.append(value.data)
        cell: Cell = {
            'kind': 'image',
            'buffer': len(buffers) - 1,
            'mime': value.mime,
            'width': value.width,
            'height': value.height,
        }
        if value.overlays:
            cell['overlays'] = cast('list[Overlay]', value.overlays)  # built by tables.pages.attach_overlays
        return cell
    if isinstance(value, MediaRef):
        return file_cell(value.kind, value.path)
    if isinstance(value, bool | np.bool_):
        return {'kind': 'bool', 'value': bool(value)}
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value) if isinstance(value, float | np.floating) else int(value)
        if isinstance(number, float) and not math.isfinite(number):
            return {'kind': 'text', 'value': str(number)}
        return {'kind': 'number', 'value': number}
    if isinstance(value, datetime.datetime | datetime.date):
        return {'kind': 'timestamp', 'value': value.isoformat()}
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return {'kind': 'text', 'value': value[:MAX_TEXT], 'truncated': True, 'length': len(value)}
        return {'kind': 'text', 'value': value}
    if isinstance(value, np.ndarray):
        return {'kind': 'array', **array_summary(value)}  # type: ignore[typeddict-item]
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str)
        if len(text) > MAX_JSON:
            return {'kind': 'json', 'value': text[:MAX_JSON], 'truncated': True, 'length': len(text)}
        return {'kind': 'json', 'value': _json_safe(value)}
    return {'kind': 'text', 'value': str(value)[:MAX_TEXT]}


def file_cell(kind: str, path: str) -> Cell:
    """A media file shown by its path (documents and audio; any other kind as text)."""
    return {'kind': 'document' if kind == 'document' else 'audio' if kind == 'audio' else 'text', 'path': path}


def encode_page(page: Page) -> tuple[PageReply, list[bytes]]:
    """The 'page' reply and its buffers."""
    buffers: list[bytes] = []
    rows = []
    for row in page.rows:
        cells = []
        for spec, value in zip(page.columns, row, strict=True):
            cell = encode_cell(value, buffers)
            if spec.kind == 'video' and cell['kind'] == 'image':
                cell['kind'] = 'video'
            cells.append(cell)
        rows.append(cells)
    reply: PageReply = {
        'columns': [c.to_dict() for c in page.columns],  # type: ignore[misc]
        'rows': rows,
        'offset': page.offset,
        'limit': page.limit,
        'total': page.total,
        'elapsed_ms': round(page.elapsed_ms, 1),
        'code': page.code,
        'cursor': {'first': page.cursor['first'], 'last': page.cursor['last']} if page.cursor else None,
        'fetched_by': page.fetched_by,
        'pandas_code': page.pandas_code,
    }
    return reply, buffers
