"""Compare two experiment runs: parameters, metrics, the schema and row counts of their result tables, and a
sample of the rows whose values differ.

Two runs' result tables are different tables, so rows are matched on key columns: by default the inputs (the
columns both tables have that are not computed), e.g. an image and its id, while the computed columns (predictions)
are compared. Media values are compared by file reference, never decoded.

Example:
    >>> c = exp.compare(1, 2)  # doctest: +SKIP
    >>> c.metrics['n_faces']  # doctest: +SKIP
    {'a': 14, 'b': 9, 'delta': -5}
    >>> c.rows.head()  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.patterns.versioned.errors import IncomparableError
from pxwidgets.patterns.versioned.runs import Run
from pxwidgets.tables.internals import column_facts, type_kind

MAX_COMPARE_ROWS = 200_000
"""Result tables larger than this are compared on counts, schema and metrics only."""


@dataclass
class TableComparison:
    """Two tables side by side: schema differences, row counts, rows matched on ``key`` whose values differ."""

    a: str
    b: str
    key: list[str]
    compared: list[str]
    schema: dict[str, Any]
    rows_a: int
    rows_b: int
    only_in_a: int = 0
    only_in_b: int = 0
    differing: int = 0
    differing_by_column: dict[str, int] = field(default_factory=dict)
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each compared column's type family and type text (``('image', 'Image')``)."""

    def to_json(self) -> dict[str, Any]:
        return {
            'a': self.a,
            'b': self.b,
            'key': self.key,
            'compared': self.compared,
            'schema': self.schema,
            'rows_a': self.rows_a,
            'rows_b': self.rows_b,
            'only_in_a': self.only_in_a,
            'only_in_b': self.only_in_b,
            'differing': self.differing,
            'differing_by_column': self.differing_by_column,
            'notes': self.notes,
        }


@dataclass
class Comparison:
    """What differs between two runs."""

    a: int
    b: int
    params: dict[str, dict[str, Any]]
    """Every parameter of either run: ``{'a': …, 'b': …, 'same': bool}``."""
    metrics: dict[str, dict[str, Any]]
    """Every metric of either run: ``{'a': …, 'b': …, 'delta': b - a or None}``."""
    tables: TableComparison | None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> pd.DataFrame:
        """The sample of rows whose values differ (empty when the tables could not be matched)."""
        return self.tables.sample if self.tables is not None else pd.DataFrame()

    def to_json(self) -> dict[str, Any]:
        return {
            'a': self.a,
            'b': self.b,
            'params': json.loads(json.dumps(self.params, default=str)),
            'metrics': json.loads(json.dumps(self.metrics, default=str)),
            'tables': self.tables.to_json() if self.tables is not None else None,
            'notes': self.notes,
        }

    def __repr__(self) -> str:
        lines = [f'v{self.a} → v{self.b}']
        lines += [f'  param {k}: {v["a"]!r} → {v["b"]!r}' for k, v in self.params.items() if not v['same']]
        lines += [f'  metric {k}: {v["a"]!r} → {v["b"]!r}' for k, v in self.metrics.items()]
        if self.tables is not None:
            t = self.tables
            lines.append(f'  rows: {t.rows_a} → {t.rows_b}; {t.differing} differ on {", ".join(t.compared) or "-"}')
        return '\n'.join(lines + [f'  note: {n}' for n in self.notes])


def _columns(table: pxt.Table) -> dict[str, dict[str, Any]]:
    return {
        f.name: {
            'type': str(f.col_type),
            'kind': type_kind(f.col_type),
            'computed': f.value_expr is not None,
            'stored': f.is_stored,
            'media': f.col_type.is_media_type(),
        }
        for f in column_facts(table)
    }


def input_columns(table: pxt.Table) -> dict[str, str]:
    """The stored columns that are not computed (a run's inputs), with their types: the default key of a
    comparison."""
    return {n: c['type'] for n, c in _columns(table).items() if c['stored'] and not c['computed']}


def _schema_diff(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        'added': [{'name': n, 'type': b[n]['type']} for n in b if n not in a],
        'removed': [{'name': n, 'type': a[n]['type']} for n in a if n not in b],
        'changed': [
            {'name': n, 'a': a[n]['type'], 'b': b[n]['type']} for n in a if n in b and a[n]['type'] != b[n]['type']
        ],
    }


def _pull(table: pxt.Table, names: list[str], cols: dict[str, dict[str, Any]]) -> pd.DataFrame:
    # media by file reference: never decoded
    sel = {n: table[n].fileurl if cols[n]['media'] else table[n] for n in names}
    return table.select(**sel).collect().to_pandas()


