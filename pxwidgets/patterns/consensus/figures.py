"""Plotly figures of a consensus's metrics: the leaderboard, the pairwise kappa heatmap, quality against cost, and
a confusion matrix. Each is built from aggregated metrics (a table of models), never from rows.

Example:
    >>> fig = leaderboard_figure(c.summary())  # doctest: +SKIP
    >>> fig.show()  # doctest: +SKIP
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

MODEL_COLOR = '#1f77b4'
CONSENSUS_COLOR = '#ff7f0e'


def _metric_title(metric: str, reference: str | None) -> str:
    against = f' vs {reference}' if reference else ''
    return f'{metric.replace("_", " ")}{against}'


def leaderboard_figure(summary: pd.DataFrame, metric: str = 'accuracy') -> go.Figure:
    """Horizontal bars of ``metric`` per model and consensus method, best on top; consensus methods in orange."""
    data = summary.dropna(subset=[metric]) if metric in summary else summary.iloc[0:0]
    data = data.sort_values(metric, ascending=True)
    reference = str(summary['reference'].iloc[0]) if 'reference' in summary and len(summary) else None
    colors = [CONSENSUS_COLOR if k == 'consensus' else MODEL_COLOR for k in data.get('kind', [])]
    fig = go.Figure(
        go.Bar(
            x=data[metric].tolist() if metric in data else [],
            y=data['model'].tolist() if 'model' in data else [],
            orientation='h',
            marker={'color': colors},
            text=[f'{v:.3f}' for v in data[metric]] if metric in data else [],
            textposition='auto',
            hovertemplate='%{y}: %{x:.4f}<extra></extra>',
        )
    )
    lo = float(data[metric].min()) if len(data) else 0.0
    fig.update_layout(
        title=f'Leaderboard: {_metric_title(metric, reference)}',
        xaxis={'title': metric, 'range': [max(0.0, lo - 0.05), 1.0]},
        yaxis={'automargin': True},
        height=max(220, 40 * len(data) + 100),
        margin={'l': 10, 'r': 10, 't': 50, 'b': 40},
    )
    return fig


def kappa_heatmap(kappa: pd.DataFrame, *, title: str = "Pairwise Cohen's kappa") -> go.Figure:
    """The models × models kappa matrix as a heatmap (values written in the cells)."""
    values = kappa.to_numpy().tolist()
    text = [
        ['' if (v is None or (isinstance(v, float) and math.isnan(v))) else f'{v:.3f}' for v in row] for row in values
    ]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(kappa.columns),
            y=list(kappa.index),
            zmin=0.0,
            zmax=1.0,
            colorscale='Viridis',
            text=text,
            texttemplate='%{text}',
            hovertemplate='%{y} vs %{x}: %{z:.4f}<extra></extra>',
        )
    )
    fig.update_layout(
        title=title,
        yaxis={'autorange': 'reversed'},
        height=max(260, 60 * len(kappa) + 120),
        margin={'l': 10, 'r': 10, 't': 50, 'b': 40},
    )
    return fig


def cost_quality_figure(summary: pd.DataFrame, metric: str = 'accuracy') -> go.Figure:
    """Each model's quality (``metric``) against its measured cost (milliseconds per row; log scale)."""
    data = summary[summary['kind'] == 'model'] if 'kind' in summary else summary
    data = data.dropna(subset=[c for c in (metric, 'seconds_per_row') if c in data.columns])
    reference = str(summary['reference'].iloc[0]) if 'reference' in summary and len(summary) else None
    ms = [float(v) * 1000 for v in data['seconds_per_row']] if 'seconds_per_row' in data else []
    fig = go.Figure(
        go.Scatter(
            x=ms,
            y=data[metric].tolist() if metric in data else [],
            mode='markers+text',
            text=data['model'].tolist() if 'model' in data else [],
            textposition='top center',
            marker={'size': 12, 'color': MODEL_COLOR},
            hovertemplate='%{text}: %{y:.4f} at %{x:.3f} ms/row<extra></extra>',
        )
    )
    fig.update_layout(
        title=f'Quality against cost ({_metric_title(metric, reference)})',
        xaxis={'title': 'milliseconds per row (measured when computed)', 'type': 'log'},
        yaxis={'title': metric},
        height=320,
        margin={'l': 10, 'r': 10, 't': 50, 'b': 40},
    )
    return fig


def confusion_figure(matrix: pd.DataFrame, model: str) -> go.Figure:
    """A confusion matrix (rows = reference, columns = the model's labels) as an annotated heatmap."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy().tolist(),
            x=[str(c) for c in matrix.columns],
            y=[str(i) for i in matrix.index],
            colorscale='Blues',
            texttemplate='%{z}',
            hovertemplate='reference %{y}, predicted %{x}: %{z}<extra></extra>',
        )
    )
    fig.update_layout(
        title=f'Confusion matrix of {model}',
        xaxis={'title': f'{model} predicted', 'type': 'category'},
        yaxis={'title': str(matrix.index.name or 'reference'), 'type': 'category', 'autorange': 'reversed'},
        height=max(300, 28 * len(matrix) + 140),
        margin={'l': 10, 'r': 10, 't': 50, 'b': 40},
    )
    return fig


def pr_figure(curves: dict[str, pd.DataFrame]) -> go.Figure:
    """Precision against recall per model over score thresholds; each model's F1-optimal threshold marked."""
    fig = go.Figure()
    for name, c in curves.items():
        if not len(c):
            continue
        fig.add_trace(
            go.Scatter(
                x=c['recall'].tolist(),
                y=c['precision'].tolist(),
                mode='lines',
                name=name,
                text=[f'score ≥ {t:.3f}' for t in c['threshold']],
                hovertemplate='%{text}: precision %{y:.3f}, recall %{x:.3f}<extra>' + name + '</extra>',
            )
        )
        best = c.iloc[int(c['f1'].to_numpy().argmax())]
        fig.add_trace(
            go.Scatter(
                x=[float(best['recall'])],
                y=[float(best['precision'])],
                mode='markers',
                marker={'size': 10, 'symbol': 'star'},
                name=f'{name} best: score ≥ {float(best["threshold"]):.3f} (F1 {float(best["f1"]):.3f})',
            )
        )
    fig.update_layout(
        title='Precision–recall over score thresholds',
        xaxis={'title': 'recall', 'range': [0, 1.02]},
        yaxis={'title': 'precision', 'range': [0, 1.02]},
        height=360,
        margin={'l': 10, 'r': 10, 't': 50, 'b': 40},
    )
    return fig
