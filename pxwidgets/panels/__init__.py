"""anywidget panels: thin views over the pattern library. One module per panel, imported lazily.

Example:
    >>> from pxwidgets.panels import TableBrowser
    >>> TableBrowser('demo/photos')  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets._lazy import lazy_getattr

PANELS = {
    'TableBrowser': 'pxwidgets.panels.table_browser',
    'StageBuilder': 'pxwidgets.panels.stage_builder',
    'ConsensusGrid': 'pxwidgets.panels.consensus_grid',
    'CascadeSearch': 'pxwidgets.panels.cascade_search',
    'DriftDashboard': 'pxwidgets.panels.drift_dashboard',
    'ExperimentTimeline': 'pxwidgets.panels.experiment_timeline',
    'PatternHub': 'pxwidgets.panels.pattern_hub',
}
"""Every panel class and the module that defines it."""

__getattr__ = lazy_getattr(__name__, PANELS)
__all__ = sorted(PANELS)
