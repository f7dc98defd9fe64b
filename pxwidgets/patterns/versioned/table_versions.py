"""Pixeltable's own table versions, made usable: history, a read-only view of version N, a row diff between two
versions, snapshots, and a confirmed revert.

Example:
    >>> tv = TableVersions('demo/photos')  # doctest: +SKIP
    >>> tv.history().head(3)  # doctest: +SKIP
    >>> tv.diff(4, 6).summary()  # doctest: +SKIP
    'demo/photos v4 → v6: 0 added, 0 removed, 12 changed (changed columns: label (12))'
    >>> plan = tv.plan_revert(4)  # doctest: +SKIP
    >>> tv.revert(4, expect=plan)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.plans import Plan, PlanResult, Step, execute
from pxwidgets.patterns.versioned.diffstat import DiffStat, diff_stat
from pxwidgets.patterns.versioned.errors import HasDependentsError, UnknownVersionError
from pxwidgets.patterns.versioned.rowdiff import ChangeKind, RowDiff, row_diff
from pxwidgets.tables.history import list_versions
from pxwidgets.tables.resolve import open_table, table_path


def _describe_version(rec: dict[str, Any]) -> str:
    parts = []
    for key in ('inserts', 'updates', 'deletes'):
        if rec.get(key):
            parts.append(f'{rec[key]} {key}')
    if rec.get('schema_change'):
        parts.append(str(rec['schema_change']))
    what = ', '.join(parts) or str(rec.get('change_type') or 'no change')
    return f'version {rec["version"]} ({what})'


class TableVersions:
    """The versions of one Pixeltable table.

    Args:
        table: A table or its path.
    """

    def __init__(self, table: pxt.Table | str) -> None:
        self.path = table_path(open_table(table))

    @property
    def table(self) -> pxt.Table:
        """A fresh handle of the table (its current version)."""
        return open_table(self.path)

    @property
    def version(self) -> int:
        """The current version number."""
        return int(self.table.get_metadata()['version'])

    def versions(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Version records, newest first: version, created_at, change_type, inserts, updates, deletes, errors,
        schema_change."""
        return list_versions(self.path, limit=limit)

    def history(self, limit: int = 1000) -> pd.DataFrame:
        """The version records as a DataFrame (newest first)."""
        return pd.DataFrame.from_records(self.versions(limit))

    def _known(self) -> list[int]:
        return sorted(int(r['version']) for r in self.table.get_versions())

    def _check(self, version: Any) -> int:
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidRequestError(f'A version must be an integer, not {version!r}.')
        known = self._known()
        if version not in known:
            raise UnknownVersionError(
                f'{self.path!r} has no version {version}.',
                hint=f'Its versions are {known[0]}–{known[-1]}.' if known else None,
            )
        return version

    def at(self, version: int) -> pxt.Table:
        """A read-only handle of the table as it was at ``version`` (Pixeltable time travel)."""
        return open_table(f'{self.path}:{self._check(version)}')

    def diff(
        self, a: int, b: int | None = None, *, kind: ChangeKind | None = None, offset: int = 0, limit: int = 50
    ) -> RowDiff:
        """Rows added, removed and changed between versions ``a`` and ``b`` (the current version by default)."""
        return row_diff(self.path, a, self.version if b is None else b, kind=kind, offset=offset, limit=limit)

    def stat(self, a: int, b: int | None = None) -> DiffStat:
        """Rows added, removed, changed and unchanged, and cells changed per column, between versions ``a`` and
        ``b`` (the current version by default), like ``dolt diff --stat``."""
        return diff_stat(self.path, a, self.version if b is None else b)

    def snapshot(self, path: str | None = None, *, version: int | None = None) -> pxt.Table:
        """A named, read-only snapshot of the table at ``version`` (the current one by default).

        Refuses a path that exists. The default path is ``<table>_v<version>`` next to the table.
        """
        v = self.version if version is None else self._check(version)
        target = path or f'{self.path}_v{v}'
        source = self.table if version is None else open_table(f'{self.path}:{v}')
        snap = pxt.create_snapshot(target, source, if_exists='error')
        assert snap is not None
        return snap

    def dependents(self) -> list[str]:
        """The views and snapshots made from this table."""
        return sorted(str(v) for v in self.table.list_views())

    def plan_revert(self, to: int) -> Plan:
        """What reverting to version ``to`` would do: undo each later version, newest first.

        Raises:
            HasDependentsError: Views or snapshots depend on the table (Pixeltable 0.7.21 fails midway when it
                reverts a table with views); nothing is planned.
            UnknownVersionError: ``to`` is not a version of the table, or it is the current one.
        """
        to = self._check(to)
        current = self.version
        if to >= current:
            raise InvalidRequestError(f'{self.path!r} is at version {current}: there is nothing after {to} to revert.')
        dependents = self.dependents()
        if dependents:
            raise HasDependentsError(
                f'{self.path!r} cannot be reverted: {len(dependents)} view(s) or snapshot(s) depend on it: '
                f'{", ".join(dependents)}.',
                dependents=dependents,
                hint='Drop them first (they may show rows that the revert removes), or snapshot() the version you '
                'want instead of reverting.',
            )
        records = {int(r['version']): r for r in self.versions(limit=current - to + 1)}
        steps = [
            Step(
                'revert',
                f'{self.path}:{v}',
                f'undo {_describe_version(records.get(v, {"version": v}))}',
                run=self._revert_one(v),
                details={k: records.get(v, {}).get(k) for k in ('inserts', 'updates', 'deletes', 'schema_change')},
            )
            for v in range(current, to, -1)
        ]
        return Plan(
            f'revert {self.path} to version {to}',
            steps,
            state={'path': self.path, 'version': current, 'dependents': dependents},
            warnings=[f'versions {to + 1}–{current} are gone afterwards: their rows cannot be diffed or restored']
            if current - to > 1
            else [f'version {current} is gone afterwards: its rows cannot be diffed or restored'],
        )

    def _revert_one(self, version: int) -> Any:
        def run() -> None:
            table = self.table
            now = int(table.get_metadata()['version'])
            if now != version:  # someone else wrote in between: stop rather than undo their work
                raise InvalidRequestError(f'{self.path!r} is at version {now}, not {version}; stopped.')
            table.revert()

        return run

    def revert(self, to: int, *, expect: Plan | str) -> PlanResult:
        """Revert to version ``to`` after the user confirmed :meth:`plan_revert` (its plan or token).

        Raises:
            PlanChangedError: The table changed since the plan was made (nothing done).
            PartialExecutionError: A version could not be undone after others were (lists which).
        """
        return execute(expect, lambda: self.plan_revert(to))

    def __repr__(self) -> str:
        return f'TableVersions({self.path!r})'
