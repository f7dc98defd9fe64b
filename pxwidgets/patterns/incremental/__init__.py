"""Incremental evaluation: metrics, drift and alerts per window, kept up to date as predictions and labels arrive.

Example:
    >>> from pxwidgets.patterns.incremental import IncrementalEvaluation
    >>> ev = IncrementalEvaluation('demo/predictions', 'pred', 'label', 'ts', window='1h')  # doctest: +SKIP
    >>> ev.refresh(); ev.metrics_figure()  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.incremental.config import (
    DEFAULT_THRESHOLDS,
    THRESHOLD_PARAMS,
    Reference,
    Settings,
    Window,
    parse_window,
)
from pxwidgets.patterns.incremental.errors import (
    EvaluationConflictError,
    EvaluationNotFoundError,
    InvalidColumnError,
    InvalidReferenceError,
    InvalidWindowError,
    NoReferenceRowsError,
    TimestampError,
)
from pxwidgets.patterns.incremental.evaluation import EvaluationSnapshot, IncrementalEvaluation, RefreshResult

__all__ = [
    'DEFAULT_THRESHOLDS',
    'THRESHOLD_PARAMS',
    'EvaluationConflictError',
    'EvaluationNotFoundError',
    'EvaluationSnapshot',
    'IncrementalEvaluation',
    'InvalidColumnError',
    'InvalidReferenceError',
    'InvalidWindowError',
    'NoReferenceRowsError',
    'Reference',
    'RefreshResult',
    'Settings',
    'TimestampError',
    'Window',
    'parse_window',
]
