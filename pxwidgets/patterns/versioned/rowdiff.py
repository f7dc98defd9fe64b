"""Row diff between two versions of one Pixeltable table: added, removed and changed rows, and what changed.

Pixeltable keeps every version of a table's rows (time travel, ``pxt.get_table('dir/t:4')``) but has no diff.
This one runs in the database and reads only the row versions that were written between the two versions (see
:mod:`~pxwidgets.tables.internals`), so a diff of a 100k-row table where 1 % changed reads about 2 %
of its rows. Values are compared as stored: media columns by their file reference (never decoded), JSON as
``jsonb``, arrays as their stored bytes. Columns computed on read (not stored) are not compared: they follow from
the stored columns they are computed from.

A row is *changed* when a stored column present in both versions holds a different value; an update that wrote
the same values again is not a change.

Example:
    >>> d = row_diff('demo/photos', 3, 5)  # doctest: +SKIP
    >>> d.added, d.removed, d.changed, d.changed_by_column  # doctest: +SKIP
    (2, 1, 4, {'label': 4})
    >>> d.to_pandas().head()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pixeltable as pxt
import sqlalchemy as sql
from sqlalchemy.dialects.postgresql import JSONB

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.versioned.errors import DiffNotSupportedError, UnknownVersionError
from pxwidgets.patterns.versioned.records import DiffColumnInfo
from pxwidgets.tables import internals as access
from pxwidgets.tables.resolve import open_table, table_path

ChangeKind = Literal['added', 'removed', 'changed']
CHANGE_KINDS: tuple[ChangeKind, ...] = ('added', 'removed', 'changed')
MAX_DIFF_LIMIT = 500


@dataclass(frozen=True)
class _Facts:
    """The columns of one side of a view's diff (the base's and the view's own, under distinct names)."""

    columns: list[access.StoreColumn]


@dataclass(frozen=True)
class DiffColumn:
    """A column shown in a diff, and whether its values were compared."""

    name: str
    type_text: str
    kind: str
    is_media: bool
    compared: bool
    status: Literal['both', 'added', 'removed']
    """Whether the column exists in both versions, only in the newer one or only in the older one."""
    note: str = ''

    def to_json(self) -> DiffColumnInfo:
        return {
            'name': self.name,
            'type_text': self.type_text,
            'kind': self.kind,
            'is_media': self.is_media,
            'compared': self.compared,
            'status': self.status,
            'note': self.note,
        }


