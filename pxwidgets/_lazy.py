"""Lazy attribute access for the package namespaces: ``import pxwidgets`` never starts Pixeltable by itself."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[attr]`` on first use and returns its ``attr``.

    Example:
        >>> __getattr__ = lazy_getattr(__name__, {'TableBrowser': 'pxwidgets.panels.table_browser'})  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        return getattr(importlib.import_module(module), name)

    return __getattr__
