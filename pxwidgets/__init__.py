"""pxwidgets: Jupyter widgets for Pixeltable's five multimodal pipeline patterns.

Example:
    >>> import pxwidgets as pxw
    >>> pxw.TableBrowser('demo/photos')  # doctest: +SKIP
    >>> pxw.patterns.catalog()  # every pattern of the catalog  # doctest: +SKIP
    >>> pipeline, = pxw.open('demo/videos')  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = '0.1.0'

from pxwidgets._lazy import lazy_getattr
from pxwidgets.panels import PANELS
from pxwidgets.patterns import PATTERNS

FUNCTIONS = {'open': 'pxwidgets.patterns.catalog_open'}
"""Functions of the top namespace: ``pxw.open(path)`` gives the pattern objects on a table or directory."""

__getattr__ = lazy_getattr(__name__, {**PATTERNS, **PANELS, **FUNCTIONS})
__all__ = sorted([*PATTERNS, *PANELS, '__version__'])  # not 'open': `from pxwidgets import *` must keep the builtin
