"""A pipeline's lineage as a JSON-able graph: one node per stage, one edge per "reads from".

Schema::

    {"root": "videos", "head": "faces",
     "nodes": [{"id": "faces", "kind": "column", "table": "demo/frames", "column": "faces", "output": "faces",
                "rows": 12, "errors": 0, "definition": "detect_faces(frames.frame, ...)",
                "transform": "detect_faces", "params": {...}, "managed": true, "problem": null}],
     "edges": [{"source": "frames", "target": "faces"}]}

``rows`` is the number of rows of the stage's table; ``errors`` the number of rows where a stored computed column
failed (``null`` for views, whose rows do not fail one by one, and where counting was impossible); ``error_rate`` is
``errors / rows``; ``compute_seconds`` how long creating the stage took (``null``: unknown, e.g. a hand-made stage).

Example:
    >>> graph = lineage_graph(state, head='faces')  # doctest: +SKIP
    >>> [(e['source'], e['target']) for e in graph['edges']]  # doctest: +SKIP
    [('videos', 'frames'), ('frames', 'faces')]
"""

from __future__ import annotations

from typing import Any, TypedDict

from pxwidgets.patterns.common.guards import broken_fix
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord, column_is_stored
from pxwidgets.patterns.progressive.stats import compute_time, error_rate
from pxwidgets.tables.counting import failed_rows_by_column, live_rows


class LineageNode(TypedDict):
    """One stage."""

    id: str
    """The stage's name (unique in the pipeline)."""
    kind: str
    """``'source'``, ``'iterator'``, ``'filter'`` or ``'column'``."""
    table: str
    """The path of the table or view that holds the stage's rows (column stages share their table's)."""
    column: str | None
    output: str | None
    rows: int | None
    errors: int | None
    error_rate: float | None
    """``errors / rows`` (``None`` where either is unknown or there are no rows)."""
    compute_seconds: float | None
    """How long creating the stage took, where this process added it; ``None``: unknown (see ``progressive.stats``)."""
    definition: str
    transform: str | None
    params: dict[str, Any]
    managed: bool
    problem: str | None


class StageProblem(TypedDict):
    """A stage that cannot run any more, and how to fix it (``ProgressiveRefinement.problems()``)."""

    stage: str
    problem: str
    fix: str


class LineageEdge(TypedDict):
    """``target`` reads from ``source``."""

    source: str
    target: str


class LineageGraph(TypedDict):
    """The whole graph."""

    root: str
    head: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]


def _count(record: StageRecord, cache: dict[str, int | None]) -> int | None:
    if record.table_id not in cache:
        try:
            cache[record.table_id] = live_rows(record.tbl)
        except Exception:
            cache[record.table_id] = None
    return cache[record.table_id]


def _error_counts(state: PipelineState) -> dict[str, int | None]:
    """Failed rows per stored column stage: one query per table, not one per column."""
    by_table: dict[str, list[StageRecord]] = {}
    for record in state.records.values():
        stage = record.stage
        if stage.kind == 'column' and stage.column is not None:
            by_table.setdefault(record.table_id, []).append(record)
    counts: dict[str, int | None] = {}
    for table_id, records in by_table.items():
        tbl = records[0].tbl
        md = state.tables[table_id].md  # read once by the scan: whether each column is stored
        try:
            stored = [
                r.stage.column
                for r in records
                if r.stage.column
                and (md['columns'][r.stage.column]['is_stored'] if md else column_is_stored(tbl, r.stage.column))
            ]
            failed = failed_rows_by_column(tbl, stored)
        except Exception:  # a table Pixeltable cannot query (e.g. a broken UDF) shows no counts, not an error
            failed = {}
        counts.update({r.stage.name: failed.get(r.stage.column or '') for r in records})
    return counts


def lineage_graph(state: PipelineState, head: str, *, counts: bool = True) -> LineageGraph:
    """The pipeline's graph.

    Args:
        state: The pipeline as read from the catalog.
        head: The stage new stages currently go after.
        counts: Count rows and errors (one query per table and per stored column); ``False`` leaves them ``None``.
    """
    cache: dict[str, int | None] = {}
    errors = _error_counts(state) if counts else {}
    nodes: list[LineageNode] = []
    edges: list[LineageEdge] = []
    for record in state.records.values():
        stage = record.stage
        rows = _count(record, cache) if counts else None
        nodes.append(
            {
                'id': stage.name,
                'kind': stage.kind,
                'table': stage.table,
                'column': stage.column,
                'output': stage.output,
                'rows': rows,
                'errors': errors.get(stage.name),
                'error_rate': error_rate(rows, errors.get(stage.name)),
                'compute_seconds': compute_time(state, record),
                'definition': stage.definition,
                'transform': stage.transform,
                'params': dict(stage.params),
                'managed': stage.managed,
                'problem': stage.problem,
            }
        )
        edges.extend({'source': source, 'target': stage.name} for source in stage.inputs)
    return {'root': state.root_info().stage, 'head': head, 'nodes': nodes, 'edges': edges}


def graph_problems(graph: LineageGraph) -> list[StageProblem]:
    """The stages of a graph that cannot run any more (e.g. a notebook UDF lost in a kernel restart), with how to fix
    each: what ``ProgressiveRefinement.problems()`` answers, read from a graph already made.

    Example:
        >>> graph_problems({'root': 'a', 'head': 'a', 'nodes': [], 'edges': []})
        []
    """
    return [
        {'stage': node['id'], 'problem': node['problem'], 'fix': broken_fix(node['id'])}
        for node in graph['nodes']
        if node['problem'] is not None
    ]
