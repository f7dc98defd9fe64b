"""The headless pattern library: plain Python over Pixeltable, no widget imports.

Example:
    >>> from pxwidgets.patterns import ProgressiveRefinement
    >>> p = ProgressiveRefinement('demo/videos')  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.progressive import (
    BrokenStageWarning,
    Param,
    ProgressiveRefinement,
    Registry,
    Stage,
    Transform,
    default_registry,
    register,
)

__all__ = [
    'BrokenStageWarning',
    'Param',
    'ProgressiveRefinement',
    'Registry',
    'Stage',
    'Transform',
    'default_registry',
    'register',
]
