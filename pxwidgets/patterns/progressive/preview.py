"""Look at rows without writing: a stage's rows, a stage's failed rows, and a transform tried on a few rows.

A column or filter is tried by a query that computes the expression on ``n`` rows (no column is added); an iterator
is tried by running it in Python on the first source rows. Nothing here changes a table or its version.

Example:
    >>> preview_spec(spec, n=3)  # doctest: +SKIP
       frame                                           faces
    0  <PIL.Image.Image ...>  {'bboxes': [[...]], 'labels': ['face'], ...}
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pixeltable as pxt
from pixeltable import exprs

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.exprcode import column_name
from pxwidgets.patterns.progressive.catalog import StageRecord, column_is_stored, column_refs
from pxwidgets.patterns.progressive.specs import StageSpec
from pxwidgets.patterns.progressive.stats import error_predicate
from pxwidgets.tables.internals import column_facts, read_transaction

ERROR_COLUMN = 'error'
"""The column of a preview that holds why a row failed (``None`` where it did not)."""

MAX_PREVIEW_ROWS = 100


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_PREVIEW_ROWS:
        raise InvalidRequestError(f'n must be an integer from 1 to {MAX_PREVIEW_ROWS}, not {n!r}.')


def _input_items(*objs: Any) -> dict[str, exprs.Expr]:
    items: dict[str, exprs.Expr] = {}
    for ref in column_refs(*objs):
        items.setdefault(column_name(ref), ref)
    return items


def _free_name(wanted: str, taken: dict[str, Any]) -> str:
    name = wanted
    while name in taken:
        name = f'{name}_new'
    return name


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns)


def _query_rows(source: Any, items: dict[str, exprs.Expr], n: int, offset: int = 0) -> pd.DataFrame:
    """``select(**items)`` on ``n`` rows; if evaluation fails, row by row, with the failure in an ``error`` column."""
    try:
        return source.select(**items).limit(n, offset=offset).collect().to_pandas()
    except pxt.Error:
        pass
    rows: list[dict[str, Any]] = []
    safe = {k: v for k, v in items.items() if isinstance(v, exprs.ColumnRef)}
    for i in range(offset, offset + n):
        try:
            result = source.select(**items).limit(1, offset=i).collect()
        except pxt.Error as exc:
            result = source.select(**safe).limit(1, offset=i).collect() if safe else None
            if result is None or len(result) == 0:
                break
            row = dict(result[0])
            row[ERROR_COLUMN] = _error_text(exc)
            rows.append(row)
            continue
        if len(result) == 0:
            break
        row = dict(result[0])
        row[ERROR_COLUMN] = None
        rows.append(row)
    return _frame(rows, [*items, ERROR_COLUMN])


def _error_text(exc: BaseException) -> str:
    """The original error behind Pixeltable's wrappers, as ``Type: message`` (like a column's errortype/errormsg)."""
    root: BaseException = exc
    seen: set[int] = set()
    while id(root) not in seen:
        seen.add(id(root))
        inner = getattr(root, 'exc', None)  # Pixeltable's ExprEvalError keeps the UDF's exception here
        if isinstance(inner, BaseException):
            root = inner
        elif root.__cause__ is not None:
            root = root.__cause__
        else:
            break
    return f'{type(root).__name__}: {root}'


def preview_stage(record: StageRecord, n: int = 10, offset: int = 0, *, errors_only: bool = False) -> pd.DataFrame:
    """The first rows of a stage: a table's rows, or a column with its inputs and its per-row errors.

    One query in one read transaction: the errors of a stored column are two more columns of the same rows (stored
    next to the value, so they cost no extra read), and nothing else is looked up in the catalog (outside a
    transaction every column reference revalidates its table, which cost more than the rows themselves).

    Args:
        record: The stage.
        n: How many rows (1–100).
        offset: How many rows to skip.
        errors_only: Only rows where a stored computed column of the stage failed (filtered in the database).
    """
    _check_n(n)
    stage = record.stage
    base = record.tbl
    tbl: Any = base.where(error_predicate(record)) if errors_only else base
    with read_transaction([base]):
        if stage.kind != 'column':
            return tbl.limit(n, offset=offset).collect().to_pandas()
        assert stage.column is not None
        items = _input_items(record.expr)
        value = base[stage.column]
        items[stage.column] = value
        if _is_stored(base, stage.column):
            items[f'{stage.column}_errortype'] = value.errortype
            items[f'{stage.column}_errormsg'] = value.errormsg
        return tbl.select(**items).limit(n, offset=offset).collect().to_pandas()


def _is_stored(tbl: pxt.Table, column: str) -> bool:
    """Whether a column's values are stored, read from the handle's column objects (no catalog round trip)."""
    fact = next((f for f in column_facts(tbl) if f.name == column), None)
    return fact.is_stored if fact is not None else column_is_stored(tbl, column)


def stage_errors(record: StageRecord, n: int = 20) -> pd.DataFrame:
    """The rows where a column stage failed, with their inputs, error type and error message.

    Raises:
        InvalidRequestError: If the stage is not a stored computed column (only those record per-row errors).
    """
    _check_n(n)
    stage = record.stage
    if stage.kind != 'column' or stage.column is None:
        raise InvalidRequestError(
            f'Stage {stage.name!r} is a {stage.kind} stage; only column stages record per-row errors.'
        )
    tbl = record.tbl
    if not column_is_stored(tbl, stage.column):
        raise InvalidRequestError(f'Column {stage.column!r} is not stored, so it records no per-row errors.')
    value = tbl[stage.column]
    items = _input_items(record.expr)
    items['errortype'] = value.errortype
    items['errormsg'] = value.errormsg
    query = tbl.where(value.errortype != None)  # noqa: E711 (a Pixeltable expression, not a Python comparison)
    return query.select(**items).limit(n).collect().to_pandas()


def preview_spec(spec: StageSpec, n: int = 5) -> pd.DataFrame:
    """Try a stage definition on a few rows of the table it would be added to; writes nothing.

    Column stages show their inputs and the new value (named after the stage); filter stages their inputs and a
    ``keep`` column; iterator stages the first ``n`` output rows of the first source rows (``source_row``, ``pos`` and
    the iterator's outputs). Rows that fail carry the reason in an ``error`` column.
    """
    _check_n(n)
    source = spec.context.tbl
    if spec.kind == 'iterator':
        return _preview_iterator(spec, n)
    assert spec.expr is not None
    items = _input_items(spec.expr)
    value_name = _free_name('keep' if spec.kind == 'filter' else spec.name, items)
    items[value_name] = spec.expr
    return _query_rows(source, items, n)


def _preview_iterator(spec: StageSpec, n: int) -> pd.DataFrame:
    call = spec.iterator
    assert call is not None
    literal_args: dict[str, Any] = {}
    row_args: dict[str, exprs.Expr] = {}
    for param, arg in call.bound_args.items():
        if isinstance(arg, exprs.Literal):
            literal_args[param] = arg.val
        else:
            row_args[param] = arg
    outputs = [name for name in (call.outputs or {}) if name != 'pos']
    columns = ['source_row', 'pos', *outputs, ERROR_COLUMN]
    query = spec.context.tbl.where(spec.expr) if spec.expr is not None else spec.context.tbl
    sources: Any = query.select(**row_args).limit(n).collect() if row_args else [{}]
    rows: list[dict[str, Any]] = []
    for source_index, source_row in enumerate(sources):
        if len(rows) >= n:
            break
        try:
            iterator = call.it.create_iter(**literal_args, **dict(source_row))
        except Exception as exc:
            rows.append({'source_row': source_index, ERROR_COLUMN: f'{type(exc).__name__}: {exc}'})
            continue
        try:
            for pos, item in enumerate(iterator):
                rows.append({'source_row': source_index, 'pos': pos, **item, ERROR_COLUMN: None})
                if len(rows) >= n:
                    break
        except Exception as exc:
            rows.append({'source_row': source_index, ERROR_COLUMN: f'{type(exc).__name__}: {exc}'})
        finally:
            iterator.close()
    return _frame(rows, columns)
