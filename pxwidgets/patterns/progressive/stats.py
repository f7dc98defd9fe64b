"""What a stage costs and what its columns hold, computed in the database (no rows are pulled into Python).

- **Compute time**: measured by pxwidgets around the call that creates a stage (``add_stage``: the view's or
  column's values are all computed in that call). Pixeltable 0.7.21 fixes a view's or column's ``custom_metadata``
  when it is created — before its values are computed — and has no public call to change it afterwards, so the time
  cannot go into the catalog; it is kept in memory and in a small file next to the catalog
  (:mod:`pxwidgets.tables.sidecar`, ``stage-times``), so a new process (a kernel restart) still shows it. Stages
  made by hand say ``None`` (shown as "unknown").
- **Error rate**: rows where a stored computed column of the stage failed (Pixeltable keeps its ``errortype``),
  divided by the stage's rows.
- **Column statistics**: one aggregate query per stage (``count``, ``min``, ``max``, ``mean`` and ``count`` of each
  column's ``errortype``); a histogram groups on ``floor((x - min) / width)``, top values group on the value — both in
  SQL. Columns computed when read (unstored: an iterator's frames) cannot be aggregated in SQL and get the row count
  only; media, JSON and array columns get nulls (and errors), no value statistics.

Example:
    >>> summaries = column_summaries(record)  # doctest: +SKIP
    >>> [(s['column'], s['nulls']) for s in summaries]  # doctest: +SKIP
    [('frame', None), ('n_faces', 0)]
"""

from __future__ import annotations

import math
import threading
from typing import Any, Literal, TypedDict

import pandas as pd
import pixeltable as pxt
import pixeltable.functions as pxtf
import plotly.graph_objects as go
from pixeltable.functions.math import floor

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.transforms import type_family
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord
from pxwidgets.tables.sidecar import read_record, write_record

NUMERIC = ('int', 'float')
ORDERED = ('int', 'float', 'timestamp')
CATEGORICAL = ('string', 'bool')
MAX_BINS = 50
MAX_TOP = 50

# Pixeltable's aggregate functions are typed as classes; bound as Any so mypy reads calls of them as expressions.
agg_count: Any = pxtf.count
agg_min: Any = pxtf.min
agg_max: Any = pxtf.max
agg_mean: Any = pxtf.mean

# ---- compute time -------------------------------------------------------------------------------------------------

_timings: dict[tuple[str, ...], float] = {}
_timings_lock = threading.Lock()


def timing_key(state: PipelineState, record: StageRecord) -> tuple[str, ...]:
    """What identifies one creation of a stage: its table's id (a view), plus the column and the table version that
    added it (a column). A stage dropped and made again gets a new key, so an old time never shows for it."""
    stage = record.stage
    if stage.kind != 'column' or stage.column is None:
        return (record.table_id,)
    md = state.tables[record.table_id].md
    added = md['columns'].get(stage.column, {}).get('version_added') if md is not None else None
    return (record.table_id, stage.column, str(added))


TIMES = 'stage-times'
"""The sidecar kind of measured compute times: one record per table id, ``{'<timing key>': seconds}``."""


def _on_disk(table_id: str) -> dict[str, float]:
    record = read_record(TIMES, table_id)
    if not isinstance(record, dict):
        return {}
    return {str(k): float(v) for k, v in record.items() if isinstance(v, (int, float))}


def record_compute_time(state: PipelineState, record: StageRecord, seconds: float) -> None:
    """Remember how long creating a stage took (``add_stage`` calls this), in memory and on disk."""
    key = timing_key(state, record)
    with _timings_lock:
        _timings[key] = float(seconds)
        kept = _on_disk(key[0])
        kept['|'.join(key)] = float(seconds)
        write_record(TIMES, key[0], kept)


