"""A new pattern on a table: the form of each kind's parameters, a preview that writes nothing, then creation.

The form's choices come from the table's columns as the catalog stores them (nothing is opened to build a form or a
preview); creation calls the pattern's own constructor, which validates again and writes.

Example:
    >>> [p.name for p in new_pattern_params('demo/predictions', 'evaluation')]  # doctest: +SKIP
    ['name', 'prediction', 'ground_truth', 'timestamp', 'window']
    >>> preview_new_pattern('demo/predictions', 'evaluation', {'prediction': 'pred', 'ground_truth': 'label'}).code
    ... # doctest: +SKIP
    "pxw.IncrementalEvaluation('demo/predictions', 'pred', 'label', None, window='1h', name='eval')"
    >>> ev = create_pattern('demo/predictions', 'evaluation', {...})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pxwidgets.errors import InvalidParameterError, InvalidRequestError, TableNotFoundError
from pxwidgets.patterns.catalog_scan import CatalogView, scan_catalog
from pxwidgets.patterns.common.names import parent_of, short_name, validate_stage_name
from pxwidgets.patterns.common.params import Param
from pxwidgets.tables.internals import StoredColumn, StoredTable, read_catalog

NEW_KINDS = ('pipeline', 'consensus', 'cascade', 'evaluation')
"""The kinds made on one table (an experiment is made from a setup function, in Python)."""

DESCRIPTIONS = {
    'pipeline': 'Refine this table step by step: iterator views, computed columns, filters (StageBuilder).',
    'consensus': 'Compare several models on the same rows and combine their answers (ConsensusGrid).',
    'cascade': 'Search these documents at several granularities at once (CascadeSearch).',
    'evaluation': 'Metrics and drift per time window as predictions and labels arrive (DriftDashboard).',
}
LABEL_TYPES = ('int', 'string')
TEXT_TYPES = ('document', 'string')


@dataclass(frozen=True)
class NewPatternPreview:
    """What creating a pattern would do (nothing was written to find out).

    Attributes:
        kind: The pattern kind.
        table: The table it goes on.
        params: The checked parameters.
        code: The Python that creates it.
        writes: What creation writes (tables, views, columns), one line each.
        notes: Anything else worth knowing.
    """

    kind: str
    table: str
    params: dict[str, Any]
    code: str
    writes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The key the catalog will list the new pattern under (``PatternRecord.key``)."""
        name = self.params.get('name') or short_name(self.table)
        if self.kind == 'cascade':
            parent = parent_of(self.table)
            return f'cascade:{parent + "/" if parent else ""}{name}:{name}'
        return f'{self.kind}:{self.table}:{name}'


def _table(cat: CatalogView, path: str) -> StoredTable:
    table = cat.by_path.get(path.strip('/')) if isinstance(path, str) else None
    if table is None:
        raise TableNotFoundError(str(path))
    if table.kind == 'snapshot':
        raise InvalidRequestError(f'{path} is a snapshot: it never changes, so no pattern can be made on it.')
    return table


def _kind(kind: Any) -> str:
    if kind not in NEW_KINDS:
        raise InvalidRequestError(
            f'A new pattern on a table is one of: {", ".join(NEW_KINDS)}; not {kind!r}.',
            hint='Experiments are made in Python: pxw.VersionedExperiment(name, setup).',
        )
    return str(kind)


def _names(columns: Mapping[str, StoredColumn], types: tuple[str, ...] | None = None) -> tuple[str, ...]:
    return tuple(n for n, c in columns.items() if types is None or c.type in types)


def _choice(name: str, choices: tuple[str, ...], description: str, *, nullable: bool, default: Any = None) -> Param:
    if not choices:  # a choice needs choices: a free text field then, refused at preview with the reason
        return Param(name, 'string', None, description, nullable=nullable)
    first = default if default in choices else (None if nullable else choices[0])
    return Param(name, 'choice', first, description, choices=choices, nullable=nullable)


