"""Plotly figures for panels: the same figure a notebook user gets from Python, drawn by ``js/lib/chart.ts``.

The template is left out of what the panel receives: the panel styles the chart from JupyterLab's theme, so it
reads in dark and light mode. Everything else (traces, axes titles, shapes such as threshold lines) travels as is.

Example:
    >>> import plotly.graph_objects as go
    >>> payload = figure_payload(go.Figure(go.Bar(x=['a', 'b'], y=[1, 2])))
    >>> payload['data'][0]['type'], 'template' in payload['layout']
    ('bar', False)
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio

from pxwidgets.panels.contract import FigurePayload


def figure_payload(fig: go.Figure) -> FigurePayload:
    """A JSON-safe ``{data, layout}`` of ``fig`` without its template (numpy arrays become lists)."""
    spec = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    layout = dict(spec.get('layout') or {})
    layout.pop('template', None)
    return {'data': list(spec.get('data') or []), 'layout': layout}
