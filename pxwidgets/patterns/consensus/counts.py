"""How many rows have each combination of label values, kept up to date by counting only the rows changed since.

Every label metric of a consensus follows from the counts of its label combinations (models, consensus labels,
ground truth): one SQL ``group by``, linear in the table's rows. The counts are kept per table and set of columns,
with the table version ``V`` they hold for and the largest rowid they counted (the *watermark*). When the table has
changed since, Pixeltable's version history (``get_versions``) says how:

- only inserts (data versions with no updates and no deletes): the counts of the new rows (``rowid > watermark``)
  are added. A row's rowid never changes and inserts take increasing rowids, so the rows beyond the watermark are
  exactly the inserted ones.
- data versions with updates or deletes: the store's row versions tell what changed (read in SQL through
  :func:`pxwidgets.tables.internals.row_version_counts`, grouped by combination there): the combinations of the row
  versions live now and not at ``V`` are added, those live at ``V`` and not now are subtracted.
- anything else, everything is counted again: a schema change since ``V`` (a rebuilt consensus, an added or renamed
  column), ``V`` no longer in the history (a revert; a version number made again after one has another
  ``created_at``), a column that is not SQL over the table's own store (an unstored column computed in Python, a
  view's base column), a snapshot or a view, a database error, or an answer that contradicts the kept counts.

What Pixeltable 0.7.21 does to the store, seen on a real table (every store row is a row version
``(rowid, v_min, v_max, col_…)``, live at version ``V`` when ``v_min <= V < v_max``; ``v_max`` is
9223372036854775807 while current):

- ``update`` keeps the rowid: the old row version gets ``v_max`` = the new version, a new row version with the same
  rowid gets ``v_min`` = the new version (the computed columns recomputed in it). ``recompute_columns`` does the same
  for every row it recomputes (a data version with ``updates``).
- ``delete`` sets ``v_max`` = the new version; the row version stays in the store. Its rowid is not given again
  (rows 3 and 4 of five deleted, the next insert took rowid 5).
- ``revert`` removes the row versions made by the reverted version and sets ``v_max`` back to current on those it
  ended, so the store at every older version is as it was; the version number is then made again with another
  ``created_at``.
- ``add_computed_column`` is a schema version (``change_type`` 'schema', its ``updates`` = every row) that writes the
  values into the existing row versions in place (``v_min`` unchanged): row versions cannot tell it, hence a full
  count after any schema change.
- The store indexes ``v_min`` and ``v_max`` with BRIN indexes and ``(rowid, v_min, v_max)`` with a btree: the new
  row versions sit at the end of the heap (found through ``v_min``), but the ended ones are wherever the rows were.
  Without deletes since ``V`` each ended row version is found from its successor's rowid (the btree); after a delete
  the store is read once, filtered, not grouped (~100–170 ms at 1M rows against ~5 ms, in a synthetic store of that
  shape here).

The counts (a few hundred to a few thousand combinations per consensus) live in the kernel's memory and in a small
JSON file per table and set of columns under the Pixeltable home (``$PIXELTABLE_HOME/pxwidgets/counts``), so a new
process (a kernel restart) starts from them too; a file that no longer matches the table's history is ignored.

Example:
    >>> counted = combination_counts(t, [t.truth, t.a, t.b])  # doctest: +SKIP
    >>> counted.how, counted.version, sum(counted.counts.values())  # doctest: +SKIP
    ('full', 12, 100000)
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import pixeltable as pxt
from pixeltable.functions import count

from pxwidgets.tables.internals import row_version_counts, rowid_refs, table_id
from pxwidgets.tables.sidecar import read_record, remove_records, sidecar_dir, write_record

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
        how: ``'full'`` (every row counted now), ``'incremental'`` (the rows inserted since the last count added, or
            the row versions made and ended since added and subtracted) or ``'cached'`` (the table has not changed
            since).
        rows_counted: How many rows (row versions, when updates or deletes were read from the store) this call's SQL
            counted (0 when cached).
    """

    counts: dict[tuple[Any, ...], int]
    version: int
    created_at: str
    watermark: int | None
    how: How
    rows_counted: int


_KEPT: dict[tuple[str, tuple[str, ...]], Counted] = {}
_LOCK = threading.Lock()


KIND = 'counts'
"""The sidecar kind of kept counts (:mod:`pxwidgets.tables.sidecar`): one record per table and set of columns."""


def store_dir() -> Path:
    """Where the counts are kept on disk: ``$PIXELTABLE_HOME/pxwidgets/counts`` (``~/.pixeltable`` by default)."""
    return sidecar_dir(KIND)


def _name(key: tuple[str, tuple[str, ...]]) -> str:
    return f'{key[0]}-{hashlib.sha1(chr(0).join(key[1]).encode()).hexdigest()[:16]}'


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
    write_record(KIND, _name(key), record)


