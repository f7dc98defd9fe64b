"""UDFs and setup functions of the shared small catalog (``tests/support/catalog.py``), in a module so that the
columns and experiment runs built on them survive a process restart."""

from __future__ import annotations

from typing import Any

import pixeltable as pxt


@pxt.udf
def fail_on_title(title: str, n: int) -> int:
    """``n``, but fails on odd rows with the row's title as the error message (so error messages are data too)."""
    if n % 2:
        raise ValueError(title)
    return n


def build_run(path: str, *, threshold: float, note: str = '', metric: str = 'flagged') -> tuple[pxt.Table, dict]:
    """An experiment run: ``{path}/items`` (ten rows, a computed flag) and one metric named ``metric``."""
    t = pxt.create_table(f'{path}/items', {'id': pxt.Int, 'value': pxt.Float, 'note': pxt.String})
    t.insert({'id': i, 'value': i / 10, 'note': note} for i in range(10))
    t.add_computed_column(flag=t.value > threshold)
    flagged = t.where(t.flag == True).count()  # noqa: E712
    metrics: dict[str, Any] = {metric: flagged, 'share': flagged / 10}
    return t, metrics
