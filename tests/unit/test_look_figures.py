"""The patterns' figures share one layout: in a notebook too, the legend sits above the plot, clear of the x-axis
tick labels (rotated dates at notebook widths), and the title at the top left (no Pixeltable needed)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from pxwidgets.patterns.cascade.evaluation import EvaluationReport
from pxwidgets.patterns.common.figures import LEGEND_ABOVE, shared_layout
from pxwidgets.patterns.incremental.figures import drift_figure, metrics_figure, rows_figure

FRAME = pd.DataFrame(
    {
        'label': ['2026-01-05 08:00', '2026-01-05 09:00'],
        'accuracy': [0.9, 0.8],
        'precision': [0.9, 0.7],
        'recall': [0.8, 0.7],
        'f1': [0.85, 0.7],
        'labeled': [10, 5],
        'pending': [0, 5],
        'drift': [{'x': {'psi': 0.01}}, {'x': {'psi': 0.3}}],
    }
)


def legend_above(fig: go.Figure) -> bool:
    legend = fig.layout.legend
    return legend.orientation == 'h' and legend.y > 1 and legend.yanchor == 'bottom' and legend.xanchor == 'left'


@pytest.mark.parametrize(
    'make',
    [
        lambda: metrics_figure(FRAME, {'min_accuracy': 0.8}),
        lambda: drift_figure(FRAME, 'psi', {'psi': 0.1}),
        lambda: rows_figure(FRAME),
        lambda: EvaluationReport(k=2, scores={}, per_query=[]).figure(),
    ],
)
def test_every_figure_with_a_legend_puts_it_above_the_plot(make: object) -> None:
    fig = make()  # type: ignore[operator]
    assert legend_above(fig), fig.layout.legend
    assert fig.layout.title.x == 0 and fig.layout.title.text
    assert fig.layout.xaxis.automargin and fig.layout.yaxis.automargin


def test_shared_layout_keeps_what_the_figure_adds() -> None:
    fig = shared_layout(go.Figure(), 'T', height=200, yaxis_title='score')
    assert (fig.layout.height, fig.layout.yaxis.title.text, fig.layout.title.text) == (200, 'score', 'T')
    assert {k: fig.layout.legend[k] for k in LEGEND_ABOVE} == LEGEND_ABOVE
