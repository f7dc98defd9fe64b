"""A table's lineage: the chain of bases it derives from and the views derived from it, with how each is made.

Example:
    >>> g = lineage('demo/frames')  # doctest: +SKIP
    >>> [(n.path, n.kind, n.iterator) for n in g.nodes][:2]  # doctest: +SKIP
    [('demo/videos', 'table', None), ('demo/frames', 'view', 'frame_iterator(video, fps=1.0)')]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pixeltable as pxt

from pxwidgets.tables.resolve import call_reading, describe_table, open_table, table_path

MAX_NODES = 200


@dataclass
class LineageNode:
    """One table of the lineage graph."""

    path: str
    kind: str
    version: int | None
    row_count: int | None
    iterator: str | None
    filter: str | None
    is_current: bool
    error: str | None = None
    """Why this table could not be described, if it could not."""


@dataclass
class Lineage:
    """Nodes and ``(source, target, label)`` edges from a base to each view made from it."""

    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {'nodes': [asdict(n) for n in self.nodes], 'edges': self.edges}


def _node(table: pxt.Table, *, current: bool, count_rows: bool) -> LineageNode:
    facts = describe_table(table)
    rows = None
    if count_rows:
        try:
            rows = table.count()
        except Exception:
            rows = None
    return LineageNode(
        table_path(table),
        facts['kind'],
        facts['version'],
        rows,
        facts['iterator'],
        facts['filter'],
        current,
        facts['error'],
    )


def _edge_label(node: LineageNode) -> str:
    if node.iterator:
        return node.iterator
    if node.filter:
        return f'where {node.filter}'
    return 'snapshot' if node.kind == 'snapshot' else 'view'


def lineage(table_or_path: pxt.Table | str, *, count_rows: bool = True) -> Lineage:
    """The base chain above the table and every view below it (recursively), as a graph.

    Args:
        table_or_path: the table whose lineage to show.
        count_rows: also count each table's rows (one ``count()`` per node).
    """

    def read(table: pxt.Table) -> Lineage:
        graph = Lineage()
        current = _node(table, current=True, count_rows=count_rows)
        chain = [current]
        base = table.get_base_table()
        while base is not None and len(chain) < MAX_NODES:
            chain.append(_node(base, current=False, count_rows=count_rows))
            base = base.get_base_table()
        graph.nodes.extend(reversed(chain))
        for parent, child in zip(reversed(chain), list(reversed(chain))[1:], strict=False):
            graph.edges.append({'source': parent.path, 'target': child.path, 'label': _edge_label(child)})
        pending = [current.path]
        seen = {n.path for n in graph.nodes}
        while pending and len(graph.nodes) < MAX_NODES:
            parent_path = pending.pop(0)
            for view_path in sorted(open_table(parent_path).list_views(recursive=False)):
                if view_path in seen:
                    continue
                seen.add(view_path)
                node = _node(open_table(view_path), current=False, count_rows=count_rows)
                graph.nodes.append(node)
                graph.edges.append({'source': parent_path, 'target': view_path, 'label': _edge_label(node)})
                pending.append(view_path)
        return graph

    return call_reading(table_or_path, read, what='reading the lineage')