def new_pattern_params(table: str, kind: str) -> list[Param]:
    """The parameters of a new pattern of ``kind`` on ``table``, with the table's columns as choices.

    Raises:
        TableNotFoundError: If there is no such table.
        InvalidRequestError: For an unknown kind or a snapshot.
    """
    cat = CatalogView(read_catalog())
    stored = _table(cat, table)
    kind = _kind(kind)
    cols = dict(sorted(cat.columns(stored).items()))
    short = short_name(stored.path)
    if kind == 'pipeline':
        return [Param('dir', 'string', None, 'Directory for new views (default: the source table’s)', nullable=True)]
    if kind == 'consensus':
        return [
            Param('name', 'string', 'consensus', 'Name of the consensus (several can share a table)'),
            _choice('input_column', _names(cols), 'The column the models read', nullable=True),
            _choice('ground_truth', _names(cols), 'The true answers, if known', nullable=True),
            Param(
                'kind',
                'choice',
                None,
                'What the models output',
                choices=('labels', 'detections', 'text'),
                nullable=True,
            ),
        ]
    if kind == 'cascade':
        return [
            Param('name', 'string', f'{short}_cascade', 'Name of the cascade (its directory beside the table)'),
            _choice('content_column', _names(cols, TEXT_TYPES), 'The documents or texts to index', nullable=False),
            _choice('key_column', _names(cols, ('string', 'int')), 'A column naming each document', nullable=True),
        ]
    labels = _names(cols, LABEL_TYPES)
    return [
        Param('name', 'string', 'eval', 'Name of the evaluation (its tables go in <table>_<name>)'),
        _choice('prediction', labels, 'The predicted class', nullable=False, default='prediction'),
        _choice('ground_truth', labels, 'The true class (may arrive later)', nullable=False, default='label'),
        _choice('timestamp', _names(cols, ('timestamp',)), 'When each row happened (time windows)', nullable=True),
        Param('window', 'string', '1h', "Window size: '15min', '1h', '1d' or 'N rows'"),
        _choice('order', _names(cols, ('int',)), 'An integer order column (for N-row windows)', nullable=True),
    ]


def _check(table: str, kind: str, params: Any) -> tuple[CatalogView, StoredTable, dict[str, Any]]:
    """The parameters completed with their defaults and checked against the stored catalog (per-field errors)."""
    if not isinstance(params, Mapping):
        raise InvalidRequestError('The parameters must be an object.')
    specs = {p.name: p for p in new_pattern_params(table, kind)}
    cat = CatalogView(read_catalog())
    stored = _table(cat, table)
    cols = cat.columns(stored)
    errors: list[dict[str, str]] = [
        {'param': str(k), 'message': f'Unknown parameter {k!r}.'} for k in params if k not in specs
    ]
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = params.get(name, spec.default)
        if value == '' and spec.nullable:
            value = None
        if value is None and not spec.nullable:
            errors.append({'param': name, 'message': 'Required.'})
        elif value is not None and not isinstance(value, str):
            errors.append({'param': name, 'message': 'Must be text.'})
        elif spec.type == 'choice' and value is not None and value not in spec.choices:
            errors.append({'param': name, 'message': f'Pick one of: {", ".join(spec.choices) or "(none fit)"}.'})
        elif value is not None and name not in ('dir', 'window', 'kind', 'name') and value not in cols:
            errors.append({'param': name, 'message': f'{stored.path} has no column {value!r}.'})
        values[name] = value
    if 'name' in specs and values.get('name') is not None:
        try:
            values['name'] = validate_stage_name(values['name'])
        except InvalidRequestError as exc:
            errors.append({'param': 'name', 'message': exc.message})
    if kind == 'evaluation':
        bad = {e['param'] for e in errors}
        pred, truth = cols.get(values['prediction'] or ''), cols.get(values['ground_truth'] or '')
        if (
            pred is not None
            and truth is not None
            and not {'prediction', 'ground_truth'} & bad
            and pred.type != truth.type
        ):
            errors.append(
                {'param': 'ground_truth', 'message': f'{truth.name} is {truth.type} but {pred.name} is {pred.type}.'}
            )
        window = str(values['window'] or '').strip().lower()
        if window.endswith('rows') and values.get('order') is None:
            errors.append({'param': 'order', 'message': 'Row windows need an integer order column.'})
        if not window.endswith('rows') and values.get('timestamp') is None:
            errors.append({'param': 'timestamp', 'message': 'Time windows need a timestamp column.'})
    if kind == 'pipeline' and values.get('dir') and values['dir'] not in cat.dirs:
        errors.append({'param': 'dir', 'message': f'{values["dir"]!r} is not a directory.'})
    if errors:
        raise InvalidParameterError(f'The {kind} cannot be made on {stored.path} with these parameters.', errors=errors)
    return cat, stored, values


def _taken(cat: CatalogView, stored: StoredTable, kind: str, values: dict[str, Any]) -> str | None:
    """Why the name is taken (an existing pattern of that name, or a path in use), or ``None``."""
    existing = [r for r in scan_catalog(stored=cat.stored) if r.kind == kind]
    if kind == 'consensus' and any(r.path == stored.path and r.name == values['name'] for r in existing):
        return f'{stored.path} already has a consensus named {values["name"]!r}; open it instead.'
    owner = next((r for r in existing if r.path == stored.path or stored.path in r.owns), None)
    if kind == 'pipeline' and owner is not None:
        return f'{stored.path} already belongs to the pipeline of {owner.path}; open it instead.'
    parent = parent_of(stored.path)
    if kind == 'cascade':
        path = f'{parent}/{values["name"]}' if parent else values['name']
        if path in cat.dirs or path in cat.by_path:
            return f'{path} already exists.'
    if kind == 'evaluation':
        path = f'{stored.path}_{values["name"]}'
        if path in cat.dirs or path in cat.by_path:
            return f'{path} already exists.'
    return None


