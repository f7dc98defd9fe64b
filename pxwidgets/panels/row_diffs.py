"""Row diffs for the wire: the rows that differ between two table versions (or two runs' tables), their changed
cells, and thumbnails of media cells in the message buffers.

Example:
    >>> page, buffers = encode_row_diff(TableVersions('demo/photos').diff(1, 2))  # doctest: +SKIP
    >>> page['changed'], len(buffers)  # doctest: +SKIP
    (3, 6)
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import unquote, urlparse

from pxwidgets.panels.cells import encode_cell, file_cell
from pxwidgets.panels.contract import Cell
from pxwidgets.patterns.versioned.compare import TableComparison
from pxwidgets.patterns.versioned.records import DiffColumnInfo
from pxwidgets.patterns.versioned.rowdiff import RowDiff
from pxwidgets.tables.pages import CellError
from pxwidgets.tables.thumbnails import image_file_thumbnail, video_poster


class DiffRowInfo(TypedDict):
    """One row that differs, with its cells before and after (``None`` where the row did not exist)."""

    change: str
    """``'added'``, ``'removed'`` or ``'changed'``."""
    key: list[Any]
    changed: list[str]
    before: list[Cell] | None
    after: list[Cell] | None


class DiffPage(TypedDict):
    """A page of the rows that differ between versions ``a`` and ``b``, with counts of all of them."""

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
        return file_cell(kind, path)
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
    columns = [c.to_json() for c in diff.columns]
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
