"""Snapshots of an evaluation: its window table and the evaluated rows frozen together, listed in an index table,
and compared with the evaluation as it is now.

Example:
    >>> snap = ev.snapshot('before_retrain')  # doctest: +SKIP
    >>> compare_windows(snap, ev.to_pandas())[['label', 'accuracy_then', 'accuracy_now']]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.incremental.store import Store, get_table

NAME = re.compile(r'[A-Za-z][A-Za-z0-9_]{0,60}')
"""A snapshot name: letters, digits and _."""


@dataclass(frozen=True)
class EvaluationSnapshot:
    """A frozen evaluation state: snapshots of the window table and of the evaluated rows."""

    name: str
    windows_path: str
    rows_path: str
    created_at: str
    table_version: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    def windows(self) -> pd.DataFrame:
        """The window table as it was."""
        tbl = get_table(self.windows_path)
        return tbl.order_by(tbl.bucket).collect().to_pandas()


def list_snapshots(store: Store) -> list[EvaluationSnapshot]:
    """Every snapshot taken, oldest first."""
    if not store.has_snapshots():
        return []
    index = store.snapshot_index
    return [
        EvaluationSnapshot(
            str(r['name']),
            str(r['windows']),
            str(r['rows']),
            r['created_at'].isoformat(),
            int(r['table_version']),
            r['settings'] or {},
        )
        for r in index.order_by(index.created_at).collect()
    ]


def find_snapshot(store: Store, name: str) -> EvaluationSnapshot:
    """The snapshot called ``name``.

    Raises:
        InvalidRequestError: There is none.
    """
    for snap in list_snapshots(store):
        if snap.name == name:
            return snap
    raise InvalidRequestError(f'No snapshot named {name!r}.')


def snapshot_name(store: Store, name: str | None, now: datetime.datetime) -> str:
    """A valid, free snapshot name (default: the time, ``s20260101T120000``).

    Raises:
        InvalidRequestError: If the name is not an identifier or is taken.
    """
    name = name or now.strftime('s%Y%m%dT%H%M%S')
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidRequestError(f'A snapshot name is letters, digits and _, got {name!r}.')
    if any(s.name == name for s in list_snapshots(store)):
        raise InvalidRequestError(f'There is a snapshot named {name!r} already.')
    return name


def take_snapshot(
    store: Store, tbl: pxt.Table, name: str, now: datetime.datetime, version: int, settings: Mapping[str, Any]
) -> EvaluationSnapshot:
    """Freeze the window table and the evaluated rows (the caller refreshed first and checked the name)."""
    index = store.snapshot_index  # made with the first snapshot, with the snapshots/ directory
    base = f'{store.dir}/snapshots/{name}'
    pxt.create_snapshot(base, store.windows_table, comment=f'windows of evaluation {store.spec.name}')
    pxt.create_snapshot(f'{base}_rows', tbl, comment=f'rows of {store.spec.table} at snapshot {name}')
    row = {
        'name': name,
        'windows': base,
        'rows': f'{base}_rows',
        'created_at': now,
        'table_version': version,
        'settings': dict(settings),
    }
    index.insert([row])
    return EvaluationSnapshot(name, base, f'{base}_rows', now.isoformat(), version, dict(settings))


def compare_windows(snap: EvaluationSnapshot, now: pd.DataFrame) -> pd.DataFrame:
    """Metrics per window at a snapshot and now (the window table ``now``), side by side (``*_then``, ``*_now``,
    ``*_change``)."""
    cols = ['bucket', 'label', 'rows', 'pending', 'accuracy', 'f1']
    merged = (
        snap.windows()[cols]
        .merge(now[cols], on=['bucket', 'label'], how='outer', suffixes=('_then', '_now'))
        .sort_values('bucket')
    )
    for metric in ('accuracy', 'f1'):
        merged[f'{metric}_change'] = merged[f'{metric}_now'] - merged[f'{metric}_then']
    return merged.reset_index(drop=True)
