"""Turn an in-memory DataFrame (a preview that was never written) into a :class:`Page` the row grid can show.

Example:
    >>> page = page_from_dataframe(pipeline.preview_transform(transform='detect_faces', n=3))  # doctest: +SKIP
    >>> page.total  # doctest: +SKIP
    3
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import numpy as np
import pandas as pd
import PIL.Image

from pxwidgets.tables.columns import ColumnSpec
from pxwidgets.tables.pages import Page, attach_overlays
from pxwidgets.tables.thumbnails import image_thumbnail


def _kind(values: list[Any]) -> str:
    sample = next((v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))), None)
    if isinstance(sample, PIL.Image.Image):
        return 'image'
    if isinstance(sample, bool | np.bool_):
        return 'bool'
    if isinstance(sample, int | np.integer):
        return 'int'
    if isinstance(sample, float | np.floating):
        return 'float'
    if isinstance(sample, datetime.datetime):
        return 'timestamp'
    if isinstance(sample, dict | list):
        return 'json'
    if isinstance(sample, np.ndarray):
        return 'array'
    return 'string'


def _plain(value: Any) -> Any:
    if isinstance(value, PIL.Image.Image):
        return image_thumbnail(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def page_from_dataframe(df: pd.DataFrame, *, code: str = '', path: str = '(preview)') -> Page:
    """A page of the DataFrame's rows: images become thumbnails, detections are drawn over their image."""
    start = time.perf_counter()
    columns = [str(c) for c in df.columns]
    raw = {c: list(df[c]) for c in columns}
    specs = [
        ColumnSpec(
            name=c,
            kind=_kind(raw[c]),
            type_text=_kind(raw[c]).capitalize(),
            nullable=True,
            computed_with=None,
            is_stored=False,
            is_computed=False,
            is_iterator_col=False,
            problem=None,
        )
        for c in columns
    ]
    rows = [[_plain(raw[c][i]) for c in columns] for i in range(len(df))]
    attach_overlays(specs, rows)
    elapsed = (time.perf_counter() - start) * 1000
    return Page(path, specs, rows, 0, max(len(rows), 1), len(rows), elapsed, code)
