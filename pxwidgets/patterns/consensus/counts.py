"""How many rows have each combination of label values, kept up to date by counting only the rows inserted since.

Every label metric of a consensus follows from the counts of its label combinations (models, consensus labels,
ground truth): one SQL ``group by``, linear in the table's rows. The counts are kept per table and set of columns,
with the table version they hold for and the largest rowid they counted (the *watermark*). When the table has
changed since only by inserts (every version since is a data version with no updates and no deletes, from
Pixeltable's version history), the counts of the new rows (``rowid > watermark``) are added; after an update, a
delete or a schema change (a rebuilt consensus, an added column) everything is counted again. A row's rowid never
changes and inserts take increasing rowids, so the rows beyond the watermark are exactly the inserted ones.

The counts (a few hundred to a few thousand combinations per consensus) live in the kernel's memory and in a small
JSON file per table and set of columns under the Pixeltable home (``$PIXELTABLE_HOME/pxwidgets/counts``), so a new
process (a kernel restart) starts from them too; a file that no longer matches the table's history is ignored.

Example:
    >>> counted = combination_counts(t, [t.truth, t.a, t.b])  # doctest: +SKIP
    >>> counted.how, counted.version, sum(counted.counts.values())  # doctest: +SKIP
    ('full', 12, 100000)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import pixeltable as pxt
from pixeltable.functions import count

from pxwidgets.tables.internals import rowid_refs, table_id

How = Literal['full', 'incremental', 'cached']


@dataclass(frozen=True)
class Counted:
    """Combination counts and how fresh they are.

    Attributes:
        counts: ``{(value of each column, …): rows}`` (combinations with rows only; missing values are None).
        version: The table version they hold for.
        created_at: When that version was made (a version number comes back after ``revert()``: this tells them
            apart).
        watermark: The largest rowid counted (None: the table has no single rowid column, nothing is kept).
        how: ``'full'`` (every row counted now), ``'incremental'`` (the rows inserted since the last count added)
            or ``'cached'`` (the table has not changed since).
        rows_counted: How many rows this call's SQL counted (0 when cached).
    """

    counts: dict[tuple[Any, ...], int]
    version: int
    created_at: str
    watermark: int | None
    how: How
    rows_counted: int


_KEPT: dict[tuple[str, tuple[str, ...]], Counted] = {}
_LOCK = threading.Lock()


def store_dir() -> Path:
    """Where the counts are kept on disk: ``$PIXELTABLE_HOME/pxwidgets/counts`` (``~/.pixeltable`` by default)."""
    home = os.environ.get('PIXELTABLE_HOME') or str(Path.home() / '.pixeltable')
    return Path(home) / 'pxwidgets' / 'counts'


def _file(key: tuple[str, tuple[str, ...]]) -> Path:
    digest = hashlib.sha1('\0'.join(key[1]).encode()).hexdigest()[:16]
    return store_dir() / f'{key[0]}-{digest}.json'


def _save(key: tuple[str, tuple[str, ...]], counted: Counted) -> None:
    """Write the counts next to the catalog (atomically; a failure only costs a full count in a new process)."""
    record = {
        'table': key[0],
        'columns': list(key[1]),
        'version': counted.version,
        'created_at': counted.created_at,
        'watermark': counted.watermark,
        'counts': [[list(values), n] for values, n in counted.counts.items()],
    }
    path = _file(key)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix='.tmp')
        with os.fdopen(fd, 'w') as out:
            json.dump(record, out)
        os.replace(tmp, path)


def _load(key: tuple[str, tuple[str, ...]]) -> Counted | None:
    """The counts a process wrote for this table and columns, or None."""
    try:
        record = json.loads(_file(key).read_text())
        if record['table'] != key[0] or tuple(record['columns']) != key[1]:
            return None
        counts = {tuple(values): int(n) for values, n in record['counts']}
        watermark = None if record['watermark'] is None else int(record['watermark'])
        return Counted(counts, int(record['version']), str(record['created_at']), watermark, 'cached', 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(tbl: pxt.Table | None = None, *, on_disk: bool = True) -> None:
    """Drop the kept counts (of one table, or all; in memory and, with ``on_disk``, on disk): without them the next
    count is a full one."""
    tid = None if tbl is None else table_id(tbl)
    with _LOCK:
        for key in [k for k in _KEPT if tid is None or k[0] == tid]:
            del _KEPT[key]
        if on_disk and store_dir().is_dir():
            for path in store_dir().glob('*.json' if tid is None else f'{tid}-*.json'):
                path.unlink(missing_ok=True)


def _latest_version(tbl: pxt.Table) -> tuple[int, str]:
    latest = tbl.get_versions(1)[0]
    return int(latest['version']), str(latest['created_at'])


def _only_inserts_since(tbl: pxt.Table, kept: Counted, latest: int) -> bool:
    """Whether the version the counts hold for is still in the table's history (not reverted and made again) and
    every version after it up to ``latest`` only inserted rows."""
    history = {int(v['version']): v for v in tbl.get_versions(latest - kept.version + 1)}
    counted = history.get(kept.version)
    if counted is None or str(counted['created_at']) != kept.created_at:
        return False
    versions = [history.get(v) for v in range(kept.version + 1, latest + 1)]
    return all(v is not None and v['change_type'] == 'data' and not v['updates'] and not v['deletes'] for v in versions)


def _max_rowid(tbl: pxt.Table, rowid: Any) -> int | None:
    rs = tbl.order_by(rowid, asc=False).select(r=rowid).limit(1).collect()
    return int(rs[0]['r']) if len(rs) else None


def _group(tbl: pxt.Table, columns: Sequence[Any], where: Any) -> dict[tuple[Any, ...], int]:
    select = {f'k{i}': col for i, col in enumerate(columns)}
    counter = cast(Any, count)(rowid_refs(tbl)[0])
    query = tbl.where(where) if where is not None else tbl
    rs = query.group_by(*columns).select(**select, n=counter).collect()
    found: Counter[tuple[Any, ...]] = Counter()
    for row in rs:
        if row['n']:
            found[tuple(row[f'k{i}'] for i in range(len(columns)))] += int(row['n'])
    return dict(found)


def combination_counts(tbl: pxt.Table, columns: Sequence[Any], names: Sequence[str]) -> Counted:
    """How many rows have each combination of the values of ``columns`` (one SQL ``group by``, over the rows
    inserted since the last count when only inserts happened since).

    Args:
        tbl: The table.
        columns: The expressions to group by (stored columns: what SQL reads).
        names: Their names (with the table, what the counts are kept under).

    Example:
        >>> combination_counts(t, [t.truth, t.a], ['truth', 'a']).counts  # doctest: +SKIP
        {(3, 3): 912, (3, 5): 41, …}
    """
    refs = rowid_refs(tbl)
    latest, created_at = _latest_version(tbl)  # read before the rows: a version committed meanwhile is seen next time
    if len(refs) != 1:  # a view over an iterator: no single increasing rowid, count every time
        every = _group(tbl, columns, None)
        return Counted(every, latest, created_at, None, 'full', sum(every.values()))
    rowid = refs[0]
    key = (table_id(tbl), tuple(names))
    with _LOCK:
        kept = _KEPT.get(key)
    if kept is None:
        kept = _load(key)  # counted by an earlier process
        if kept is not None:
            with _LOCK:
                _KEPT[key] = kept
    if kept is not None and kept.version == latest and kept.created_at == created_at:
        return Counted(dict(kept.counts), latest, created_at, kept.watermark, 'cached', 0)
    watermark = _max_rowid(tbl, rowid)
    if watermark is None:
        counted = Counted({}, latest, created_at, None, 'full', 0)
    elif (
        kept is not None
        and kept.watermark is not None
        and kept.version < latest
        and _only_inserts_since(tbl, kept, latest)
    ):
        delta = _group(tbl, columns, (rowid > kept.watermark) & (rowid <= watermark))
        merged = Counter(kept.counts)
        merged.update(delta)
        counted = Counted(dict(merged), latest, created_at, watermark, 'incremental', sum(delta.values()))
    else:
        full = _group(tbl, columns, rowid <= watermark)
        counted = Counted(full, latest, created_at, watermark, 'full', sum(full.values()))
    with _LOCK:
        if counted.watermark is not None:
            _KEPT[key] = counted
            _save(key, counted)
        else:
            _KEPT.pop(key, None)
    return counted
