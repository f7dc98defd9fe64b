"""Plotly figures of an experiment: a metric over its runs.

Example:
    >>> fig = exp.metric_figure('n_faces')  # doctest: +SKIP
    >>> fig.show()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from pxwidgets.patterns.versioned.runs import Run


def numeric_metrics(runs: Sequence[Run]) -> list[str]:
    """The metrics that are numbers in at least one run, in first-seen order."""
    names: dict[str, None] = {}
    for run in runs:
        for k, v in run.metrics.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                names.setdefault(k, None)
    return list(names)


def metric_figure(runs: Sequence[Run], metric: str | None = None) -> go.Figure:
    """A metric over the successful runs (x = version), with the latest and promoted runs marked.

    Hovering a point shows the run's parameters. Failed runs have no metrics and are left out.
    """
    names = numeric_metrics(runs)
    metric = metric or (names[0] if names else None)
    fig = go.Figure()
    if metric is None:
        fig.update_layout(title='No numeric metrics recorded yet')
        return fig
    points = [r for r in runs if isinstance(r.metrics.get(metric), int | float) and not r.dropped]
    hover = ['<br>'.join([f'v{r.version}', *[f'{k} = {v}' for k, v in r.params.items()]]) for r in points]
    symbols = ['star' if r.latest else 'diamond' if r.promoted else 'circle' for r in points]
    fig.add_trace(
        go.Scatter(
            x=[r.version for r in points],
            y=[r.metrics[metric] for r in points],
            mode='lines+markers',
            name=metric,
            text=hover,
            hovertemplate='%{text}<br>' + metric + ' = %{y}<extra></extra>',
            marker={'symbol': symbols, 'size': [14 if s != 'circle' else 9 for s in symbols]},
        )
    )
    fig.update_layout(
        title=f'{metric} by version',
        xaxis={'title': 'version', 'tickmode': 'array', 'tickvals': [r.version for r in points]},
        yaxis={'title': metric},
        showlegend=False,
        margin={'l': 50, 'r': 20, 't': 40, 'b': 40},
        height=260,
    )
    return fig
