"""The headless pattern library: plain Python over Pixeltable, no widget imports. Imported lazily.

Example:
    >>> from pxwidgets.patterns import ProgressiveRefinement
    >>> p = ProgressiveRefinement('demo/videos')  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets._lazy import lazy_getattr

PATTERNS = {
    'ProgressiveRefinement': 'pxwidgets.patterns.progressive',
    'MultiModelConsensus': 'pxwidgets.patterns.consensus',
    'SemanticIndexCascade': 'pxwidgets.patterns.cascade',
    'IncrementalEvaluation': 'pxwidgets.patterns.incremental',
    'VersionedExperiment': 'pxwidgets.patterns.versioned',
}
"""Every pattern class and the package that defines it."""

_NAMES = {
    **PATTERNS,
    'BrokenStageWarning': 'pxwidgets.patterns.common.guards',
    'Param': 'pxwidgets.patterns.common.params',
    'Plan': 'pxwidgets.patterns.common.plans',
    'Registry': 'pxwidgets.patterns.common.registry',
    'Stage': 'pxwidgets.patterns.progressive',
    'Transform': 'pxwidgets.patterns.common.transforms',
    'catalog': 'pxwidgets.patterns.catalog_open',
    'catalog_fingerprint': 'pxwidgets.patterns.catalog_open',
    'default_registry': 'pxwidgets.patterns.common.registry',
    'register': 'pxwidgets.patterns.common.registry',
}

__getattr__ = lazy_getattr(__name__, _NAMES)
__all__ = sorted(_NAMES)
