"""PatternHub: every pattern of the catalog in one panel, their lineage, their own panels opened inside it.

The list and the lineage come from ``patterns.catalog`` (stored metadata only: nothing is opened, no model loaded).
A pattern's own panel (StageBuilder, ConsensusGrid, CascadeSearch, DriftDashboard, ExperimentTimeline; TableBrowser
for a table) opens *inside* the hub, several at once, each keeping its state. anywidget only, no ipywidgets containers
(meant for JupyterLab and marimo alike; tested in JupyterLab): the child panels are Python objects the hub keeps,
multiplexed over the hub's own comm. The hub's JavaScript loads a child's ES module and CSS (sent by the ``open``
command, imported from a Blob URL as anywidget does) and renders it over a proxy model whose
``get/set/save_changes/send/on('msg:custom')`` travel through the hub with the child's id; Python routes them to the
child (its message handlers, its traits) and forwards its replies and trait changes back, buffers included:

    JS → Python  {'type': 'child-msg', 'child': 'c1', 'content': {...}}   + buffers  (the child's model.send)
                 {'type': 'child-set', 'child': 'c1', 'state': {...}}                 (the child's save_changes)
    Python → JS  {'type': 'child-msg', 'child': 'c1', 'content': {...}}   + buffers  (the child's send)
                 {'type': 'child-state', 'child': 'c1', 'state': {...}, 'buffer_paths': [...]} (its trait changes)

"New pattern on this table": pick a table and a kind, fill the form generated from the kind's parameters, preview
(nothing is written), create. The panel polls a cheap catalog fingerprint while it is visible and reloads the list
when the catalog changed.

Example:
    >>> import pxwidgets as pxw
    >>> hub = pxw.PatternHub('demo')  # doctest: +SKIP
    >>> hub  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib
import itertools
import time
from typing import Any, Literal, NotRequired, TypedDict

import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels import PANELS
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, command, required_text
from pxwidgets.panels.contract import NoPayload, ParamSpec
from pxwidgets.patterns.catalog_new import (
    DESCRIPTIONS,
    NEW_KINDS,
    create_pattern,
    new_pattern_params,
    preview_new_pattern,
)
from pxwidgets.patterns.catalog_open import open_record
from pxwidgets.patterns.catalog_scan import CatalogView, PatternRecord, scan_catalog, under
from pxwidgets.tables.internals import catalog_fingerprint, read_catalog

PANEL_OF_KIND = {
    'pipeline': 'StageBuilder',
    'consensus': 'ConsensusGrid',
    'cascade': 'CascadeSearch',
    'evaluation': 'DriftDashboard',
    'experiment': 'ExperimentTimeline',
    'table': 'TableBrowser',
}
"""The panel each pattern kind opens in (``'table'``: any table, in a TableBrowser)."""

_NOT_FORWARDED = frozenset(
    {'_esm', '_css', '_anywidget_id', 'layout', 'tabbable', 'tooltip', '_dom_classes', 'comm', 'keys', 'log'}
)

# ---- message shapes (mirrored in js/pattern_hub/contract.ts) ------------------------------------------------------


class HubPattern(TypedDict):
    """One pattern as the hub lists it."""

    key: str
    kind: str
    name: str
    path: str
    dir: str
    owns: list[str]
    reads: list[str]
    rows: dict[str, int | None]
    version: int | None
    changed_at: float | None
    changed_table: str | None
    problems: list[str]
    adopted: bool
    summary: str
    panel: str


class HubNode(TypedDict):
    """A node of the cross-pattern lineage: a pattern, or a table some pattern reads."""

    id: str
    label: str
    kind: str  # 'pattern' | 'table'
    pattern_kind: str | None
    path: str


class HubEdge(TypedDict):
    source: str
    target: str


class HubLineage(TypedDict):
    nodes: list[HubNode]
    edges: list[HubEdge]


class HubCatalogReply(TypedDict):
    dir: str | None
    patterns: list[HubPattern]
    lineage: HubLineage
    fingerprint: str
    tables: int  # tables in the directory listed (the whole catalog without one)
    elapsed_ms: float


class FingerprintReply(TypedDict):
    fingerprint: str


class HubColumn(TypedDict):
    name: str
    type: str


class HubTable(TypedDict):
    path: str
    kind: str
    columns: list[HubColumn]


class HubKind(TypedDict):
    kind: str
    description: str


class TablesReply(TypedDict):
    tables: list[HubTable]
    kinds: list[HubKind]


class FormRequest(TypedDict):
    table: str
    kind: str


class FormReply(TypedDict):
    table: str
    kind: str
    description: str
    params: list[ParamSpec]


class NewPatternRequest(TypedDict):
    table: str
    kind: str
    params: dict[str, Any]


class PreviewReply(TypedDict):
    table: str
    kind: str
    code: str
    writes: list[str]
    notes: list[str]


class HubOpenRequest(TypedDict):
    kind: str
    path: str
    name: NotRequired[str]


class ChildReply(TypedDict):
    """A child panel opened inside the hub: what its view needs to render over a proxy model."""

    child: str
    kind: str
    panel: str
    title: str
    path: str
    esm: str
    css: str
    state: dict[str, Any]
    buffer_paths: list[list[str]]


class CreateReply(TypedDict):
    code: str
    key: str  # the new pattern's key in the catalog (HubPattern.key)
    opened: ChildReply


class CloseRequest(TypedDict):
    child: str


class CloseReply(TypedDict):
    closed: bool
    open: list[str]


class ChildMessage(TypedDict):
    """A child's custom message, either way (JS → Python: its ``model.send``; Python → JS: its ``send``)."""

    type: Literal['child-msg']
    child: str
    content: Any


