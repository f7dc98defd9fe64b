"""A diff summary like ``dolt diff --stat``: rows added, removed, changed and unchanged, and cells changed per column
— the counts of a :class:`~pxwidgets.patterns.versioned.rowdiff.RowDiff` (no row pulled) and both versions' row
counts.

Example:
    >>> print(diff_stat('demo/photos', 3, 5))  # doctest: +SKIP
    demo/photos v3 → v5
    ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd
import pixeltable as pxt

from pxwidgets.patterns.versioned.records import DiffStatInfo
from pxwidgets.patterns.versioned.rowdiff import RowDiff, row_diff
from pxwidgets.tables.resolve import open_table


@dataclass(frozen=True, repr=False)
class DiffStat:
    """The summary of a row diff: its counts, and the row counts of both versions."""

    diff: RowDiff
    """The diff it summarises (counts only: no rows)."""
    rows_a: int
    rows_b: int

    @property
    def path(self) -> str:
        return self.diff.path

    @property
    def a(self) -> int:
        return self.diff.a

    @property
    def b(self) -> int:
        return self.diff.b

    @property
    def added(self) -> int:
        return self.diff.added

    @property
    def removed(self) -> int:
        return self.diff.removed

    @property
    def changed(self) -> int:
        return self.diff.changed

    @property
    def cells_changed(self) -> dict[str, int]:
        """Column -> how many of the rows present in both versions have another value there."""
        return self.diff.changed_by_column

    @property
    def notes(self) -> list[str]:
        return self.diff.notes

    @property
    def columns_a(self) -> int:
        return sum(1 for c in self.diff.columns if c.status != 'added')

    @property
    def columns_b(self) -> int:
        return sum(1 for c in self.diff.columns if c.status != 'removed')

    @property
    def unchanged(self) -> int:
        return self.rows_b - self.added - self.changed

    @property
    def cells_added(self) -> int:
        return self.added * self.columns_b

    @property
    def cells_removed(self) -> int:
        return self.removed * self.columns_a

    @property
    def cells_modified(self) -> int:
        return sum(self.diff.changed_by_column.values())

    def to_pandas(self) -> pd.DataFrame:
        """One row per compared column: cells changed, and their share of the rows present in both versions."""
        both = max(self.rows_b - self.added, 1)
        return pd.DataFrame(
            [{'column': c, 'cells_changed': n, 'share': n / both} for c, n in self.cells_changed.items()],
            columns=['column', 'cells_changed', 'share'],
        )

    def to_json(self) -> DiffStatInfo:
        """Every field of :class:`~pxwidgets.patterns.versioned.records.DiffStatInfo`, read from this summary."""
        return cast(DiffStatInfo, {key: getattr(self, key) for key in DiffStatInfo.__annotations__})

    def __str__(self) -> str:
        def pct(n: int, of: int) -> str:
            return f'({100 * n / of:.2f}%)' if of else ''

        cells_a = self.rows_a * self.columns_a
        lines = [
            f'{self.path} v{self.a} → v{self.b}',
            f'{self.unchanged:,} Rows Unmodified {pct(self.unchanged, self.rows_a)}',
            f'{self.added:,} Rows Added {pct(self.added, self.rows_a)}',
            f'{self.removed:,} Rows Deleted {pct(self.removed, self.rows_a)}',
            f'{self.changed:,} Rows Modified {pct(self.changed, self.rows_a)}',
            f'{self.cells_added:,} Cells Added {pct(self.cells_added, cells_a)}',
            f'{self.cells_removed:,} Cells Deleted {pct(self.cells_removed, cells_a)}',
            f'{self.cells_modified:,} Cells Modified {pct(self.cells_modified, cells_a)}',
            f'({self.rows_a:,} Row Entries vs {self.rows_b:,} Row Entries)',
        ]
        lines += [f'  {c}: {n:,} cells changed' for c, n in self.cells_changed.items() if n]
        return '\n'.join(lines)

    __repr__ = __str__


def diff_stat(table_or_path: pxt.Table | str, a: int, b: int) -> DiffStat:
    """The summary of :func:`~pxwidgets.patterns.versioned.rowdiff.row_diff` between versions ``a`` and ``b``, like
    ``dolt diff --stat``.

    Example:
        >>> print(diff_stat('demo/photos', 3, 5))  # doctest: +SKIP
    """
    diff = row_diff(table_or_path, a, b, limit=0)
    rows = {v: open_table(f'{diff.path}:{v}').count() for v in (diff.a, diff.b)}
    return DiffStat(diff, rows_a=rows[diff.a], rows_b=rows[diff.b])
