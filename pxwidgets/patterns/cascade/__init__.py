"""Semantic index cascade: the same documents searchable at several granularities, fused, drilled and evaluated.

Example:
    >>> from pxwidgets.patterns.cascade import SemanticIndexCascade
    >>> cascade = SemanticIndexCascade('demo/docs', 'doc', name='ref')  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade
from pxwidgets.patterns.cascade.catalog import Level
from pxwidgets.patterns.cascade.embeddings import DEFAULT_EMBEDDING, embedding_choices
from pxwidgets.patterns.cascade.evaluation import EvaluationReport, LabelledQuery, SweepReport, parse_queries
from pxwidgets.patterns.cascade.hits import Hit, LevelResult, SearchResult
from pxwidgets.patterns.cascade.splitters import describe_splitter, parse_splitter

__all__ = [
    'DEFAULT_EMBEDDING',
    'EvaluationReport',
    'Hit',
    'LabelledQuery',
    'Level',
    'LevelResult',
    'SearchResult',
    'SemanticIndexCascade',
    'SweepReport',
    'describe_splitter',
    'embedding_choices',
    'parse_queries',
    'parse_splitter',
]
