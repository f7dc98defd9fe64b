"""pxwidgets: Jupyter widgets for Pixeltable's five multimodal pipeline patterns.

Example:
    >>> import pxwidgets as pxw
    >>> pxw.TableBrowser('demo/photos')  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = '0.1.0'

_LAZY = {
    'TableBrowser': 'pxwidgets.panels.table_browser',
    'StageBuilder': 'pxwidgets.panels.stage_builder',
    'ProgressiveRefinement': 'pxwidgets.patterns',
}


def __getattr__(name: str) -> Any:
    """Import panels lazily: ``import pxwidgets`` stays cheap and never starts Pixeltable by itself."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ['ProgressiveRefinement', 'StageBuilder', 'TableBrowser', '__version__']
