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


def _no_metric() -> dict[str, Any]:
    return {'data': [], 'layout': {'title': {'text': 'No numeric metrics recorded yet'}}}


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
    return go.Figure(metric_spec(runs, metric))


def metric_spec(runs: Sequence[Run], metric: str | None = None) -> dict[str, Any]:
    """:func:`metric_figure` as the plain ``{data, layout}`` dict plotly serialises it to (without its template).

    A panel sends this as it is: building a plotly figure validates every value, which costs more than reading the
    runs at a thousand runs.

    Example:
        >>> metric_spec([], 'loss')['layout']['title']
        {'text': 'No numeric metrics recorded yet'}
    """
    names = numeric_metrics(runs)
    metric = metric or (names[0] if names else None)
    if metric is None:
        return _no_metric()
    points = [r for r in runs if isinstance(r.metrics.get(metric), int | float) and not r.dropped]
    hover = ['<br>'.join([f'v{r.version}', *[f'{k} = {v}' for k, v in r.params.items()]]) for r in points]
    symbols = ['star' if r.latest else 'diamond' if r.promoted else 'circle' for r in points]
    trace = {
        'type': 'scatter',
        'x': [r.version for r in points],
        'y': [r.metrics[metric] for r in points],
        'mode': 'lines+markers',
        'name': metric,
        'text': hover,
        'hovertemplate': '%{text}<br>' + metric + ' = %{y}<extra></extra>',
        'marker': {'symbol': symbols, 'size': [14 if s != 'circle' else 9 for s in symbols]},
    }
    layout = {
        'title': {'text': f'{metric} by version'},
        'xaxis': {'title': {'text': 'version'}, 'tickmode': 'array', 'tickvals': [r.version for r in points]},
        'yaxis': {'title': {'text': metric}},
        'showlegend': False,
        'margin': {'l': 50, 'r': 20, 't': 40, 'b': 40},
        'height': 260,
    }
    return {'data': [trace], 'layout': layout}


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


COLOR_BINS = 10
"""The panel's parallel coordinates colour runs by their metric in this many groups (one trace each)."""
NONE = '(none)'
"""The category of a run that has no value for a parameter."""


def parallel_figure(runs: Sequence[Run], metric: str | None = None) -> go.Figure:
    """Parameters → a metric over every successful run (plotly ``Parcoords``), one line per run coloured by the
    metric. Non-numeric parameters (strings, booleans, lists) are axes of categories with their values as ticks;
    a run without a parameter shows ``(none)`` there.

    Example:
        >>> fig = parallel_figure(exp.runs(), 'accuracy')  # doctest: +SKIP
    """
    metric, points, dims = _parallel_data(runs, metric)
    if metric is None:
        return go.Figure(_no_metric())
    fig = go.Figure()
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


def _parallel_data(runs: Sequence[Run], metric: str | None) -> tuple[str | None, list[Run], list[dict[str, Any]]]:
    """The metric, the runs that have it, and one axis per parameter then the metric's."""
    names = numeric_metrics(runs)
    metric = metric or (names[0] if names else None)
    if metric is None:
        return None, [], []
    points = [r for r in runs if _is_number(r.metrics.get(metric)) and not r.dropped and r.status == 'ok']
    params = list(dict.fromkeys(k for r in points for k in r.params))
    dims = [_dimension(p, [r.params.get(p) for r in points]) for p in params]
    dims.append({'label': metric, 'values': [float(r.metrics[metric]) for r in points]})
    return metric, points, dims


def _scaled(dim: dict[str, Any]) -> tuple[list[float], list[tuple[float, str]]]:
    """An axis's values scaled to 0..1, and its ticks (position, label): categories, or the minimum and maximum."""
    values = [float(v) for v in dim['values']]
    if 'ticktext' in dim:
        lo, hi = 0.0, float(max(len(dim['ticktext']) - 1, 0))
        ticks = [(float(i), str(t)) for i, t in enumerate(dim['ticktext'])]
    else:
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        ticks = [(lo, f'{lo:.4g}'), (hi, f'{hi:.4g}')] if hi > lo else [(lo, f'{lo:.4g}')]

    def scale(v: float) -> float:
        return (v - lo) / (hi - lo) if hi > lo else 0.5

    return [scale(v) for v in values], [(scale(v), t) for v, t in ticks]