def compute_time(state: PipelineState, record: StageRecord) -> float | None:
    """Seconds it took to create and compute a stage, or ``None`` where pxwidgets did not add it (unknown)."""
    if record.stage.kind == 'source':
        return None
    key = timing_key(state, record)
    with _timings_lock:
        if key not in _timings:
            found = _on_disk(key[0]).get('|'.join(key))
            if found is None:
                return None
            _timings[key] = found
        return _timings[key]


def error_rate(rows: int | None, errors: int | None) -> float | None:
    """``errors / rows``; ``None`` where either is unknown or there are no rows.

    Example:
        >>> error_rate(8, 2), error_rate(0, 0), error_rate(5, None)
        (0.25, None, None)
    """
    if rows is None or errors is None or rows <= 0:
        return None
    return errors / rows


# ---- column statistics --------------------------------------------------------------------------------------------


class ColumnSummary(TypedDict):
    """One column of a stage, summarised in the database."""

    column: str
    type: str
    """The type family: ``'int'``, ``'float'``, ``'string'``, ``'bool'``, ``'timestamp'``, ``'image'``, ``'json'``, …"""
    stored: bool
    """Whether the values are stored (unstored values are computed when read: not aggregated)."""
    computed: bool
    rows: int
    nulls: int | None
    errors: int | None
    """Rows where the column's computation failed (stored computed columns; ``None`` otherwise)."""
    min: float | str | None
    max: float | str | None
    mean: float | None
    chart: Literal['histogram', 'top', 'none']
    """What ``column_distribution`` draws for it."""
    note: str


def stage_columns(record: StageRecord) -> list[str]:
    """The columns a stage's statistics cover: every column of a view or table, a column stage's own column."""
    stage = record.stage
    if stage.kind == 'column' and stage.column is not None:
        return [stage.column]
    return list(record.tbl.columns())


def _facts(md: Any, tbl: pxt.Table, column: str) -> tuple[str, bool, bool]:
    family = type_family(tbl[column].col_type)
    col = md['columns'][column] if md is not None else {}
    stored = bool(col.get('is_stored', True))
    computed = col.get('computed_with') is not None
    return family, stored, computed


def _chart_kind(family: str, stored: bool) -> Literal['histogram', 'top', 'none']:
    if not stored:
        return 'none'
    if family in NUMERIC:
        return 'histogram'
    if family in CATEGORICAL:
        return 'top'
    return 'none'


def _note(family: str, stored: bool) -> str:
    if not stored:
        return 'computed when read: values are not in the database, so only the row count is known'
    if family in NUMERIC or family in CATEGORICAL or family == 'timestamp':
        return ''
    return f'{family} values: nulls and errors only'


def _plain(value: Any) -> float | str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    if hasattr(value, 'isoformat'):
        return str(value.isoformat())
    return str(value)


def _aggregates(tbl: pxt.Table, column: str, family: str, computed: bool) -> dict[str, Any]:
    ref = tbl[column]
    items: dict[str, Any] = {'n': agg_count(ref)}
    if computed:
        items['e'] = agg_count(ref.errortype)
    if family in ORDERED:
        items['lo'] = agg_min(ref)
        items['hi'] = agg_max(ref)
    if family in NUMERIC:
        items['avg'] = agg_mean(ref)
    return items


