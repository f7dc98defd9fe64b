"""The cells of a page: column-wise query results turned into rows, media as thumbnails (made on a small thread
pool), failed values as :class:`~pxwidgets.tables.page.CellError`, detections drawn over the row's image.

Example:
    >>> import numpy as np
    >>> array_summary(np.zeros((2, 3)))['summary']
    'float64 [2, 3]  min 0  mean 0  max 0'
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import PIL.Image

from pxwidgets.tables.columns import ColumnSpec
from pxwidgets.tables.page import CellError, MediaRef
from pxwidgets.tables.thumbnails import Thumbnail, image_file_thumbnail, image_thumbnail, video_poster

_thumbnailers = ThreadPoolExecutor(max_workers=2, thread_name_prefix='pxwidgets-thumb')


def _detections(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    boxes = value.get('bboxes', value.get('boxes'))
    if not isinstance(boxes, list) or not all(
        isinstance(b, list | tuple) and len(b) == 4 and all(isinstance(x, int | float) for x in b) for b in boxes
    ):
        return None
    n = len(boxes)
    raw_labels, raw_scores = value.get('labels'), value.get('scores')
    labels: list[Any] = raw_labels if isinstance(raw_labels, list) else [None] * n
    scores: list[Any] = raw_scores if isinstance(raw_scores, list) else [None] * n
    return {'boxes': [list(map(float, b)) for b in boxes], 'labels': labels[:n], 'scores': scores[:n]}


def array_summary(arr: np.ndarray) -> dict[str, Any]:
    summary = f'{arr.dtype} {list(arr.shape)}'
    if arr.size and np.issubdtype(arr.dtype, np.number):
        summary += f'  min {arr.min():.4g}  mean {arr.mean():.4g}  max {arr.max():.4g}'
    return {'shape': list(arr.shape), 'dtype': str(arr.dtype), 'summary': summary}


def _thumbnail_job(spec: ColumnSpec, raw: Any) -> Any:
    if raw is None:
        return None
    if spec.kind == 'image':
        return image_thumbnail(raw) if isinstance(raw, PIL.Image.Image) else image_file_thumbnail(str(raw))
    if spec.kind == 'video':
        return video_poster(str(raw))
    return MediaRef(spec.kind, str(raw))


def columns_of(result: Any, *, reverse: bool = False) -> dict[str, list[Any]]:
    """A result set as column-wise lists (in reverse row order with ``reverse``)."""
    return {name: (result[name][::-1] if reverse else list(result[name])) for name in result.schema}


def build_rows(specs: list[ColumnSpec], cols: dict[str, list[Any]]) -> list[list[Any]]:
    n = len(next(iter(cols.values()), []))
    rows: list[list[Any]] = [[None] * len(specs) for _ in range(n)]
    jobs: list[tuple[int, int, Any]] = []
    for j, spec in enumerate(specs):
        values = cols[f'c{j}']
        errtypes = cols.get(f'e{j}')
        errmsgs = cols.get(f'm{j}')
        for i in range(n):
            if errtypes is not None and errtypes[i] is not None:
                rows[i][j] = CellError(str(errtypes[i]), str(errmsgs[i] if errmsgs else ''))
            elif spec.is_media:
                jobs.append((i, j, _thumbnailers.submit(_thumbnail_job, spec, values[i])))
            else:
                rows[i][j] = values[i]
    for i, j, future in jobs:
        try:
            rows[i][j] = future.result()
        except Exception as exc:  # an unreadable file is shown as that cell's error, not the page's
            rows[i][j] = CellError(type(exc).__name__, str(exc))
    attach_overlays(specs, rows)
    return rows


def attach_overlays(specs: list[ColumnSpec], rows: list[list[Any]]) -> None:
    image_cols = [j for j, s in enumerate(specs) if s.kind == 'image']
    json_cols = [j for j, s in enumerate(specs) if s.kind == 'json']
    if not image_cols or not json_cols:
        return
    for row in rows:
        for j in json_cols:
            det = _detections(row[j])
            if det is None:
                continue
            target = next((k for k in image_cols if isinstance(row[k], Thumbnail)), None)
            if target is not None:
                row[target].overlays.append({'column': specs[j].name, **det})