def _code(kind: str, table: str, v: dict[str, Any]) -> tuple[str, list[str]]:
    parent = parent_of(table)
    if kind == 'pipeline':
        extra = f', dir={v["dir"]!r}' if v.get('dir') else ''
        return f'p = pxw.ProgressiveRefinement({table!r}{extra})', ['Nothing yet: add stages to it.']
    if kind == 'consensus':
        args = [repr(table), repr(v['input_column']), f'name={v["name"]!r}']
        args += [f'{k}={v[k]!r}' for k in ('ground_truth', 'kind') if v.get(k) is not None]
        return f'c = pxw.MultiModelConsensus({", ".join(args)})', ['Nothing yet: its columns come with its models.']
    if kind == 'cascade':
        path = f'{parent}/{v["name"]}' if parent else v['name']
        key = f', key_column={v["key_column"]!r}' if v.get('key_column') else ''
        code = f's = pxw.SemanticIndexCascade({table!r}, {v["content_column"]!r}, name={v["name"]!r}{key})'
        return code, [f'directory {path}', f'view {path}/documents (each document’s outline)']
    store = f'{table}_{v["name"]}'
    args = [repr(table), repr(v['prediction']), repr(v['ground_truth']), repr(v['timestamp'])]
    args += [f'window={v["window"]!r}'] + ([f'order={v["order"]!r}'] if v.get('order') else [])
    code = f'ev = pxw.IncrementalEvaluation({", ".join(args)}, name={v["name"]!r})'
    writes = [f'column {table}.{v["name"]}_correct'] + ([f'column {table}.{v["name"]}_t'] if v['timestamp'] else [])
    return code, [*writes, f'tables {store}/settings, {store}/windows, {store}/alerts']


def preview_new_pattern(table: str, kind: str, params: Mapping[str, Any] | None = None) -> NewPatternPreview:
    """Check the parameters of a new pattern and say what creating it would write; nothing is written.

    Raises:
        InvalidParameterError: Per-field messages (``details['params']``) for parameters that do not fit.
        InvalidRequestError: The name is taken.

    Example:
        >>> preview_new_pattern('demo/docs', 'cascade', {'content_column': 'doc'}).writes  # doctest: +SKIP
        ['directory demo/docs_cascade', 'view demo/docs_cascade/documents (each document’s outline)']
    """
    kind = _kind(kind)
    cat, stored, values = _check(table, kind, params or {})
    taken = _taken(cat, stored, kind, values)
    if taken is not None:
        raise InvalidParameterError(
            taken, errors=[{'param': 'name' if kind != 'pipeline' else 'dir', 'message': taken}]
        )
    code, writes = _code(kind, stored.path, values)
    notes = [DESCRIPTIONS[kind]]
    if kind == 'cascade':
        notes.append('Add levels (sections, paragraphs, sentences, windows) in its panel.')
    if kind == 'evaluation':
        notes.append('The window size is checked again at creation.')
    return NewPatternPreview(kind, stored.path, values, code, writes, notes)


def create_pattern(table: str, kind: str, params: Mapping[str, Any] | None = None) -> Any:
    """Make a new pattern on a table (after the checks of :func:`preview_new_pattern`); returns its object.

    Raises:
        InvalidParameterError: As the preview.
        PxWidgetsError: What the pattern's constructor refuses (nothing is written then).

    Example:
        >>> s = create_pattern('demo/docs', 'cascade', {'content_column': 'doc', 'name': 'docs_cascade'})
        ... # doctest: +SKIP
    """
    preview = preview_new_pattern(table, kind, params)
    v = preview.params
    from pxwidgets.patterns import (
        IncrementalEvaluation,
        MultiModelConsensus,
        ProgressiveRefinement,
        SemanticIndexCascade,
    )

    if kind == 'pipeline':
        return ProgressiveRefinement(preview.table, dir=v.get('dir'))
    if kind == 'consensus':
        return MultiModelConsensus(
            preview.table, v['input_column'], name=v['name'], ground_truth=v.get('ground_truth'), kind=v.get('kind')
        )
    if kind == 'cascade':
        return SemanticIndexCascade(preview.table, v['content_column'], name=v['name'], key_column=v.get('key_column'))
    return IncrementalEvaluation(
        preview.table,
        v['prediction'],
        v['ground_truth'],
        v['timestamp'],
        window=v['window'],
        order=v.get('order'),
        name=v['name'],
    )
