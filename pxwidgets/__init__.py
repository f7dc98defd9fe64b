"""pxwidgets: Jupyter widgets for Pixeltable's five multimodal pipeline patterns.

Example:
    >>> import pxwidgets as pxw
    >>> pxw.TableBrowser('demo/photos')  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = '0.1.0'

from pxwidgets._lazy import lazy_getattr
from pxwidgets.panels import PANELS
from pxwidgets.patterns import PATTERNS

__getattr__ = lazy_getattr(__name__, {**PATTERNS, **PANELS})
__all__ = sorted([*PATTERNS, *PANELS, '__version__'])
