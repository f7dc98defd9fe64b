"""The layout every pattern's plotly figure shares, so a figure reads the same in a notebook and in a panel.

The legend sits in one row above the plot area, left-aligned: below the plot it would land on the x-axis tick labels
(dates rotate at notebook widths). The title sits at the top left; the top margin leaves room for both.

Example:
    >>> import plotly.graph_objects as go
    >>> fig = shared_layout(go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name='a')), 'A title')
    >>> fig.layout.legend.y, fig.layout.legend.yanchor, fig.layout.title.text
    (1.02, 'bottom', 'A title')
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

LEGEND_ABOVE: dict[str, Any] = {'orientation': 'h', 'x': 0, 'xanchor': 'left', 'y': 1.02, 'yanchor': 'bottom'}
"""A horizontal legend above the plot area (plotly grows the top margin to fit it)."""


def shared_layout(fig: go.Figure, title: str, **layout: Any) -> go.Figure:
    """``fig`` with ``title`` at the top left, the legend above the plot, axes that make room for their labels, and
    ``layout`` on top."""
    fig.update_layout(
        title={'text': title, 'x': 0, 'xanchor': 'left', 'y': 0.98, 'yanchor': 'top', 'yref': 'container'},
        legend=LEGEND_ABOVE,
        margin={'l': 50, 'r': 20, 't': 70, 'b': 40},
        **layout,
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig
