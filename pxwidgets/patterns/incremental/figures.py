"""Plotly figures of an evaluation: metrics per window, drift per window against its threshold, confusion matrix.

Each takes the window table as a DataFrame (``IncrementalEvaluation.to_pandas()``), so the same figure is drawn in a
notebook and in the panel.

Example:
    >>> fig = metrics_figure(ev.to_pandas())  # doctest: +SKIP
    >>> [t.name for t in fig.data]  # doctest: +SKIP
    ['accuracy', 'precision', 'recall', 'f1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

METRICS = ('accuracy', 'precision', 'recall', 'f1')
DETECTION_METRICS = ('precision', 'recall', 'f1', 'map50', 'map')
"""The metrics of a detection evaluation's windows (IoU 0.5; ``map`` is COCO's mAP at IoU 0.5:0.95)."""

DRIFT_STATISTICS: dict[str, tuple[str, str]] = {
    'psi': ('psi', 'population stability index'),
    'js': ('js', 'Jensen-Shannon distance'),
    'ks_pvalue': ('ks_pvalue', 'Kolmogorov-Smirnov p-value'),
    'wasserstein': ('wasserstein', 'Wasserstein distance / reference std'),
}
"""Statistic -> (threshold name, axis title)."""


def _x(frame: pd.DataFrame) -> list[Any]:
    return list(frame['label']) if len(frame) else []


def _layout(fig: go.Figure, title: str, y: str) -> go.Figure:
    fig.update_layout(
        title={'text': title},
        yaxis_title=y,
        xaxis={'type': 'category'},
        margin={'l': 50, 'r': 20, 't': 40, 'b': 40},
        legend={'orientation': 'h', 'y': -0.2},
        height=300,
    )
    return fig


def _values(frame: pd.DataFrame, column: str) -> list[float | None]:
    if not len(frame) or column not in frame:
        return [None] * len(frame)
    return [None if v is None or pd.isna(v) else float(v) for v in frame[column]]


def metrics_figure(
    frame: pd.DataFrame, thresholds: Mapping[str, Any] | None = None, metrics: Sequence[str] = METRICS
) -> go.Figure:
    """Metrics per window (gaps where no labels have arrived), and the metric thresholds.

    When the window table has an ``estimated_accuracy`` (from the confidences), it is drawn dashed on the windows
    whose labels have not all arrived; the realized accuracy replaces it as they do.
    """
    fig = go.Figure()
    x = _x(frame)
    for metric in metrics:
        fig.add_trace(go.Scatter(x=x, y=_values(frame, metric), mode='lines+markers', name=metric, connectgaps=False))
    estimated = _values(frame, 'estimated_accuracy')
    if 'accuracy' in metrics and any(v is not None for v in estimated):
        waiting = [int(p) > 0 for p in frame['pending']]
        realized = _values(frame, 'accuracy')
        # dashed from the last complete window on, so the line continues where the realized one stops
        y = [
            e if wait or realized[i] is None else (realized[i] if i + 1 < len(x) and waiting[i + 1] else None)
            for i, (e, wait) in enumerate(zip(estimated, waiting, strict=True))
        ]
        fig.add_trace(go.Scatter(x=x, y=y, mode='lines+markers', name='accuracy (estimated)', line={'dash': 'dash'}))
    for name in ('min_accuracy', 'min_f1'):
        value = (thresholds or {}).get(name)
        if value is not None and x:
            fig.add_trace(
                go.Scatter(
                    x=[x[0], x[-1]], y=[value, value], mode='lines', name=f'{name} {value:g}', line={'dash': 'dash'}
                )
            )
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, 'Metrics per window', 'score')


def drift_figure(
    frame: pd.DataFrame, statistic: str, thresholds: Mapping[str, Any], columns: Sequence[str] | None = None
) -> go.Figure:
    """One drift statistic per window for each column that has it, with its threshold as a dashed line."""
    name, title = DRIFT_STATISTICS[statistic]
    fig = go.Figure()
    x = _x(frame)
    drift = list(frame['drift']) if len(frame) else []
    names = columns or sorted({c for d in drift if d for c, s in d.items() if statistic in s})
    for column in names:
        y = [(d or {}).get(column, {}).get(statistic) for d in drift]
        fig.add_trace(go.Scatter(x=x, y=y, mode='lines+markers', name=column))
    threshold = thresholds.get(name)
    if threshold is not None and x:
        fig.add_trace(
            go.Scatter(
                x=[x[0], x[-1]],
                y=[threshold, threshold],
                mode='lines',
                name=f'threshold {threshold:g}',
                line={'dash': 'dash', 'color': 'crimson'},
            )
        )
    if statistic == 'ks_pvalue':
        fig.update_yaxes(type='log')
    return _layout(fig, f'Drift: {title}', statistic)


def confusion_figure(row: Mapping[str, Any] | None) -> go.Figure:
    """The confusion matrix of one window (rows: ground truth, columns: prediction), counts as text."""
    fig = go.Figure()
    cells = (row or {}).get('confusion') or []
    classes = sorted({c for p, g, _ in cells for c in (p, g)}, key=lambda v: (isinstance(v, str), v))
    index = {c: i for i, c in enumerate(classes)}
    z = [[0] * len(classes) for _ in classes]
    for p, g, n in cells:
        z[index[g]][index[p]] += int(n)
    labels = [str(c) for c in classes]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            text=z,
            texttemplate='%{text}',
            colorscale='Blues',
            showscale=False,
            hovertemplate='truth %{y}, predicted %{x}: %{z}<extra></extra>',
        )
    )
    title = f'Confusion matrix, {row["label"]}' if row else 'Confusion matrix'
    fig.update_layout(
        title={'text': title},
        xaxis={'title': 'predicted', 'type': 'category'},
        yaxis={'title': 'truth', 'type': 'category', 'autorange': 'reversed'},
        margin={'l': 50, 'r': 20, 't': 40, 'b': 40},
        height=320,
    )
    return fig


def ap_figure(row: Mapping[str, Any] | None) -> go.Figure:
    """Average precision per class of one detection window (at IoU 0.5 and 0.5:0.95)."""
    fig = go.Figure()
    classes = [c for c in (row or {}).get('per_class') or [] if c.get('ap50') is not None]
    names = [str(c['class']) for c in classes]
    fig.add_trace(go.Bar(x=names, y=[c['ap50'] for c in classes], name='AP@0.5'))
    fig.add_trace(go.Bar(x=names, y=[c['ap'] for c in classes], name='AP@0.5:0.95'))
    title = f'Average precision per class, {row["label"]}' if row else 'Average precision per class'
    fig.update_layout(
        title={'text': title},
        xaxis={'title': 'class', 'type': 'category'},
        yaxis={'title': 'AP', 'range': [0, 1.02]},
        margin={'l': 50, 'r': 20, 't': 40, 'b': 40},
        height=320,
    )
    return fig


def rows_figure(frame: pd.DataFrame) -> go.Figure:
    """Rows per window, split into labeled and pending (waiting for ground truth)."""
    fig = go.Figure()
    x = _x(frame)
    labeled = list(frame['labeled']) if len(frame) else []
    pending = list(frame['pending']) if len(frame) else []
    fig.add_trace(go.Bar(x=x, y=labeled, name='labeled'))
    fig.add_trace(go.Bar(x=x, y=pending, name='pending'))
    fig.update_layout(barmode='stack')
    return _layout(fig, 'Rows per window', 'rows')
