"""Read a pipeline from Pixeltable's catalog: the root table, every view below it, and their computed columns.

Nothing here writes. Stages made by pxwidgets carry their role and parameters in ``custom_metadata``; hand-made ones
(plain ``create_view`` / ``add_computed_column``) are read from their structure: an iterator view, a filtered view, a
computed column. Which stage feeds which comes from the column references inside each definition.

The view's filter and iterator call are read from Pixeltable's table version (``view_definition``), the only place
that holds them as expressions rather than display strings; that access is confined to this module.

Example:
    >>> state = scan('demo/videos')  # doctest: +SKIP
    >>> [s.name for s in state.stages()]  # doctest: +SKIP
    ['videos', 'frames', 'faces']
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt
from pixeltable import exprs, func

from pxwidgets.errors import InvalidRequestError, StageNotFoundError, TableNotFoundError
from pxwidgets.patterns.common.exprcode import (
    column_name,
    column_table_id,
)
from pxwidgets.patterns.common.guards import broken_reason
from pxwidgets.patterns.common.transforms import type_family
from pxwidgets.patterns.progressive.definitions import (
    canonical,
    column_canonical,
    column_refs,
    readable,
    view_canonical,
)
from pxwidgets.patterns.progressive.stages import Stage, StageKind, read_stage_metadata
from pxwidgets.tables.internals import (
    ViewDefinition,
    read_transaction,
    table_id,
    table_metadata,
    table_version,
    try_table_metadata,
    view_definition,
)

MEDIA_FAMILIES = ('video', 'image', 'document', 'audio')

__all__ = [
    'PipelineState',
    'StageRecord',
    'TableInfo',
    'canonical',
    'column_canonical',
    'column_is_stored',
    'column_refs',
    'readable',
    'scan',
    'table_metadata',
    'view_canonical',
]


@dataclass
class TableInfo:
    """One table or view of the pipeline."""

    path: str
    id: str
    tbl: pxt.Table
    md: Any
    stage: str = ''
    base_id: str | None = None
    definition: ViewDefinition = field(default_factory=ViewDefinition)
    external_views: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class StageRecord:
    """A stage with the Pixeltable objects behind it."""

    stage: Stage
    tbl: pxt.Table
    table_id: str
    context: TableInfo | None
    expr: exprs.Expr | None = None
    iterator: func.GeneratingFunctionCall | None = None
    canonical: str = ''
    metadata: dict[str, Any] | None = None


class PipelineState:
    """A snapshot of a pipeline as the catalog holds it now."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.tables: dict[str, TableInfo] = {}
        self.records: dict[str, StageRecord] = {}
        self.producers: dict[tuple[str, str], str] = {}
        self.ancestor_ids: dict[str, list[str]] = {}

    def stages(self) -> list[Stage]:
        """Every stage, in an order where each comes after the stages it requires."""
        return [r.stage for r in self.records.values()]

    def names(self) -> list[str]:
        """Every stage name, in order."""
        return list(self.records)

    def record(self, name: str) -> StageRecord:
        """The record of a stage.

        Raises:
            StageNotFoundError: If there is none of that name.
        """
        record = self.records.get(name)
        if record is None:
            raise StageNotFoundError(name, known=self.names())
        return record

    def root_info(self) -> TableInfo:
        """The root table."""
        return next(iter(self.tables.values()))

    def table_of_stage(self, name: str) -> TableInfo:
        """The table or view that holds a stage's rows."""
        return self.tables[self.record(name).table_id]

    def dependents(self, name: str) -> list[str]:
        """Every stage that requires ``name`` directly or indirectly, deepest first (a safe drop order)."""
        self.record(name)
        found: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for other, record in self.records.items():
                if current in record.stage.requires and other not in found:
                    found.add(other)
                    frontier.append(other)
        order = self.names()
        return sorted(found, key=order.index, reverse=True)

    def ancestry(self, table_id: str) -> list[str]:
        """The ids of a pipeline table and of every table it is (indirectly) a view of."""
        return self.ancestor_ids.get(table_id, [table_id])