@dataclass(frozen=True)
class RowChange:
    """One row that differs: its row id, how it changed, its values before and after, the columns that differ."""

    rowid: tuple[Any, ...]
    change: ChangeKind
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class RowDiff:
    """What differs between versions ``a`` and ``b`` of a table (``a < b``), with one window of the changed rows."""

    path: str
    a: int
    b: int
    added: int
    removed: int
    changed: int
    changed_by_column: dict[str, int]
    columns: list[DiffColumn]
    rows: list[RowChange]
    offset: int
    limit: int
    kind: ChangeKind | None
    elapsed_ms: float
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Rows that differ in any way (of the selected kind, if one was selected)."""
        if self.kind is not None:
            return {'added': self.added, 'removed': self.removed, 'changed': self.changed}[self.kind]
        return self.added + self.removed + self.changed

    def to_pandas(self) -> pd.DataFrame:
        """The window of rows: ``change``, ``changed`` (column names), then ``col`` / ``col (before)`` pairs."""
        records = []
        for row in self.rows:
            rec: dict[str, Any] = {'rowid': row.rowid[0] if len(row.rowid) == 1 else row.rowid, 'change': row.change}
            rec['changed'] = ', '.join(row.changed)
            for col in self.columns:
                rec[col.name] = (row.after or {}).get(col.name) if row.after is not None else None
                if row.change != 'added' and col.status != 'added':
                    rec[f'{col.name} (before)'] = (row.before or {}).get(col.name)
            records.append(rec)
        return pd.DataFrame.from_records(records)

    def summary(self) -> str:
        cols = ', '.join(f'{k} ({v})' for k, v in self.changed_by_column.items() if v) or 'none'
        return (
            f'{self.path} v{self.a} → v{self.b}: {self.added} added, {self.removed} removed, {self.changed} changed '
            f'(changed columns: {cols})'
        )

    def __repr__(self) -> str:
        return self.summary()


def _check_versions(table: pxt.Table, a: int, b: int) -> list[int]:
    for name, v in (('a', a), ('b', b)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise InvalidRequestError(f'Version {name} must be an integer, not {v!r}.')
    known = sorted(int(rec['version']) for rec in table.get_versions())
    for v in (a, b):
        if v not in known:
            raise UnknownVersionError(
                f'{table_path(table)!r} has no version {v}.',
                hint=f'Its versions are {known[0]}–{known[-1]}.' if known else None,
                details={'known': known[-50:]},
            )
    if a == b:
        raise InvalidRequestError(f'Both versions are {a}: pick two different versions to compare.')
    return known


def _columns(
    old: access.StoreFacts | _Facts, new: access.StoreFacts | _Facts
) -> tuple[list[DiffColumn], list[str], list[str]]:
    """The stored columns to show, the store names compared, and notes on what was not compared."""
    old_by_id = {c.id: c for c in old.columns if c.store_name is not None}
    new_by_id = {c.id: c for c in new.columns if c.store_name is not None}
    notes = [f'{c.name}: computed on read (not stored), not compared' for c in new.columns if c.store_name is None]
    shown: list[DiffColumn] = []
    compared: list[str] = []
    for col in new_by_id.values():
        before = old_by_id.get(col.id)
        if before is None:
            shown.append(DiffColumn(col.name, col.type_text, col.kind, col.is_media, False, 'added'))
            continue
        same = before.type_text == col.type_text
        note = '' if same else f'type changed from {before.type_text}: not compared'
        if note:
            notes.append(f'{col.name}: {note}')
        else:
            compared.append(str(col.store_name))
        shown.append(DiffColumn(col.name, col.type_text, col.kind, col.is_media, same, 'both', note))
    for col in old_by_id.values():
        if col.id not in new_by_id:
            shown.append(DiffColumn(col.name, col.type_text, col.kind, col.is_media, False, 'removed'))
    return shown, compared, notes


def _display(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == 'array' and isinstance(value, bytes | memoryview):
        try:
            return np.load(io.BytesIO(bytes(value)), allow_pickle=False)
        except Exception:
            return f'<{len(value)} bytes>'
    return value


_REFUSED = {
    'component': 'an iterator view: its rows are made by the iterator from each base row (a changed base row '
    'gives new rows, not changed ones), so there are no rows to match across versions.',
    'snapshot': 'a snapshot with columns or a filter of its own: it has one version, so there is nothing to diff '
    'between its versions.',
    'pure_snapshot': 'a snapshot: the base table at one version; it has no versions of its own to diff.',
}


def _cellmd_of(old: list[access.StoreColumn], new: list[access.StoreColumn], compared: list[str]) -> dict[str, str]:
    old_cellmd = {c.cellmd_name for c in old if c.cellmd_name is not None}
    return {
        str(c.store_name): c.cellmd_name
        for c in new
        if c.store_name in compared and c.cellmd_name is not None and c.cellmd_name in old_cellmd
    }


def _table_sides(path: str, current: access.StoreFacts, a: int, b: int) -> tuple[Any, ...]:
    """The rows of a table written between versions a and b: as they were at a (old) and are at b (new)."""
    old_facts = access.store_of(open_table(f'{path}:{a}'))
    new_facts = access.store_of(open_table(f'{path}:{b}'))
    store = current.table
    rid = current.rowid_columns
    old_names = [c.store_name for c in old_facts.columns if c.store_name is not None]
    new_names = [c.store_name for c in new_facts.columns if c.store_name is not None]
    # the cell metadata of every stored column: a value kept in a file, or an error, leaves the value column NULL
    old_md = sorted({c.cellmd_name for c in old_facts.columns if c.cellmd_name is not None})
    new_md = sorted({c.cellmd_name for c in new_facts.columns if c.cellmd_name is not None})
    old = (
        sql.select(*[store.c[n] for n in rid + old_names + old_md])
        .where(store.c.v_min <= a, store.c.v_max > a, store.c.v_max <= b)
        .cte('pxw_old')
    )
    new = (
        sql.select(*[store.c[n] for n in rid + new_names + new_md])
        .where(store.c.v_min > a, store.c.v_min <= b, store.c.v_max > b)
        .cte('pxw_new')
    )
    return old_facts, new_facts, rid, old, new, []


def _aliased(cols: list[access.StoreColumn], prefix: str, id_offset: int) -> list[access.StoreColumn]:
    return [
        dataclasses.replace(
            c,
            id=c.id + id_offset,
            store_name=f'{prefix}{c.store_name}' if c.store_name else None,
            cellmd_name=f'{prefix}{c.cellmd_name}' if c.cellmd_name else None,
        )
        for c in cols
    ]


def _view_sides(path: str, a: int, b: int) -> tuple[Any, ...]:
    """A filtered view's rows at versions a and b: its own store (which rows are in it, its own columns) joined to
    the base's row versions of the base versions it saw then. Only rows whose view row or base row was written in
    between are read."""
    sides = []
    for v in (a, b):
        handle = open_table(f'{path}:{v}')
        facts = access.view_facts(handle)
        assert facts is not None
        sides.append(
            (access.store_of(handle), facts, access.store_of(open_table(f'{facts.base_path}:{facts.base_version}')))
        )
    (view_a, facts_a, base_a), (view_b, facts_b, base_b) = sides
    vs, bs = view_a.table, base_a.table
    rid = view_a.rowid_columns
    lo, hi = facts_a.base_version, facts_b.base_version

    def written(store: sql.Table, x: int, y: int) -> Any:
        return sql.select(*[store.c[n] for n in rid]).where(
            sql.or_(sql.and_(store.c.v_min > x, store.c.v_min <= y), sql.and_(store.c.v_max > x, store.c.v_max <= y))
        )

    candidates = written(vs, a, b).union(written(bs, lo, hi)).cte('pxw_touched')
    offset = 1 + max([c.id for c in base_a.columns + base_b.columns], default=0)

    def side(view_facts: access.StoreFacts, base_facts: access.StoreFacts, v: int, bv: int, name: str) -> Any:
        base_cols = [c for c in base_facts.columns if c.store_name is not None]
        own_cols = [c for c in view_facts.columns if c.store_name is not None]
        picked = [bs.c[n].label(f'b_{n}') for c in base_cols for n in (c.store_name, c.cellmd_name) if n]
        picked += [vs.c[n].label(f'w_{n}') for c in own_cols for n in (c.store_name, c.cellmd_name) if n]
        joined = vs.join(bs, sql.and_(*[vs.c[n] == bs.c[n] for n in rid])).join(
            candidates, sql.and_(*[vs.c[n] == candidates.c[n] for n in rid])
        )
        query = sql.select(*[vs.c[n] for n in rid], *picked).select_from(joined)
        return query.where(vs.c.v_min <= v, vs.c.v_max > v, bs.c.v_min <= bv, bs.c.v_max > bv).cte(name)

    old = side(view_a, base_a, a, lo, 'pxw_old')
    new = side(view_b, base_b, b, hi, 'pxw_new')
    old_facts = _Facts(_aliased(base_a.columns, 'b_', 0) + _aliased(view_a.columns, 'w_', offset))
    new_facts = _Facts(_aliased(base_b.columns, 'b_', 0) + _aliased(view_b.columns, 'w_', offset))
    note = f'a view: its rows at v{a} and v{b} follow from {facts_a.base_path} at v{lo} and v{hi} and its filter'
    return old_facts, new_facts, rid, old, new, [note]


def row_diff(
    table_or_path: pxt.Table | str,
    a: int,
    b: int,
    *,
    kind: ChangeKind | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RowDiff:
    """Compare two versions of one table row by row, in the database.

    Args:
        table_or_path: The table (or its path), or a filtered view (its rows at each version follow from its
            base's row versions and its filter). Iterator views and snapshots are refused (see
            :func:`diff_snapshot`).
        a: The older version (swapped with ``b`` if it is the newer one).
        b: The newer version.
        kind: Only rows that were ``'added'``, ``'removed'`` or ``'changed'`` (all by default).
        offset: The first row of the window of rows returned (ordered by row id).
        limit: How many rows to return (1–500); the counts always cover every row.

    Raises:
        UnknownVersionError: A version the table does not have (or no longer has, after a revert).
        DiffNotSupportedError: An iterator view, a snapshot or a table without versioned rows.
        InvalidRequestError: Equal versions, a bad window or kind.
    """
    start = time.perf_counter()
    if kind is not None and kind not in CHANGE_KINDS:
        raise InvalidRequestError(f'kind must be one of {", ".join(CHANGE_KINDS)}, not {kind!r}.')
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidRequestError(f'offset must be a non-negative integer, not {offset!r}.')
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_DIFF_LIMIT:
        raise InvalidRequestError(f'limit must be an integer from 0 to {MAX_DIFF_LIMIT}, not {limit!r}.')
    table = open_table(table_or_path)
    path = table_path(table)
    current = access.store_of(table)
    view = access.view_facts(table)
    if view is not None and view.kind not in ('view',):
        raise DiffNotSupportedError(
            f'{path!r} is {_REFUSED[view.kind]}',
            hint='Diff its base table instead.' if view.kind != 'pure_snapshot' else 'Use diff_snapshot().',
        )
    if not current.data_versioned:
        raise DiffNotSupportedError(f'{path!r} does not keep old versions of its rows: there is nothing to diff.')
    _check_versions(table, a, b)
    if a > b:
        a, b = b, a
    if view is not None:
        old_facts, new_facts, rid, old, new, view_notes = _view_sides(path, a, b)
    else:
        old_facts, new_facts, rid, old, new, view_notes = _table_sides(path, current, a, b)
    columns, compared, notes = _columns(old_facts, new_facts)
    notes = view_notes + notes
    cellmd = _cellmd_of(old_facts.columns, new_facts.columns, compared)
    old_names = [c.store_name for c in old_facts.columns if c.store_name is not None]
    new_names = [c.store_name for c in new_facts.columns if c.store_name is not None]
    on = sql.and_(*[old.c[n] == new.c[n] for n in rid])
    joined = old.join(new, on, full=True)
    is_added = old.c[rid[0]].is_(None)
    is_removed = new.c[rid[0]].is_(None)
    both = sql.and_(old.c[rid[0]].is_not(None), new.c[rid[0]].is_not(None))
    json_cols = {c.store_name for c in new_facts.columns if c.kind == 'json'}

    def comparable(side: Any, n: str) -> Any:
        # a JSON null and an SQL NULL are the same missing value to the user (recomputes write one or the other)
        return sql.func.nullif(side.c[n], sql.cast(sql.literal('null'), JSONB)) if n in json_cols else side.c[n]

    def differs_at(n: str) -> Any:
        value = comparable(old, n).is_distinct_from(comparable(new, n))
        md = cellmd.get(n)
        if md is None:
            return value
        # both values NULL: the value (kept in a file) or its error lives in the cell metadata
        both_null = sql.and_(old.c[n].is_(None), new.c[n].is_(None))
        md_differs = sql.cast(old.c[md], JSONB).is_distinct_from(sql.cast(new.c[md], JSONB))
        return sql.or_(value, sql.and_(both_null, md_differs))

    col_differs = {n: sql.and_(both, differs_at(n)) for n in compared}
    is_changed = sql.or_(*col_differs.values()) if col_differs else sql.false()
    differs = sql.or_(is_added, is_removed, is_changed)
    # a renamed column shows under its newer name (the same store column)
    name_of = {c.store_name: c.name for c in old_facts.columns + new_facts.columns if c.store_name}

    counts = [
        sql.func.count().filter(is_added).label('added'),
        sql.func.count().filter(is_removed).label('removed'),
        sql.func.count().filter(is_changed).label('changed'),
        *[sql.func.count().filter(expr).label(f'd_{n}') for n, expr in col_differs.items()],
    ]
    selected = {'added': is_added, 'removed': is_removed, 'changed': is_changed}.get(kind or '', differs)
    key = [sql.func.coalesce(old.c[n], new.c[n]).label(f'k_{n}') for n in rid]
    window = (
        sql.select(
            *key,
            is_added.label('is_added'),
            is_removed.label('is_removed'),
            *[expr.label(f'd_{n}') for n, expr in col_differs.items()],
            *[old.c[n].label(f'o_{n}') for n in old_names],
            *[new.c[n].label(f'n_{n}') for n in new_names],
        )
        .select_from(joined)
        .where(selected)
        .order_by(*key)
        .limit(limit)
        .offset(offset)
    )
    with access.connect() as conn:
        total_row = conn.execute(sql.select(*counts).select_from(joined).where(differs)).mappings().one()
        result = conn.execute(window).mappings().all() if limit else []
    kinds_old = {c.store_name: c.kind for c in old_facts.columns if c.store_name}
    kinds_new = {c.store_name: c.kind for c in new_facts.columns if c.store_name}
    rows: list[RowChange] = []
    for rec in result:
        change: ChangeKind = 'added' if rec['is_added'] else 'removed' if rec['is_removed'] else 'changed'
        before = None if change == 'added' else {name_of[n]: _display(rec[f'o_{n}'], kinds_old[n]) for n in old_names}
        after = None if change == 'removed' else {name_of[n]: _display(rec[f'n_{n}'], kinds_new[n]) for n in new_names}
        changed = [name_of[n] for n in compared if rec[f'd_{n}']]
        rows.append(RowChange(tuple(rec[f'k_{n}'] for n in rid), change, changed, before, after))
    return RowDiff(
        path=path,
        a=a,
        b=b,
        added=int(total_row['added']),
        removed=int(total_row['removed']),
        changed=int(total_row['changed']),
        changed_by_column={name_of[n]: int(total_row[f'd_{n}']) for n in compared},
        columns=columns,
        rows=rows,
        offset=offset,
        limit=limit,
        kind=kind,
        elapsed_ms=(time.perf_counter() - start) * 1000,
        notes=notes,
    )


def diff_snapshot(
    snapshot: pxt.Table | str,
    to: int | None = None,
    *,
    kind: ChangeKind | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RowDiff:
    """Compare a snapshot with its base table at version ``to`` (the current one by default), in the database.

    A snapshot without columns or a filter of its own is its base at one version, so this is the base's row diff
    between that version and ``to``.

    Example:
        >>> diff_snapshot('demo/photos_v3').summary()  # doctest: +SKIP
        'demo/photos v3 → v5: 2 added, 0 removed, 4 changed (changed columns: label (4))'

    Raises:
        DiffNotSupportedError: Not a snapshot, or a snapshot with columns or a filter of its own.
    """
    snap = open_table(snapshot)
    facts = access.view_facts(snap)
    if facts is None or facts.kind != 'pure_snapshot':
        what = 'not a snapshot' if facts is None or facts.kind in ('view', 'component') else _REFUSED['snapshot']
        raise DiffNotSupportedError(f'{table_path(snap)!r} is {what}', hint="row_diff() compares a table's versions.")
    base = open_table(facts.base_path)
    current = int(base.get_metadata()['version'])
    diff = row_diff(base, facts.base_version, current if to is None else to, kind=kind, offset=offset, limit=limit)
    diff.notes.insert(0, f'{table_path(snap)} is {facts.base_path} at version {facts.base_version}')
    return diff
