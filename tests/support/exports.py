"""What the CSV export tests share: hostile text, what pandas writes for a query, a download chunk by chunk."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pixeltable as pxt

from pxwidgets.tables.columns import describe_columns
from pxwidgets.tables.export import FORMULA_STARTS, spreadsheet_safe

HOSTILE = ('=1+2', '+SUM(A1:A3)', '-2+3', '@A1', '\tTab', '\rCR', 'a,"b"\nc', '<script>x</script>', 'plain')
"""Text a spreadsheet would run as a formula (the first six) or a CSV writer must quote (the seventh)."""


def expected_csv(t: pxt.Table, query: Any, columns: list[str] | None = None) -> str:
    """What pandas writes for ``query`` (a Pixeltable query over ``t``): media as file URLs, JSON and arrays as JSON
    text, integers as integers, and text that starts like a formula behind a ``'``."""
    specs = [s for s in describe_columns(t) if columns is None or s.name in columns]
    df = query.select(**{s.name: t[s.name].fileurl if s.is_media else t[s.name] for s in specs}).collect().to_pandas()
    for s in specs:
        if s.kind in ('json', 'array'):
            df[s.name] = df[s.name].map(lambda v: None if v is None else json.dumps(getattr(v, 'tolist', lambda: v)()))
        elif s.kind == 'int':
            df[s.name] = df[s.name].astype('Int64')
        elif s.kind == 'string':
            df[s.name] = df[s.name].map(spreadsheet_safe)
    return str(df.to_csv(index=False))


def bare_formulas(text: str) -> list[str]:
    """The cells of a CSV text a spreadsheet would run as formulas (numbers such as -2.5 are numbers)."""

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    cells = [cell for row in csv.reader(io.StringIO(text, newline='')) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_STARTS) and not number(c)]


def download(panel: Any, request: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Ask chunk after chunk as the browser does; the CSV text and every reply."""
    data, replies, after, done = b'', [], None, 0
    while True:
        reply = panel.handle_request('export_csv', {**request, 'after': after, 'done': done})
        assert reply['ok'], reply
        data += reply['buffers'][0]
        replies.append(reply['payload'])
        after, done = reply['payload']['next'], reply['payload']['done']
        if after is None:
            return data.decode(), replies


def export_request(order_by: tuple[str, bool] | None, filters: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """A grid's export request: its page query (the window is ignored) and ``more`` (``chunk_rows``, ``stage``…)."""
    order = {'column': order_by[0], 'asc': order_by[1]} if order_by else None
    return {'offset': 0, 'limit': 5, 'order_by': order, 'filters': filters, 'errors_only': False, **more}
