"""Progressive refinement: a pipeline of views and computed columns that refine one table step by step.

Example:
    >>> from pxwidgets.patterns.progressive import ProgressiveRefinement, default_registry
    >>> 'extract_frames' in default_registry()
    True
"""

from __future__ import annotations

from pxwidgets.patterns.progressive.guards import BrokenStageWarning
from pxwidgets.patterns.progressive.lineage import LineageEdge, LineageGraph, LineageNode
from pxwidgets.patterns.progressive.params import Param
from pxwidgets.patterns.progressive.pipeline import ProgressCallback, ProgressiveRefinement
from pxwidgets.patterns.progressive.registry import Registry, default_registry, register
from pxwidgets.patterns.progressive.stages import Stage, StageKind
from pxwidgets.patterns.progressive.transforms import Transform

__all__ = [
    'BrokenStageWarning',
    'LineageEdge',
    'LineageGraph',
    'LineageNode',
    'Param',
    'ProgressCallback',
    'ProgressiveRefinement',
    'Registry',
    'Stage',
    'StageKind',
    'Transform',
    'default_registry',
    'register',
]
