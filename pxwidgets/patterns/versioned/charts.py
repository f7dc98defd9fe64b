"""Plotly figures of an experiment: a metric over its runs, and parameters → a metric in parallel coordinates.

Example:
    >>> fig = exp.metric_figure('n_faces')  # doctest: +SKIP
    >>> fig.show()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dimension(label: str, values: list[Any]) -> dict[str, Any]:
    """One axis: numbers as they are; anything else (strings, booleans, lists, a missing value) as categories,
    mapped to 0..k-1 in sorted order with their labels as ticks."""
    if values and all(_is_number(v) for v in values):
        return {'label': label, 'values': [float(v) for v in values]}
    texts = [NONE if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]
    categories = sorted(set(texts))
    index = {c: i for i, c in enumerate(categories)}
    return {
        'label': label,
        'values': [index[t] for t in texts],
        'tickvals': list(range(len(categories))),
        'ticktext': categories,
        'range': [-0.5, len(categories) - 0.5] if len(categories) == 1 else [0, len(categories) - 1],
    }


NONE = '(none)'
"""The category of a run that has no value for a parameter."""


def parallel_figure(runs: Sequence[Run], metric: str | None = None) -> go.Figure:
    """Parameters → a metric over every successful run (plotly ``Parcoords``), one line per run coloured by the
    metric. Non-numeric parameters (strings, booleans, lists) are axes of categories with their values as ticks;
    a run without a parameter shows ``(none)`` there.

    Example:
        >>> fig = parallel_figure(exp.runs(), 'accuracy')  # doctest: +SKIP
    """
    names = numeric_metrics(runs)
    metric = metric or (names[0] if names else None)
    fig = go.Figure()
    if metric is None:
        fig.update_layout(title='No numeric metrics recorded yet')
        return fig
    points = [r for r in runs if _is_number(r.metrics.get(metric)) and not r.dropped and r.status == 'ok']
    params = list(dict.fromkeys(k for r in points for k in r.params))
    dims = [_dimension(p, [r.params.get(p) for r in points]) for p in params]
    dims.append({'label': metric, 'values': [float(r.metrics[metric]) for r in points]})
    fig.add_trace(
        go.Parcoords(
            line={'color': [float(r.metrics[metric]) for r in points], 'colorscale': 'Viridis', 'showscale': True},
            dimensions=dims,
            customdata=[r.version for r in points],
        )
    )
    fig.update_layout(
        title=f'parameters → {metric} over {len(points)} run(s)',
        margin={'l': 60, 'r': 60, 't': 60, 'b': 30},
        height=320,
    )
    return fig