class ChildSet(TypedDict):
    """JS → Python: the child's ``save_changes`` (trait values set in the browser)."""

    type: Literal['child-set']
    child: str
    state: dict[str, Any]


class ChildState(TypedDict):
    """Python → JS: trait values the child changed in Python (``bytes`` values travel as buffers)."""

    type: Literal['child-state']
    child: str
    state: dict[str, Any]
    buffer_paths: list[list[str]]


# ---- helpers --------------------------------------------------------------------------------------------------


def _pattern_info(record: PatternRecord) -> HubPattern:
    return {
        'key': record.key,
        'kind': record.kind,
        'name': record.name,
        'path': record.path,
        'dir': record.dir,
        'owns': list(record.owns),
        'reads': list(record.reads),
        'rows': dict(record.rows),
        'version': record.version,
        'changed_at': record.changed_at,
        'changed_table': record.changed_table,
        'problems': list(record.problems),
        'adopted': record.adopted,
        'summary': record.summary,
        'panel': PANEL_OF_KIND[record.kind],
    }


def lineage(records: list[PatternRecord]) -> HubLineage:
    """Patterns and the tables they read; an edge from a table's owner to it, and from it to each reader."""
    owner = {path: r.key for r in records for path in r.owns}
    nodes: list[HubNode] = [
        {'id': r.key, 'label': f'{r.name}', 'kind': 'pattern', 'pattern_kind': r.kind, 'path': r.path} for r in records
    ]
    edges: list[HubEdge] = []
    tables: dict[str, HubNode] = {}
    for r in records:
        for path in r.reads:
            node_id = f'table:{path}'
            if node_id not in tables:
                tables[node_id] = {
                    'id': node_id,
                    'label': path.rsplit('/', 1)[-1],
                    'kind': 'table',
                    'pattern_kind': None,
                    'path': path,
                }
                if path in owner and owner[path] != r.key:
                    edges.append({'source': owner[path], 'target': node_id})
            edges.append({'source': node_id, 'target': r.key})
    return {'nodes': [*nodes, *tables.values()], 'edges': edges}


def split_buffers(state: dict[str, Any]) -> tuple[dict[str, Any], list[list[str]], list[bytes]]:
    """Top-level ``bytes`` values of a trait state taken out as buffers (their paths say where they go back)."""
    clean: dict[str, Any] = {}
    paths: list[list[str]] = []
    buffers: list[bytes] = []
    for name, value in state.items():
        if isinstance(value, bytes | bytearray | memoryview):
            paths.append([name])
            buffers.append(bytes(value))
        else:
            clean[name] = value
    return clean, paths, buffers


def _panel_class(name: str) -> Any:
    return getattr(importlib.import_module(PANELS[name]), name)


