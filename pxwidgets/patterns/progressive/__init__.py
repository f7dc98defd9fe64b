"""Progressive refinement: a pipeline of views and computed columns that refine one table step by step.

Example:
    >>> from pxwidgets.patterns.progressive import ProgressiveRefinement, default_registry
    >>> 'extract_frames' in default_registry()
    True
"""

from __future__ import annotations

from pxwidgets.patterns.common.guards import BrokenStageWarning
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.common.registry import Registry, default_registry, register
from pxwidgets.patterns.common.transforms import Transform
from pxwidgets.patterns.progressive.lineage import LineageEdge, LineageGraph, LineageNode
from pxwidgets.patterns.progressive.pipeline import ProgressCallback, ProgressiveRefinement
from pxwidgets.patterns.progressive.stages import Stage, StageKind

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