def _canon(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    if hasattr(value, 'tolist'):
        return json.dumps(value.tolist())
    return value


def compare_tables(a: pxt.Table, b: pxt.Table, *, key: list[str] | None = None, sample: int = 20) -> TableComparison:
    """Match the rows of two tables on ``key`` and find those whose other common columns differ.

    Raises:
        IncomparableError: No key columns in common (or an asked-for key column is missing in one table).
    """
    from pxwidgets.tables.resolve import table_path

    ca, cb = _columns(a), _columns(b)
    schema = _schema_diff(ca, cb)
    common = [n for n in cb if n in ca and ca[n]['type'] == cb[n]['type'] and ca[n]['stored'] and cb[n]['stored']]
    if key is None:
        key = [n for n in common if not ca[n]['computed'] and not cb[n]['computed']]
    else:
        missing = [k for k in key if k not in common]
        if missing:
            raise IncomparableError(
                f'Key column(s) {", ".join(missing)} are not stored columns of the same type in both tables.',
                details={'schema': schema},
            )
    if not key:
        raise IncomparableError(
            'The two tables share no input columns to match their rows on.',
            hint='Pass key=[...] with columns that identify a row in both.',
            details={'schema': schema},
        )
    compared = [n for n in common if n not in key]
    out = TableComparison(table_path(a), table_path(b), list(key), compared, schema, a.count(), b.count())
    out.kinds = {n: (str(cb[n]['kind']), str(cb[n]['type'])) for n in [*key, *compared]}
    if max(out.rows_a, out.rows_b) > MAX_COMPARE_ROWS:
        out.notes.append(f'more than {MAX_COMPARE_ROWS} rows: rows not compared one by one')
        return out
    da, db = _pull(a, key + compared, ca), _pull(b, key + compared, cb)
    for frame in (da, db):
        for c in frame.columns:
            frame[c] = frame[c].map(_canon).astype(object)
    if da.duplicated(key).any() or db.duplicated(key).any():
        out.notes.append(f'the key ({", ".join(key)}) is not unique: rows were matched by their first occurrence')
        da, db = da.drop_duplicates(key), db.drop_duplicates(key)
    merged = da.merge(db, on=key, how='outer', suffixes=(' (a)', ' (b)'), indicator=True)
    out.only_in_a = int((merged['_merge'] == 'left_only').sum())
    out.only_in_b = int((merged['_merge'] == 'right_only').sum())
    both = merged[merged['_merge'] == 'both']
    diff_mask = pd.Series(False, index=both.index)
    changed_cols: dict[str, pd.Series] = {}
    for n in compared:
        left, right = both[f'{n} (a)'], both[f'{n} (b)']
        differs = ~((left == right) | (left.isna() & right.isna()))
        changed_cols[n] = differs
        out.differing_by_column[n] = int(differs.sum())
        diff_mask |= differs
    out.differing = int(diff_mask.sum())
    rows = both[diff_mask].head(sample).copy()
    rows['changed'] = [', '.join(n for n in compared if bool(changed_cols[n].loc[i])) for i in rows.index]
    out.sample = rows.drop(columns=['_merge']).reset_index(drop=True)
    return out


def compare_runs(a: Run, b: Run, *, key: list[str] | None = None, sample: int = 20) -> Comparison:
    """Compare two runs (see :class:`Comparison`)."""
    names = list(dict.fromkeys([*a.params, *b.params]))
    params = {
        k: {'a': a.params.get(k), 'b': b.params.get(k), 'same': a.params.get(k) == b.params.get(k)} for k in names
    }
    metrics: dict[str, dict[str, Any]] = {}
    for k in dict.fromkeys([*a.metrics, *b.metrics]):
        va, vb = a.metrics.get(k), b.metrics.get(k)
        delta = vb - va if isinstance(va, int | float) and isinstance(vb, int | float) else None
        metrics[k] = {'a': va, 'b': vb, 'delta': delta}
    notes: list[str] = []
    tables = None
    if a.result is None or b.result is None or a.dropped or b.dropped:
        missing = [f'v{r.version}' for r in (a, b) if r.result is None or r.dropped]
        notes.append(f'{" and ".join(missing)} has no result table: rows not compared')
    else:
        try:
            tables = compare_tables(a.table, b.table, key=key, sample=sample)
        except IncomparableError as exc:
            if key is not None:
                raise
            notes.append(exc.message)
    return Comparison(a.version, b.version, params, metrics, tables, notes)
