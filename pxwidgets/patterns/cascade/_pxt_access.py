"""Private Pixeltable access the cascade needs (to move into ``pxwidgets.tables.internals``).

- :func:`read_transaction`: run several queries inside one read transaction of Pixeltable's catalog. Outside a
  transaction, every column reference of every query re-validates the table's metadata in its own transaction; one
  search over three levels (eight expressions each) then spends ~100 ms per level on catalog round trips alone, ~10 ms
  inside one transaction. It also gives every level the same snapshot of the data.

Example:
    >>> with read_transaction([t for t, _ in levels]):  # doctest: +SKIP
    ...     rows = [t.order_by(sim, asc=False).limit(5).collect() for t, sim in levels]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pixeltable as pxt


@contextlib.contextmanager
def read_transaction(tables: Sequence[pxt.Table]) -> Iterator[None]:
    """One read-only catalog transaction around the block, over ``tables`` (their metadata is refreshed first).

    Every table the block reads must be listed (or be a base of one listed): Pixeltable refuses to load changed
    metadata in the middle of a transaction.
    """
    from pixeltable.runtime import get_runtime

    paths = [cast(Any, t)._tbl_version_path for t in tables]
    with get_runtime().catalog.begin_xact(for_write=False, read_tvps=paths):
        yield