class PatternHub(Panel):
    """Every pattern of the catalog (or of one directory), their lineage, and their panels opened inside.

    Args:
        dir: A Pixeltable directory to list (``None``: the whole catalog).
        poll_seconds: How often the panel checks, while visible, whether the catalog changed (0: never).

    Example:
        >>> hub = PatternHub('demo')  # doctest: +SKIP
        >>> hub.handle_request('catalog')['payload']['patterns'][0]['summary']  # doctest: +SKIP
        '4 stages: videos → frames → faces → n_faces'
        >>> hub.children  # the panels opened inside it, by child id  # doctest: +SKIP
    """

    _esm = esm('pattern_hub')
    _css = css('pattern_hub')

    dir = traitlets.Unicode('').tag(sync=True)
    """The directory listed ('' for the whole catalog)."""
    poll_seconds = traitlets.Float(3.0).tag(sync=True)
    """Seconds between two checks of the catalog fingerprint while the panel is visible (0: no polling)."""

    def __init__(self, dir: str | None = None, *, poll_seconds: float = 3.0, **kwargs: Any) -> None:
        if dir is not None:
            scan_catalog(dir)  # refuses a directory that does not exist, before anything is displayed
        super().__init__(dir=(dir or '').strip('/'), poll_seconds=poll_seconds, **kwargs)
        self._children: dict[str, Panel] = {}
        self._child_ids = itertools.count(1)
        self._applying: set[str] = set()

    @property
    def children(self) -> dict[str, Panel]:
        """The panels open inside the hub, by child id."""
        return dict(self._children)

    # ---- the catalog ----------------------------------------------------------------------------------------------

    @command('catalog', request=NoPayload, reply=HubCatalogReply)
    def _catalog(self, payload: dict[str, Any], progress: ProgressReporter) -> HubCatalogReply:
        start = time.perf_counter()
        stored = read_catalog()
        records = scan_catalog(self.dir or None, stored=stored)
        return {
            'dir': self.dir or None,
            'patterns': [_pattern_info(r) for r in records],
            'lineage': lineage(records),
            'fingerprint': catalog_fingerprint(),
            'tables': sum(under(t.path, self.dir) for t in stored.tables),
            'elapsed_ms': (time.perf_counter() - start) * 1000,
        }

    @command('fingerprint', request=NoPayload, reply=FingerprintReply)
    def _fingerprint(self, payload: dict[str, Any], progress: ProgressReporter) -> FingerprintReply:
        return {'fingerprint': catalog_fingerprint()}

    # ---- new pattern on a table -----------------------------------------------------------------------------------

    @command('tables', request=NoPayload, reply=TablesReply)
    def _tables(self, payload: dict[str, Any], progress: ProgressReporter) -> TablesReply:
        cat = CatalogView(read_catalog())
        tables: list[HubTable] = [
            {
                'path': t.path,
                'kind': t.kind,
                'columns': [{'name': c.name, 'type': c.type} for c in cat.columns(t).values()],
            }
            for t in cat.stored.tables
            if t.kind != 'snapshot' and (not self.dir or t.path.startswith(self.dir + '/'))
        ]
        return {'tables': tables, 'kinds': [{'kind': k, 'description': DESCRIPTIONS[k]} for k in NEW_KINDS]}

    @command('form', request=FormRequest, reply=FormReply)
    def _form(self, payload: dict[str, Any], progress: ProgressReporter) -> FormReply:
        table, kind = required_text(payload, 'table'), required_text(payload, 'kind')
        params = new_pattern_params(table, kind)
        return {
            'table': table,
            'kind': kind,
            'description': DESCRIPTIONS[kind],
            'params': [p.to_json() for p in params],
        }

    @command('preview', request=NewPatternRequest, reply=PreviewReply)
    def _preview(self, payload: dict[str, Any], progress: ProgressReporter) -> PreviewReply:
        preview = preview_new_pattern(
            required_text(payload, 'table'), required_text(payload, 'kind'), payload.get('params') or {}
        )
        return {
            'table': preview.table,
            'kind': preview.kind,
            'code': preview.code,
            'writes': preview.writes,
            'notes': preview.notes,
        }

    @command('create', background=True, request=NewPatternRequest, reply=CreateReply)
    def _create(self, payload: dict[str, Any], progress: ProgressReporter) -> tuple[CreateReply, list[bytes]]:
        table, kind = required_text(payload, 'table'), required_text(payload, 'kind')
        params = payload.get('params') or {}
        preview = preview_new_pattern(table, kind, params)
        progress.report(0, None, f'Creating the {kind} on {table}')
        obj = create_pattern(table, kind, params)
        opened, buffers = self._attach(kind, preview.table, obj)
        return {'code': preview.code, 'key': preview.key, 'opened': opened}, buffers

    # ---- child panels ---------------------------------------------------------------------------------------------

    @command('open', background=True, request=HubOpenRequest, reply=ChildReply)
    def _open(self, payload: dict[str, Any], progress: ProgressReporter) -> tuple[ChildReply, list[bytes]]:
        kind, path = required_text(payload, 'kind'), required_text(payload, 'path')
        if kind not in PANEL_OF_KIND:
            raise InvalidRequestError(f'Unknown kind {kind!r}.', hint=f'Kinds: {", ".join(PANEL_OF_KIND)}.')
        progress.report(0, None, f'Opening {path}')
        if kind == 'table':
            return self._attach(kind, path, path)
        name = payload.get('name')
        if not isinstance(name, str):
            raise InvalidRequestError('Say which pattern: its name is missing.')
        return self._attach(kind, path, open_record(PatternRecord(kind, name, path, '')))

    @command('close', request=CloseRequest, reply=CloseReply)
    def _close(self, payload: dict[str, Any], progress: ProgressReporter) -> CloseReply:
        child = self._children.pop(required_text(payload, 'child'), None)
        if child is not None:
            child.close()
        return {'closed': child is not None, 'open': list(self._children)}

    def _attach(self, kind: str, path: str, obj: Any) -> tuple[ChildReply, list[bytes]]:
        """Make the child panel of a pattern object, route its messages and trait changes through the hub."""
        panel_name = PANEL_OF_KIND[kind]
        child: Panel = _panel_class(panel_name)(obj)
        child_id = f'c{next(self._child_ids)}'
        self._children[child_id] = child
        child.send = functools.partial(self._child_send, child_id)
        child._send_message = functools.partial(self._child_send_message, child_id)  # type: ignore[method-assign]
        names = self._forwarded(child)
        child.observe(functools.partial(self._child_changed, child_id), names=names)
        state, paths, buffers = split_buffers(child.get_state(key=names))
        title = f'{panel_name} · {path}'
        reply: ChildReply = {
            'child': child_id,
            'kind': kind,
            'panel': panel_name,
            'title': title,
            'path': path,
            'esm': str(getattr(child, '_esm', '')),
            'css': str(getattr(child, '_css', '') or ''),
            'state': state,
            'buffer_paths': paths,
        }
        return reply, buffers

    @staticmethod
    def _forwarded(child: Panel) -> list[str]:
        return [n for n in child.keys if n not in _NOT_FORWARDED and not n.startswith(('_model_', '_view_'))]

    def _child_send(self, child_id: str, content: Any, buffers: list[bytes] | None = None) -> None:
        message: ChildMessage = {'type': 'child-msg', 'child': child_id, 'content': content}
        if self.comm is not None:
            self.send(message, buffers=buffers or None)

    def _child_send_message(self, child_id: str, msg: dict[str, Any], buffers: list[bytes]) -> None:
        self._child_send(child_id, msg, buffers)

    def _child_changed(self, child_id: str, change: dict[str, Any]) -> None:
        if child_id in self._applying or child_id not in self._children:
            return
        name = str(change['name'])
        state, paths, buffers = split_buffers(self._children[child_id].get_state(key=[name]))
        message: ChildState = {'type': 'child-state', 'child': child_id, 'state': state, 'buffer_paths': paths}
        if self.comm is not None:
            self.send(message, buffers=buffers or None)

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list[bytes] | None) -> None:
        if isinstance(content, dict) and content.get('type') in ('child-msg', 'child-set'):
            self.route_child_message(content, buffers or [])
            return
        super()._on_custom_msg(_widget, content, buffers)

    def route_child_message(self, content: dict[str, Any], buffers: list[bytes]) -> bool:
        """Deliver a message the browser sent for a child panel (see the module's docstring); ``False`` when the
        child is gone or the message is malformed (then nothing happens)."""
        child = self._children.get(str(content.get('child')))
        if child is None:
            return False
        if content['type'] == 'child-msg':
            child._handle_custom_msg(content.get('content'), buffers)  # the child's own message handlers
            return True
        state = content.get('state')
        if not isinstance(state, dict):
            return False
        allowed = set(self._forwarded(child))
        clean = {k: v for k, v in state.items() if k in allowed}
        child_id = str(content['child'])
        self._applying.add(child_id)
        try:
            child.set_state(clean)
        finally:
            self._applying.discard(child_id)
        return True

    def close(self) -> None:
        """Close every child panel, then the hub."""
        for child in list(getattr(self, '_children', {}).values()):
            child.close()
        if hasattr(self, '_children'):
            self._children.clear()
        super().close()
