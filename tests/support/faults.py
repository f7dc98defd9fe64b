"""Slow UDFs and setup functions for the fault and race suites, in a module so that a new process finds them.

Each touches the file named by ``PXW_FAULT_MARKER`` (when set) as soon as it runs, so a test knows the write it is
part of has started and can kill the process in the middle of it; each then takes its time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pixeltable as pxt
from pixeltable.func import Batch

PAUSE = float(os.environ.get('PXW_FAULT_PAUSE', '0.15'))


def mark() -> None:
    """Say 'the write has started' (touch the marker file), then pause."""
    marker = os.environ.get('PXW_FAULT_MARKER')
    if marker:
        Path(marker).touch()
    time.sleep(PAUSE)


@pxt.udf
def slow_double(n: int) -> int:
    """``2 * n``, slowly."""
    mark()
    return 2 * n


@pxt.udf
def slow_label(n: int) -> str:
    """A slow 'model': the label ``'even'`` or ``'odd'``."""
    mark()
    return 'even' if n % 2 == 0 else 'odd'


@pxt.udf(batch_size=4)
def slow_embed(texts: Batch[str]) -> Batch[pxt.Array[(8,), pxt.Float]]:  # type: ignore[misc]
    """A slow, cheap embedding: letter counts of 8 letters, normalised."""
    mark()
    out = []
    for text in texts:
        v = np.array([text.lower().count(c) for c in 'etaoinsr'], dtype=np.float32) + 1
        out.append(v / np.linalg.norm(v))
    return out


def slow_setup(path: str, *, n: int = 5) -> pxt.Table:
    """An experiment run that creates a table, then takes its time (killed in the middle by the fault suite)."""
    t = pxt.create_table(f'{path}/items', {'id': pxt.Int})
    t.insert({'id': i} for i in range(n))
    for _ in range(400):
        mark()
    return t


def quick_setup(path: str, *, n: int = 5) -> pxt.Table:
    """An experiment run that creates one table of ``n`` rows."""
    t = pxt.create_table(f'{path}/items', {'id': pxt.Int})
    t.insert({'id': i} for i in range(n))
    return t


def pause_after(obj: Any, name: str, calls: int = 1) -> None:
    """Make ``obj.name`` mark and sleep for good after its ``calls``-th call returns (to be killed right there)."""
    original: Callable[..., Any] = getattr(obj, name)
    count = {'n': 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        count['n'] += 1
        if count['n'] >= calls:
            while True:
                mark()
        return result

    setattr(obj, name, wrapper)