def _query_aggregates(tbl: pxt.Table, wanted: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """All columns' aggregates in one query; per column (skipping the ones Pixeltable refuses) if that fails."""
    flat = {f'c{i}_{k}': v for i, items in enumerate(wanted.values()) for k, v in items.items()}
    if not flat:
        return {}

    def split(row: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
        index = {c: i for i, c in enumerate(wanted)}
        return {c: {k: row[f'c{index[c]}_{k}'] for k in wanted[c]} for c in names}

    try:
        return split(dict(tbl.select(**flat).collect()[0]), list(wanted))
    except pxt.Error:
        pass
    result: dict[str, dict[str, Any]] = {}
    for i, (column, items) in enumerate(wanted.items()):
        try:
            row = dict(tbl.select(**{f'c{i}_{k}': v for k, v in items.items()}).collect()[0])
        except pxt.Error:
            continue
        result[column] = {k: row[f'c{i}_{k}'] for k in items}
    return result


def column_summaries(record: StageRecord, md: Any = None) -> list[ColumnSummary]:
    """Nulls, errors, min / max / mean of each column of a stage: one aggregate query (plus the row count).

    Args:
        record: The stage.
        md: The table's metadata if already read (``get_metadata()``), else it is read here.
    """
    tbl = record.tbl
    md = md if md is not None else tbl.get_metadata()
    rows = int(tbl.count())
    columns = stage_columns(record)
    facts = {c: _facts(md, tbl, c) for c in columns}
    wanted = {c: _aggregates(tbl, c, f, comp) for c, (f, stored, comp) in facts.items() if stored}
    values = _query_aggregates(tbl, wanted)
    summaries: list[ColumnSummary] = []
    for column in columns:
        family, stored, computed = facts[column]
        got = values.get(column)
        note = _note(family, stored)
        if stored and got is None:
            note = 'Pixeltable could not aggregate this column in SQL'
        nonnull = got.get('n') if got else None
        summaries.append(
            {
                'column': column,
                'type': family,
                'stored': stored,
                'computed': computed,
                'rows': rows,
                'nulls': rows - int(nonnull) if nonnull is not None else None,
                'errors': int(got['e']) if got and got.get('e') is not None else None,
                'min': _plain(got.get('lo')) if got else None,
                'max': _plain(got.get('hi')) if got else None,
                'mean': float(got['avg']) if got and got.get('avg') is not None else None,
                'chart': _chart_kind(family, stored) if got is not None else 'none',
                'note': note,
            }
        )
    return summaries


def summaries_frame(summaries: list[ColumnSummary]) -> pd.DataFrame:
    """The summaries as a DataFrame, one row per column."""
    columns = list(ColumnSummary.__annotations__)
    return pd.DataFrame.from_records(summaries, columns=columns)


# ---- distributions ------------------------------------------------------------------------------------------------


class Distribution(TypedDict):
    """A column's histogram or top values, counted in the database."""

    column: str
    kind: Literal['histogram', 'top', 'none']
    labels: list[str]
    counts: list[int]
    edges: list[float]
    """Histogram bin edges (``len(counts) + 1`` of them); empty for top values."""
    other: int
    """Top values: the non-null rows whose value is not among the ones shown."""
    note: str


def _check_int(value: Any, name: str, top: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
        raise InvalidRequestError(f'{name} must be an integer from 1 to {top}, not {value!r}.')
    return value


def _summary_of(record: StageRecord, column: str) -> ColumnSummary:
    if column not in stage_columns(record):
        known = ', '.join(stage_columns(record))
        raise InvalidRequestError(
            f'Stage {record.stage.name!r} has no column {column!r}.', hint=f'Its columns: {known}.'
        )
    one = StageRecord(stage=record.stage, tbl=record.tbl, table_id=record.table_id, context=record.context)
    return next(s for s in column_summaries(one) if s['column'] == column)


def _label(value: float, family: str) -> str:
    return str(int(value)) if family == 'int' else f'{value:.4g}'


def column_distribution(record: StageRecord, column: str, *, bins: int = 10, top: int = 10) -> Distribution:
    """A numeric column's histogram (``bins`` equal-width bins), or a string / bool column's ``top`` values.

    Both are ``group_by`` queries in the database; only the bin or value counts travel.

    Raises:
        InvalidRequestError: An unknown column, or ``bins`` / ``top`` out of range.

    Example:
        >>> column_distribution(record, 'n_faces', bins=5)['counts']  # doctest: +SKIP
        [3, 0, 0, 0, 3]
    """
    _check_int(bins, 'bins', MAX_BINS)
    _check_int(top, 'top', MAX_TOP)
    summary = _summary_of(record, column)
    empty: Distribution = {
        'column': column,
        'kind': 'none',
        'labels': [],
        'counts': [],
        'edges': [],
        'other': 0,
        'note': summary['note'],
    }
    tbl = record.tbl
    ref = tbl[column]
    if summary['chart'] == 'top':
        n = agg_count(ref)
        rs = tbl.where(ref != None).group_by(ref).select(v=ref, n=n).order_by(n, asc=False).limit(top).collect()  # noqa: E711
        counts = [int(c) for c in rs['n']]
        nonnull = summary['rows'] - (summary['nulls'] or 0)
        return {
            **empty,
            'kind': 'top',
            'labels': [str(v) for v in rs['v']],
            'counts': counts,
            'other': nonnull - sum(counts),
            'note': '',
        }
    if summary['chart'] != 'histogram' or summary['min'] is None or summary['max'] is None:
        return empty if summary['note'] else {**empty, 'note': 'no values to count'}
    lo, hi = float(summary['min']), float(summary['max'])
    width = (hi - lo) / bins if hi > lo else 1.0
    nbins = bins if hi > lo else 1
    bucket = floor((ref - lo) / width)
    rs = tbl.where(ref != None).group_by(bucket).select(k=bucket, n=agg_count(ref)).collect()  # noqa: E711
    counts = [0] * nbins
    for k, c in zip(rs['k'], rs['n'], strict=True):
        counts[min(int(k), nbins - 1)] += int(c)  # the maximum falls on the last bin's closed right edge
    edges = [lo + i * width for i in range(nbins + 1)]
    labels = [f'{_label(edges[i], "float")}–{_label(edges[i + 1], "float")}' for i in range(nbins)]
    return {**empty, 'kind': 'histogram', 'labels': labels, 'counts': counts, 'edges': edges, 'note': ''}


def distribution_figure(dist: Distribution, *, stage: str = '') -> go.Figure:
    """A plotly bar chart of a distribution (what the StageBuilder's Columns view draws).

    Example:
        >>> fig = distribution_figure({'column': 'label', 'kind': 'top', 'labels': ['cat', 'dog'], 'counts': [3, 1],
        ...                            'edges': [], 'other': 0, 'note': ''})
        >>> list(fig.data[0].y)
        [3, 1]
    """
    where = f'{stage}.' if stage else ''
    if dist['kind'] == 'histogram':
        title = f'{where}{dist["column"]}: histogram'
        xaxis = dist['column']
    elif dist['kind'] == 'top':
        title = f'{where}{dist["column"]}: top values' + (f' ({dist["other"]} other rows)' if dist['other'] else '')
        xaxis = 'value'
    else:
        title = f'{where}{dist["column"]}: {dist["note"] or "no chart"}'
        xaxis = dist['column']
    fig = go.Figure(go.Bar(x=dist['labels'], y=dist['counts'], name=dist['column']))
    fig.update_layout(
        title=title,
        xaxis_title=xaxis,
        yaxis_title='rows',
        bargap=0.05 if dist['kind'] == 'histogram' else 0.2,
        showlegend=False,
    )
    fig.update_xaxes(type='category')
    return fig


def error_predicate(record: StageRecord) -> Any:
    """A predicate for a stage's rows where a stored computed column of the stage failed ("errors only").

    A column stage: its own column; a view or table: any stored computed column of it.

    Raises:
        InvalidRequestError: If the stage has no stored computed column, so no row can have an error.
    """
    tbl = record.tbl
    md = tbl.get_metadata()
    columns = [
        c
        for c in stage_columns(record)
        if md['columns'][c].get('computed_with') is not None and md['columns'][c].get('is_stored')
    ]
    if not columns:
        raise InvalidRequestError(
            f'Stage {record.stage.name!r} has no stored computed column, so none of its rows records an error.',
            hint='Errors are kept per row for stored computed columns (column stages).',
        )
    predicate = tbl[columns[0]].errortype != None  # noqa: E711 - a Pixeltable predicate
    for column in columns[1:]:
        predicate = predicate | (tbl[column].errortype != None)  # noqa: E711
    return predicate
