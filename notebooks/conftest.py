"""Notebook runs (``pytest notebooks --nbval-lax``): a cell fails when its output shows a warning that is ours to fix.

nbval-lax does not compare outputs and ``-W error`` filters stay in pytest's process, not in the kernel. So the kernel
gets an IPython startup file (through a private ``IPYTHONDIR``) that shows every DeprecationWarning raised in
pxwidgets' own code (Python hides those outside ``__main__``), and each cell's outputs are read after it runs: a
warning printed from pxwidgets, from a notebook cell, or any deprecation (Deprecation-, PendingDeprecation-,
FutureWarning, pandas' Pandas4Warning: how a notebook or pxwidgets calls a library) fails the cell with the
warning's text.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_STARTUP = """import warnings
warnings.filterwarnings('default', category=DeprecationWarning, module=r'pxwidgets(\\\\..*)?$')
warnings.filterwarnings('default', category=PendingDeprecationWarning, module=r'pxwidgets(\\\\..*)?$')
"""

WARNING_LINE = re.compile(r'^(?P<path>.+?):(?P<line>\d+): (?P<category>\w*Warning): (?P<message>.*)$', re.MULTILINE)
DEPRECATION = re.compile(r'Deprecat|Future|^Pandas\d+Warning$|RemovedIn')
"""Deprecation categories by name (pandas' ``Pandas4Warning`` is a DeprecationWarning too)."""


def ours(path: str, category: str) -> bool:
    """Whether a warning printed as ``path:line: category: …`` is one the project fixes.

    >>> ours('/site-packages/pandas/core/frame.py', 'FutureWarning'), ours('/tmp/ipykernel_7/1.py', 'UserWarning')
    (True, True)
    >>> ours('<string>', 'Pandas4Warning'), ours('/site-packages/torch/nn.py', 'UserWarning')
    (True, False)
    """
    cell = 'ipykernel_' in path or path.startswith('<ipython-input')
    return bool(DEPRECATION.search(category)) or cell or '/pxwidgets/' in path


def warnings_in(outputs: list[Any] | None) -> list[str]:
    """The warnings ours to fix among a cell's outputs (the stream outputs nbval collected)."""
    found = []
    for out in outputs or []:
        if out.get('output_type') != 'stream':
            continue
        for m in WARNING_LINE.finditer(out.get('text', '')):
            if ours(m['path'], m['category']):
                found.append(m.group(0))
    return found


def pytest_configure(config: pytest.Config) -> None:
    """Kernels started from here run the startup file above."""
    ipython = Path(tempfile.mkdtemp(prefix='pxw-ipython-'))
    startup = ipython / 'profile_default' / 'startup'
    startup.mkdir(parents=True)
    (startup / '00-pxwidgets-warnings.py').write_text(_STARTUP)
    os.environ['IPYTHONDIR'] = str(ipython)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a notebook cell whose outputs show a warning ours to fix."""
    result = yield
    found = warnings_in(getattr(item, 'test_outputs', None))
    if found:
        pytest.fail('the cell printed warnings:\n' + '\n'.join(found), pytrace=False)
    return result
