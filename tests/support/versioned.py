"""Setup functions for versioned-experiment tests, in a module so a fresh process can import them again."""

from __future__ import annotations

import time
from typing import Any, Literal

import pixeltable as pxt


def build_numbers(path: str, *, threshold: float = 0.5, n: int = 20, delay: float = 0.0) -> tuple[pxt.Table, dict]:
    """``{path}/items``: ids 0..n-1 with value id/n, and a computed ``flag = value > threshold``.

    Metrics: how many rows are flagged.
    """
    t = pxt.create_table(f'{path}/items', {'id': pxt.Int, 'value': pxt.Float})
    t.insert([{'id': i, 'value': i / n} for i in range(n)])
    t.add_computed_column(flag=t.value > threshold)
    if delay:
        time.sleep(delay)
    flagged = t.where(t.flag == True).count()  # noqa: E712
    return t, {'flagged': flagged, 'share': flagged / n}


def fail_midway(path: str, **params: Any) -> pxt.Table:
    """Creates one table, then fails."""
    pxt.create_table(f'{path}/half', {'id': pxt.Int})
    raise RuntimeError('the model file is missing')


def return_nothing(path: str, **params: Any) -> None:
    """Creates a table and forgets to return it."""
    pxt.create_table(f'{path}/forgotten', {'id': pxt.Int})


def outside(path: str, *, target: str) -> pxt.Table:
    """Returns a table that is not inside the run's directory."""
    return pxt.get_table(target)  # type: ignore[return-value]


def count_rows(t: pxt.Table) -> dict[str, Any]:
    """A metrics function: the row count."""
    return {'rows': t.count()}


def build_steps(
    path: str,
    *,
    threshold: float = 0.5,
    model: Literal['small', 'large'] = 'small',
    fast: bool = True,
    note: str | None = None,
    progress: Any = None,
) -> pxt.Table:
    """A setup that reports its steps (and so can be cancelled between them): ``{path}/items`` as in
    :func:`build_numbers`, with a ``model`` and a ``fast`` flag recorded as parameters."""
    t = pxt.create_table(f'{path}/items', {'id': pxt.Int, 'value': pxt.Float})
    if progress is not None:
        progress(1, 3, 'rows')
    t.insert([{'id': i, 'value': i / 20} for i in range(20)])
    if progress is not None:
        progress(2, 3, 'flag')
    t.add_computed_column(flag=t.value > threshold)
    return t


def count_flags(t: pxt.Table) -> dict[str, Any]:
    """A metrics function: how many rows are flagged."""
    return {'flags': t.where(t.flag == True).count()}  # noqa: E712