def _load(key: tuple[str, tuple[str, ...]]) -> Counted | None:
    """The counts a process wrote for this table and columns, or None."""
    record = read_record(KIND, _name(key))
    if not isinstance(record, dict):
        return None
    try:
        if record['table'] != key[0] or tuple(record['columns']) != key[1]:
            return None
        counts = {tuple(values): int(n) for values, n in record['counts']}
        watermark = None if record['watermark'] is None else int(record['watermark'])
        return Counted(counts, int(record['version']), str(record['created_at']), watermark, 'cached', 0)
    except (ValueError, KeyError, TypeError):
        return None


def forget(tbl: pxt.Table | None = None, *, on_disk: bool = True) -> None:
    """Drop the kept counts (of one table, or all; in memory and, with ``on_disk``, on disk): without them the next
    count is a full one."""
    tid = None if tbl is None else table_id(tbl)
    with _LOCK:
        for key in [k for k in _KEPT if tid is None or k[0] == tid]:
            del _KEPT[key]
        if on_disk:
            remove_records(KIND, '' if tid is None else f'{tid}-')


def _latest_version(tbl: pxt.Table) -> tuple[int, str]:
    latest = tbl.get_versions(1)[0]
    return int(latest['version']), str(latest['created_at'])


def _versions_since(tbl: pxt.Table, kept: Counted, latest: int) -> list[dict[str, Any]] | None:
    """The versions after the one the counts hold for, up to ``latest``; None when that version is no longer in the
    table's history (a revert, perhaps made again since: its ``created_at`` differs) or one is missing."""
    history = {int(v['version']): v for v in tbl.get_versions(latest - kept.version + 1)}
    counted = history.get(kept.version)
    if counted is None or str(counted['created_at']) != kept.created_at:
        return None
    versions = [history.get(v) for v in range(kept.version + 1, latest + 1)]
    return None if any(v is None for v in versions) else cast(list[dict[str, Any]], versions)


def _only_inserts(versions: Sequence[dict[str, Any]]) -> bool:
    """Whether every version only inserted rows (data versions without updates or deletes)."""
    return all(v['change_type'] == 'data' and not v['updates'] and not v['deletes'] for v in versions)


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


def _apply_row_versions(
    tbl: pxt.Table, columns: Sequence[Any], kept: Counted, versions: Sequence[dict[str, Any]], latest: tuple[int, str]
) -> Counted | None:
    """The kept counts brought to version ``latest`` by the row versions made and ended since (inserts, updates,
    deletes; see :func:`~pxwidgets.tables.internals.row_version_counts`); None when the store cannot tell or its
    answer contradicts the kept counts (a combination would have fewer than no rows): then everything is counted.

    The watermark stays the largest rowid ever counted (a deleted row's rowid is not given again): the rows beyond
    it are still exactly the ones inserted later."""
    deletes = any(v['deletes'] for v in versions)
    found = row_version_counts(tbl, columns, kept.version, latest[0], deletes=deletes)
    if found is None or kept.watermark is None:
        return None
    merged = Counter(kept.counts)
    merged.update(found.delta)
    if any(n < 0 for n in merged.values()):
        return None
    watermark = max(kept.watermark, found.newest_rowid or kept.watermark)
    return Counted({k: n for k, n in merged.items() if n > 0}, *latest, watermark, 'incremental', found.read)


def combination_counts(tbl: pxt.Table, columns: Sequence[Any], names: Sequence[str]) -> Counted:
    """How many rows have each combination of the values of ``columns`` (one SQL ``group by``; when the counts of
    an earlier version are kept, only the rows inserted since, or the row versions made and ended since).

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
    versions = None
    if kept is not None and kept.watermark is not None and kept.version < latest:
        versions = _versions_since(tbl, kept, latest)
    counted = None
    if kept is not None and versions is not None and _only_inserts(versions):
        newest = _max_rowid(tbl, rowid)
        if kept.watermark is not None and newest is not None:
            watermark = max(kept.watermark, newest)  # the largest rowid counted (or deleted since)
            delta = _group(tbl, columns, (rowid > kept.watermark) & (rowid <= watermark))
            merged = Counter(kept.counts)
            merged.update(delta)
            counted = Counted(dict(merged), latest, created_at, watermark, 'incremental', sum(delta.values()))
    elif kept is not None and versions is not None and all(v['change_type'] == 'data' for v in versions):
        counted = _apply_row_versions(tbl, columns, kept, versions, (latest, created_at))
    if counted is None:
        last = _max_rowid(tbl, rowid)
        full = {} if last is None else _group(tbl, columns, rowid <= last)
        counted = Counted(full, latest, created_at, last, 'full', sum(full.values()))
    with _LOCK:
        if counted.watermark is not None:
            _KEPT[key] = counted
            _save(key, counted)
        else:
            _KEPT.pop(key, None)
    return counted
