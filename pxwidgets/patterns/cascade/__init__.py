"""Semantic index cascade: the same documents searchable at several granularities, fused, drilled and evaluated.

Example:
    >>> from pxwidgets.patterns.cascade import SemanticIndexCascade
    >>> cascade = SemanticIndexCascade('demo/docs', 'doc', name='ref')  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade
from pxwidgets.patterns.cascade.catalog import Level
from pxwidgets.patterns.cascade.evaluation import EvaluationReport, LabelledQuery, SweepReport, parse_queries
from pxwidgets.patterns.cascade.hits import Hit, LevelResult, SearchResult

__all__ = [
    'EvaluationReport',
    'Hit',
    'LabelledQuery',
    'Level',
    'LevelResult',
    'SearchResult',
    'SemanticIndexCascade',
    'SweepReport',
    'parse_queries',
]