def _table_id(md: Any, tbl: pxt.Table) -> str:
    return str(md['id']) if md is not None else table_id(tbl)


def column_is_stored(tbl: pxt.Table, column: str) -> bool:
    """Whether a column's values are stored (only stored computed columns record per-row errors)."""
    return bool(table_metadata(tbl)['columns'][column]['is_stored'])


def _base_path(md: Any) -> str | None:
    base = md.get('base') if md is not None else None
    return None if base is None else str(base).split(':', 1)[0]


def _load_tables(root_path: str) -> list[TableInfo]:
    root = pxt.get_table(root_path, if_not_exists='ignore')
    if root is None:
        raise TableNotFoundError(root_path)
    md, error = try_table_metadata(root)
    if md is not None and md.get('is_snapshot'):
        raise InvalidRequestError(
            f'{root_path!r} is a snapshot: it never changes, so it cannot hold refinement stages.',
            hint='Open the table the snapshot was taken of.',
        )
    infos = [TableInfo(path=root_path, id=_table_id(md, root), tbl=root, md=md, error=error)]
    by_path = {root_path: infos[0]}
    pending: list[TableInfo] = []
    for path in sorted(root.list_views(recursive=True)):  # views of one base: by name (Pixeltable keeps no order)
        tbl = pxt.get_table(path, if_not_exists='ignore')
        if tbl is None:
            continue
        view_md, view_error = try_table_metadata(tbl)
        info = TableInfo(path=path, id=_table_id(view_md, tbl), tbl=tbl, md=view_md, error=view_error)
        pending.append(info)
    # base-first order; views of snapshots (and snapshots themselves) are not stages
    progress = True
    while pending and progress:
        progress = False
        for info in list(pending):
            base = _base_path(info.md)
            base_info = by_path.get(base) if base is not None else None
            if base_info is None and base is not None and base not in {p.path for p in pending}:
                pending.remove(info)  # its base is a snapshot or outside the pipeline
                continue
            if base_info is None:
                continue
            pending.remove(info)
            progress = True
            if info.md is not None and info.md.get('is_snapshot'):
                base_info.external_views.append(info.path)
                continue
            info.base_id = base_info.id
            infos.append(info)
            by_path[info.path] = info
    for info in pending:  # views whose base could not be placed (e.g. unreadable metadata): external
        base = _base_path(info.md)
        if base in by_path:
            by_path[base].external_views.append(info.path)
    return infos


def _unique(name: str, taken: set[str], fallback: str) -> str:
    if name not in taken:
        return name
    if fallback not in taken:
        return fallback
    counter = 2
    while f'{fallback}_{counter}' in taken:
        counter += 1
    return f'{fallback}_{counter}'


def _first_output(info: TableInfo, kind: StageKind) -> str | None:
    if info.md is None:
        return None
    columns = info.md['columns']
    if kind == 'iterator':
        for name, col in columns.items():
            if col.get('is_iterator_col') and name != 'pos':
                return str(name)
        return None
    for name, col in columns.items():
        if col['type_'].split('[')[0].split(' ')[0].lower() in MEDIA_FAMILIES:
            return str(name)
    return str(next(iter(columns))) if columns else None


def _defined_here(info: TableInfo, col_name: str) -> bool:
    try:
        return column_table_id(info.tbl[col_name]) == info.id
    except Exception:
        return bool(info.md['columns'][col_name].get('defined_in') == info.md['name'])


def _ancestors(state: PipelineState, infos: list[TableInfo]) -> None:
    above_root: list[str] = []
    base = infos[0].tbl.get_base_table()
    while base is not None:
        md, _ = try_table_metadata(base)
        above_root.append(_table_id(md, base))
        base = base.get_base_table()
    chains: dict[str, list[str]] = {}
    for info in infos:
        chain = [info.id, *(chains.get(info.base_id or '', above_root))]
        chains[info.id] = chain
    state.ancestor_ids = chains


_scans: dict[str, tuple[tuple[Any, ...], PipelineState]] = {}
_scans_lock = threading.Lock()


