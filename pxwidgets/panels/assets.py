"""Where a panel's JavaScript and CSS come from: the bundles esbuild writes to ``pxwidgets/static/``.

A checkout whose bundles were not built yet still imports; its panels say what to run instead of rendering.

Example:
    >>> isinstance(esm('table_browser'), (str, pathlib.Path))
    True
"""

from __future__ import annotations

import json
import pathlib

STATIC = pathlib.Path(__file__).resolve().parent.parent / 'static'

_MISSING = """export default {{ render({{ el }}) {{
  const p = document.createElement('pre');
  p.textContent = {message};
  el.replaceChildren(p);
}} }};"""


def esm(entry: str) -> pathlib.Path | str:
    """The ES module of a panel entry (a path, so ``ANYWIDGET_HMR=1`` reloads it), or a module that explains."""
    path = STATIC / f'{entry}.js'
    if path.exists():
        return path
    message = f'pxwidgets: the JavaScript bundle {path.name} is missing. Build it with `npm ci && npm run build`.'
    return _MISSING.format(message=json.dumps(message))


def css(entry: str) -> pathlib.Path | str:
    """The CSS bundle of a panel entry ('' when it has none or was not built)."""
    path = STATIC / f'{entry}.css'
    return path if path.exists() else ''