def parallel_lines_figure(runs: Sequence[Run], metric: str | None = None) -> go.Figure:
    """The same parallel coordinates as :func:`parallel_figure`, drawn with lines on a cartesian plot (one line per
    run, each axis scaled to its own range, categories and min/max as labels), for the panel's chart library.

    Example:
        >>> fig = parallel_lines_figure(exp.runs(), 'accuracy')  # doctest: +SKIP
    """
    return go.Figure(parallel_lines_spec(runs, metric))


def parallel_lines_spec(runs: Sequence[Run], metric: str | None = None) -> dict[str, Any]:
    """:func:`parallel_lines_figure` as the plain ``{data, layout}`` dict plotly serialises it to (see
    :func:`metric_spec`).

    Example:
        >>> parallel_lines_spec([], 'loss')['data']
        []
    """
    from plotly.colors import sample_colorscale

    metric, points, dims = _parallel_data(runs, metric)
    if metric is None:
        return _no_metric()
    scaled = [_scaled(d) for d in dims]
    scores = [float(r.metrics[metric]) for r in points]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 1.0)
    x = list(range(len(dims)))
    # runs grouped into at most COLOR_BINS traces by their metric (one trace per run is slow beyond a few hundred)
    bins = max(min(len(points), COLOR_BINS), 1)
    groups: dict[int, list[int]] = {}
    for i, score in enumerate(scores):
        t = (score - lo) / (hi - lo) if hi > lo else 0.5
        groups.setdefault(min(int(t * bins), bins - 1), []).append(i)
    traces = []
    for b, members in sorted(groups.items()):
        xs: list[float | None] = []
        ys: list[float | None] = []
        texts: list[str | None] = []
        versions: list[int | None] = []
        for i in members:
            run = points[i]
            shown = [
                d['ticktext'][int(d['values'][i])] if 'ticktext' in d else f'{float(d["values"][i]):.4g}' for d in dims
            ]
            if xs:  # a gap between two runs' lines
                xs.append(None)
                ys.append(None)
                texts.append(None)
                versions.append(None)
            xs += x
            ys += [axis[0][i] for axis in scaled]
            texts += [f'v{run.version}<br>{d["label"]} = {v}' for d, v in zip(dims, shown, strict=True)]
            versions += [run.version] * len(x)
        traces.append(
            {
                'type': 'scatter',
                'x': xs,
                'y': ys,
                'mode': 'lines+markers',
                'name': f'{metric} bin {b + 1}',
                'line': {'color': sample_colorscale('Viridis', [(b + 0.5) / bins])[0], 'width': 2},
                'marker': {'size': 6},
                'text': texts,
                'hovertemplate': '%{text}<extra></extra>',
                'customdata': versions,
                'connectgaps': False,
            }
        )
    annotations = [
        {'x': j, 'y': pos, 'text': label, 'showarrow': False, 'xanchor': 'right', 'xshift': -4, 'font': {'size': 10}}
        for j, (_, ticks) in enumerate(scaled)
        for pos, label in ticks
    ]
    layout = {
        'title': {'text': f'parameters → {metric} over {len(points)} run(s)'},
        'xaxis': {'tickmode': 'array', 'tickvals': x, 'ticktext': [d['label'] for d in dims], 'side': 'top'},
        'yaxis': {'visible': False, 'range': [-0.08, 1.08]},
        'shapes': [
            {'type': 'line', 'x0': j, 'x1': j, 'y0': 0, 'y1': 1, 'line': {'color': 'gray', 'width': 1}} for j in x
        ],
        'annotations': annotations,
        'showlegend': False,
        'margin': {'l': 60, 'r': 20, 't': 70, 'b': 20},
        'height': 300,
    }
    return {'data': traces, 'layout': layout}