def _fingerprint(root_path: str, state: PipelineState | None) -> tuple[Any, ...] | None:
    """What a cached scan depends on: the views below the root and every pipeline table's version (None: rescan)."""
    root = pxt.get_table(root_path, if_not_exists='ignore')
    if root is None or state is None:
        return None
    try:
        views = tuple(sorted(root.list_views(recursive=True)))  # (refused inside a transaction)
        # one read transaction: outside one, each version lookup revalidates its table (a round trip each)
        with read_transaction([root, *(info.tbl for info in state.tables.values())]):
            versions = tuple(table_version(info.tbl) for info in state.tables.values())
            return (table_id(root), table_version(root), views, versions)
    except Exception:  # a handle of a table dropped since: read the catalog again
        return None


def scan(root_path: str) -> PipelineState:
    """Read the pipeline rooted at a table or view (a cached reading while no table of it changed).

    The reading is reused as long as the views below the root and the version of every table of the pipeline are the
    same: a new column, a new view, a drop or an insert makes the next call read the catalog again.

    Args:
        root_path: The path of the table (or view) the pipeline starts from.

    Returns:
        The pipeline's stages and the Pixeltable objects behind them.

    Raises:
        TableNotFoundError: If nothing lives at ``root_path``.
        InvalidRequestError: If it is a snapshot.
    """
    with _scans_lock:
        cached = _scans.get(root_path)
    if cached is not None and _fingerprint(root_path, cached[1]) == cached[0]:
        return cached[1]
    state = _read_pipeline(root_path)
    fingerprint = _fingerprint(root_path, state)
    if fingerprint is not None:
        with _scans_lock:
            _scans[root_path] = (fingerprint, state)
    return state


def _read_pipeline(root_path: str) -> PipelineState:
    infos = _load_tables(root_path)
    state = PipelineState(root_path)
    taken: set[str] = set()
    pending_columns: list[tuple[TableInfo, str, dict[str, Any] | None]] = []

    # 1. names and producers: one stage per table, one per computed column defined in it
    for index, info in enumerate(infos):
        state.tables[info.id] = info
        md = read_stage_metadata(info.md.get('custom_metadata')) if info.md is not None else None
        short = info.path.rsplit('/', 1)[-1]
        info.stage = _unique(str(md['stage']) if md else short, taken, info.path.replace('/', '.'))
        taken.add(info.stage)
        if info.md is None:
            continue
        if index > 0:
            try:
                info.definition = view_definition(info.tbl)
            except Exception as exc:
                info.error = f'Pixeltable could not read how this view is made ({type(exc).__name__}: {exc}).'
        for col_name, col in info.md['columns'].items():
            if not _defined_here(info, col_name):
                continue
            if col['is_computed']:
                col_md = read_stage_metadata(col.get('custom_metadata'))
                pending_columns.append((info, col_name, col_md))
            else:
                state.producers[(info.id, col_name)] = info.stage
    column_stage_names: dict[tuple[str, str], str] = {}
    for info, col_name, col_md in sorted(
        pending_columns, key=lambda item: (infos.index(item[0]), item[0].md['columns'][item[1]]['version_added'])
    ):
        wanted = str(col_md['stage']) if col_md else col_name
        name = _unique(wanted, taken, f'{info.stage}.{col_name}')
        taken.add(name)
        column_stage_names[(info.id, col_name)] = name
        state.producers[(info.id, col_name)] = name
    _ancestors(state, infos)

    # 2. records, base-first; each table followed by its columns in the order they were added
    for index, info in enumerate(infos):
        base = state.tables.get(info.base_id) if info.base_id else None
        state.records[info.stage] = _table_record(state, info, base, is_root=index == 0)
        for (tbl_id, col_name), name in column_stage_names.items():
            if tbl_id == info.id:
                state.records[name] = _column_record(state, info, col_name, name)
    return state


def _links(
    state: PipelineState, context: TableInfo, refs: list[exprs.ColumnRef]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(inputs, requires) of a stage evaluated in ``context`` that reads ``refs``."""
    inputs: list[str] = []
    requires: list[str] = [context.stage]
    for ref in refs:
        key = (column_table_id(ref), column_name(ref))
        producer = state.producers.get(key)
        if producer is not None and producer not in requires:
            requires.append(producer)
        source = producer if key[0] == context.id and producer is not None else context.stage
        if source not in inputs:
            inputs.append(source)
    if not inputs:
        inputs.append(context.stage)
    return tuple(inputs), tuple(requires)


def _managed_fields(md: dict[str, Any] | None) -> dict[str, Any]:
    """The Stage fields read from a stage's pxwidgets metadata (``md``; None for a stage this package did not add)."""
    if md is None:
        return {'transform': None, 'params': {}, 'after': None, 'managed': False}
    return {
        'transform': md.get('transform'),
        'params': dict(md.get('params') or {}),
        'after': md.get('after'),
        'managed': True,
    }


def _table_record(state: PipelineState, info: TableInfo, base: TableInfo | None, *, is_root: bool) -> StageRecord:
    md = read_stage_metadata(info.md.get('custom_metadata')) if info.md is not None else None
    definition = info.definition
    kind: StageKind = 'source' if is_root or base is None else ('iterator' if definition.iterator else 'filter')
    inputs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    text = ''
    canon = f'source:{info.id}'
    problem = info.error
    if kind != 'source' and base is not None:
        inputs, requires = _links(state, base, column_refs(definition.predicate, definition.iterator))
        parts = []
        if definition.iterator is not None:
            parts.append(readable(definition.iterator))
        if definition.predicate is not None:
            parts.append(f'where {readable(definition.predicate)}')
        if definition.sample is not None:
            parts.append(f'sample {definition.sample}')
        text = ' '.join(parts) if parts else 'all rows'
        canon = view_canonical(kind, base.id, definition.iterator, definition.predicate, definition.sample)
        problem = problem or broken_reason(definition.iterator) or broken_reason(definition.predicate)
    output = md.get('output') if md else None
    if output is None:
        output = (
            state.records[base.stage].stage.output
            if kind == 'filter' and base is not None
            else _first_output(info, 'iterator' if kind == 'iterator' else 'source')
        )
    stage = Stage(
        name=info.stage,
        kind=kind,
        table=info.path,
        column=None,
        output=output,
        inputs=inputs,
        requires=requires,
        definition=text,
        **_managed_fields(md),
        problem=problem,
    )
    return StageRecord(
        stage=stage,
        tbl=info.tbl,
        table_id=info.id,
        context=base,
        expr=definition.predicate,
        iterator=definition.iterator,
        canonical=canon,
        metadata=md,
    )


def _column_record(state: PipelineState, info: TableInfo, col_name: str, name: str) -> StageRecord:
    col = info.md['columns'][col_name]
    md = read_stage_metadata(col.get('custom_metadata'))
    value_expr: exprs.Expr | None
    try:
        value_expr = info.tbl[col_name].col.value_expr
    except Exception:
        value_expr = None
    inputs, requires = _links(state, info, column_refs(value_expr))
    problem = broken_reason(value_expr)
    if problem is None and value_expr is None:
        problem = f'Pixeltable could not load the definition of column {col_name!r}.'
    stage = Stage(
        name=name,
        kind='column',
        table=info.path,
        column=col_name,
        output=col_name,
        inputs=inputs,
        requires=requires,
        definition=readable(value_expr) if value_expr is not None else str(col.get('computed_with') or ''),
        **_managed_fields(md),
        problem=problem,
    )
    return StageRecord(
        stage=stage,
        tbl=info.tbl,
        table_id=info.id,
        context=info,
        expr=value_expr,
        canonical=column_canonical(info.id, value_expr),
        metadata=md,
    )


def column_family(info: TableInfo, col_name: str) -> str:
    """The input-type family of a column of a pipeline table (``'image'``, ``'json'``, …)."""
    return type_family(info.tbl[col_name].col_type)
