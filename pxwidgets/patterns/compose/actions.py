"""Start another pattern on a pipeline stage's table: the forms, a preview that writes nothing, and creation.

Four actions, each the plain call of another pattern on the table that holds a stage's rows:

- ``'consensus'`` (compare models here): a ``MultiModelConsensus`` over ≥ 2 of the table's model columns of one kind
  (labels, detections or free text: told from the column types and values as the consensus tells them), adopted as
  they are;
- ``'evaluation'`` (evaluate a column): an ``IncrementalEvaluation`` of a prediction column against a truth column of
  the same type, windowed by a timestamp (or an integer order) column;
- ``'cascade'`` (search this text): a ``SemanticIndexCascade`` over a document or text column, one level per splitter;
- ``'experiment'`` (run as an experiment): a ``VersionedExperiment`` whose setup is :func:`rebuild_pipeline`, with every
  stage parameter as a run parameter.

:func:`preview` checks every choice against the catalog and returns the Python it would run; :func:`create` runs
exactly that code's calls (so it writes what they write) after the same checks. A refused choice raises
``InvalidParameterError`` (one message per field in ``details['params']``) before anything is written.

Example:
    >>> from pxwidgets.patterns import compose
    >>> p = ProgressiveRefinement.open('demo/videos')  # doctest: +SKIP
    >>> [f.action for f in compose.actions(p, 'frames') if f.available]  # doctest: +SKIP
    ['consensus', 'experiment']
    >>> print(compose.preview(p, 'frames', 'consensus', {'models': ['faces', 'profiles']}).code)  # doctest: +SKIP
    >>> c = compose.create(p, 'frames', 'consensus', {'models': ['faces', 'profiles']}).pattern  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidParameterError, InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.cascade import DEFAULT_EMBEDDING, SemanticIndexCascade, embedding_choices, parse_splitter
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.params import Param, ParamSet
from pxwidgets.patterns.compose.columns import LABEL_TYPES, MEDIA_TYPES, StageColumns, stage_columns
from pxwidgets.patterns.compose.rebuild import left_out, param_key, rebuild_pipeline, reporting, stage_specs
from pxwidgets.patterns.consensus import MultiModelConsensus
from pxwidgets.patterns.incremental import IncrementalEvaluation, parse_window
from pxwidgets.patterns.progressive import ProgressiveRefinement, Stage
from pxwidgets.patterns.versioned import VersionedExperiment
from pxwidgets.tables.resolve import open_table

ProgressCallback = Callable[[int, int, str], None]

ACTIONS = ('consensus', 'evaluation', 'cascade', 'experiment')
"""The actions, in the order a menu lists them."""

LABELS = {
    'consensus': 'Compare models here',
    'evaluation': 'Evaluate a column',
    'cascade': 'Search this text',
    'experiment': 'Run as an experiment',
}
DESCRIPTIONS = {
    'consensus': 'A consensus of two or more model columns of this table, compared and combined (ConsensusGrid).',
    'evaluation': 'Metrics and drift per window of a prediction column against a truth column (DriftDashboard).',
    'cascade': 'This text searchable at several granularities at once (CascadeSearch).',
    'experiment': "Every run of this pipeline kept as a version, the stages' parameters as run parameters "
    '(ExperimentTimeline).',
}
PATTERNS = {
    'consensus': ('MultiModelConsensus', 'ConsensusGrid'),
    'evaluation': ('IncrementalEvaluation', 'DriftDashboard'),
    'cascade': ('SemanticIndexCascade', 'CascadeSearch'),
    'experiment': ('VersionedExperiment', 'ExperimentTimeline'),
}
UNITS = ('section', 'paragraph', 'sentence', 'window')
_EVAL_NAME = re.compile(r'[a-z][a-z0-9_]{0,30}')
_TRUTH_NAMES = ('label', 'truth', 'ground_truth', 'gt', 'target', 'y')


@dataclass(frozen=True)
class Pick:
    """A field that picks several values (model columns, levels).

    Attributes:
        name: The value's key in the action's values.
        description: One line for the form.
        options: ``{'value', 'group'}`` each (the group: a model column's kind).
        default: The values picked at first.
        minimum: How many must be picked.
    """

    name: str
    description: str
    options: list[dict[str, str]]
    default: list[str]
    minimum: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            'name': self.name,
            'description': self.description,
            'options': [dict(o) for o in self.options],
            'default': list(self.default),
            'minimum': self.minimum,
        }


@dataclass(frozen=True)
class ActionForm:
    """One action on one stage: whether it applies, and its form.

    Attributes:
        action: ``'consensus'``, ``'evaluation'``, ``'cascade'`` or ``'experiment'``.
        label: The menu's text.
        description: One line.
        pattern: The pattern class it creates; panel: the panel that shows it.
        stage: The stage; table: the table the pattern goes on.
        available: Whether this stage qualifies; reason: why not.
        params: The single-valued fields (a ``Param`` each, choices from the table's compatible columns).
        picks: The multi-valued fields.
    """

    action: str
    label: str
    description: str
    pattern: str
    panel: str
    stage: str
    table: str
    available: bool
    reason: str | None = None
    params: list[Param] = field(default_factory=list)
    picks: list[Pick] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            'action': self.action,
            'label': self.label,
            'description': self.description,
            'pattern': self.pattern,
            'panel': self.panel,
            'stage': self.stage,
            'table': self.table,
            'available': self.available,
            'reason': self.reason,
            'params': [p.to_json() for p in self.params],
            'picks': [p.to_json() for p in self.picks],
        }


@dataclass(frozen=True)
class ComposePreview:
    """What an action would create; nothing was written to find out.

    Attributes:
        action: The action; pattern: the class it creates.
        stage: The stage; table: the table the pattern goes on; target: the new pattern's path.
        values: The checked values (defaults filled in; ``kind`` added for a consensus).
        code: The Python that creates it (what :func:`create` runs).
        writes: What creating writes, one line each.
        notes: Anything else worth knowing.
        open_code: The line that opens the new pattern's panel (in any process, after a restart too).
    """

    action: str
    pattern: str
    stage: str
    table: str
    target: str
    values: dict[str, Any]
    code: str
    writes: list[str]
    notes: list[str]
    open_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            'action': self.action,
            'pattern': self.pattern,
            'stage': self.stage,
            'table': self.table,
            'target': self.target,
            'values': dict(self.values),
            'code': self.code,
            'writes': list(self.writes),
            'notes': list(self.notes),
            'open_code': self.open_code,
        }


@dataclass(frozen=True)
class Composed:
    """A created pattern: its object, the preview it was created from, the Pixeltable code it ran (when known)."""

    preview: ComposePreview
    pattern: Any
    pixeltable_code: str = ''


@dataclass(frozen=True)
class _Context:
    pipeline: ProgressiveRefinement
    stage: Stage
    tbl: pxt.Table
    cols: StageColumns

    @property
    def table(self) -> str:
        return self.stage.table

    @property
    def own_column(self) -> str | None:
        return self.stage.column if self.stage.kind == 'column' else None


def _context(pipeline: ProgressiveRefinement | str, stage: str) -> _Context:
    p = pipeline if isinstance(pipeline, ProgressiveRefinement) else ProgressiveRefinement.open(pipeline)
    if not isinstance(stage, str) or not stage:
        raise InvalidRequestError('Name the stage whose table the new pattern goes on.')
    st = p.stage(stage)
    tbl = open_table(st.table)
    return _Context(p, st, tbl, stage_columns(tbl, st.table))


def _action(action: Any) -> str:
    if action not in ACTIONS:
        raise InvalidRequestError(f'Unknown action {action!r}.', hint=f'Actions: {", ".join(ACTIONS)}.')
    return str(action)


def _parent(path: str) -> str:
    return path.rsplit('/', 1)[0] if '/' in path else ''


def _short(path: str) -> str:
    return path.rsplit('/', 1)[-1]


def _choice(name: str, choices: list[str], description: str, *, nullable: bool, default: Any = None) -> Param:
    first = default if default in choices else (None if nullable else choices[0])
    return Param(name, 'choice', first, description, choices=tuple(choices), nullable=nullable)


def _first(candidates: list[str], preferred: list[Any]) -> str | None:
    return next((c for c in preferred if c in candidates), candidates[0] if candidates else None)


# ---- forms -----------------------------------------------------------------------------------------------------------


def _unavailable(ctx: _Context, action: str, reason: str) -> ActionForm:
    pattern, panel = PATTERNS[action]
    return ActionForm(
        action, LABELS[action], DESCRIPTIONS[action], pattern, panel, ctx.stage.name, ctx.table, False, reason
    )


def _form(ctx: _Context, action: str, params: list[Param], picks: list[Pick] | None = None) -> ActionForm:
    pattern, panel = PATTERNS[action]
    return ActionForm(
        action,
        LABELS[action],
        DESCRIPTIONS[action],
        pattern,
        panel,
        ctx.stage.name,
        ctx.table,
        True,
        None,
        params,
        picks or [],
    )


def _consensus_form(ctx: _Context) -> ActionForm:
    groups = {k: v for k, v in ctx.cols.kinds().items() if len(v) >= 2}
    if not groups:
        found = ', '.join(f'{c} ({k})' for c, k in ctx.cols.model_kinds.items()) or 'none'
        return _unavailable(
            ctx,
            'consensus',
            f'{ctx.table} has no two model columns of one kind (labels, detections or text); model columns: {found}.',
        )
    own = ctx.cols.model_kinds.get(ctx.own_column or '')
    kind = own if own in groups else max(groups, key=lambda k: len(groups[k]))
    default = _preselect(ctx, groups[kind])
    options = [{'value': c, 'group': k} for k, cs in groups.items() for c in cs]
    inputs = [c for c, t in ctx.cols.types.items() if t in MEDIA_TYPES] + [
        c for c in ctx.cols.of_type('string', 'int', 'json') if c not in ctx.cols.model_kinds
    ]
    truths = [c for c in ctx.cols.model_kinds] + [
        c for c in ctx.cols.of_type('string', 'int') if c not in ctx.cols.model_kinds
    ]
    params = [Param('name', 'string', 'consensus', 'Name of the consensus (the prefix of its columns)')]
    if inputs:
        default_input = next((c for c, t in ctx.cols.types.items() if t == 'image'), None)
        params.append(
            _choice(
                'input_column',
                inputs,
                'The column the models read (needed for detections)',
                nullable=True,
                default=default_input,
            )
        )
    if truths:
        params.append(
            _choice(
                'ground_truth',
                truths,
                'The true answers, if known',
                nullable=True,
                default=next((c for c in truths if c in _TRUTH_NAMES and c not in default), None),
            )
        )
    pick = Pick('models', 'The model columns to compare (two or more of one kind)', options, default, 2)
    return _form(ctx, 'consensus', params, [pick])


def _preselect(ctx: _Context, group: list[str]) -> list[str]:
    """The model columns picked at first: those of the stage's own column type (computed ones when there are two),
    never one named like a ground truth."""
    types = ctx.cols.types
    family = types.get(ctx.own_column or '') or max({types[c] for c in group}, key=[types[c] for c in group].count)
    same = [c for c in group if types[c] == family and c not in _TRUTH_NAMES]
    computed = [c for c in same if c in ctx.cols.computed]
    chosen = computed if len(computed) >= 2 else same
    return chosen if len(chosen) >= 2 else group[:2]


def _evaluation_form(ctx: _Context) -> ActionForm:
    iterator_cols = {'pos'}
    labels = [c for c in ctx.cols.of_type(*LABEL_TYPES) if c not in iterator_cols]
    by_type: dict[str, list[str]] = {}
    for c in labels:
        by_type.setdefault(ctx.cols.types[c], []).append(c)
    pairs = {t: cs for t, cs in by_type.items() if len(cs) >= 2}
    stamps = ctx.cols.of_type('timestamp')
    orders = ctx.cols.of_type('int')
    if not pairs:
        return _unavailable(
            ctx, 'evaluation', f'{ctx.table} has no prediction and truth columns of one type (int or string).'
        )
    if not stamps and not orders:
        return _unavailable(ctx, 'evaluation', f'{ctx.table} has no timestamp or integer column to window by.')
    compatible = [c for cs in pairs.values() for c in cs]
    prediction = _first(compatible, [ctx.own_column, 'prediction', 'pred'])
    assert prediction is not None
    same = [c for c in pairs[ctx.cols.types[prediction]] if c != prediction]
    truth = _first(same, list(_TRUTH_NAMES))
    params = [
        Param('name', 'string', 'eval', 'Name of the evaluation (its tables go in <table>_<name>)'),
        _choice('prediction', compatible, 'The predicted class', nullable=False, default=prediction),
        _choice(
            'ground_truth',
            compatible,
            'The true class (of the same type; may arrive later)',
            nullable=False,
            default=truth,
        ),
    ]
    if stamps:
        params.append(
            _choice('timestamp', stamps, 'When each row happened (time windows)', nullable=True, default=stamps[0])
        )
    params.append(Param('window', 'string', '1h' if stamps else '100 rows', "'15min', '1h', '1d' or 'N rows'"))
    if orders:
        params.append(
            _choice(
                'order',
                orders,
                'An integer order column (for N-row windows)',
                nullable=True,
                default=None if stamps else _first(orders, ['pos']),
            )
        )
    return _form(ctx, 'evaluation', params)


def _cascade_form(ctx: _Context) -> ActionForm:
    docs = ctx.cols.of_type('document')
    strings = ctx.cols.of_type('string')
    texts = docs + (strings if len(strings) >= 2 else [])
    if not texts:
        return _unavailable(
            ctx,
            'cascade',
            f'{ctx.table} has no Document column, nor a text column with another text column that names each document.',
        )
    content = _first(texts, [ctx.own_column, *docs])
    keys = [c for c in strings if c != content] if content in strings else strings
    params = [
        Param('name', 'string', f'{_short(ctx.table)}_cascade', 'Name of the cascade (its directory beside the table)'),
        _choice('content_column', texts, 'The documents or texts to index', nullable=False, default=content),
    ]
    if keys:
        params.append(
            _choice(
                'key_column',
                keys,
                'A text column naming each document (required for text content)',
                nullable=content not in strings,
                default=_first(keys, ['title', 'name', 'key']) if content in strings else None,
            )
        )
    params += [
        _choice(
            'embedding',
            [e['key'] for e in embedding_choices()],
            'The embedding of every level',
            nullable=False,
            default=DEFAULT_EMBEDDING,
        ),
        Param('window_size', 'int', 128, 'Words per window (window levels only)', minimum=8, maximum=8192),
    ]
    levels = Pick(
        'levels',
        'One level per granularity',
        [{'value': u, 'group': 'splitter'} for u in UNITS],
        ['section', 'paragraph'] if content in docs else ['paragraph'],
        1,
    )
    return _form(ctx, 'cascade', params, [levels])


def _experiment_form(ctx: _Context) -> ActionForm:
    try:
        specs = stage_specs(ctx.pipeline, ctx.stage.name)
    except PxWidgetsError as exc:
        return _unavailable(ctx, 'experiment', exc.message)
    root = ctx.pipeline.stages[0]
    params = [
        Param('name', 'string', f'{root.table}_experiment', "The experiment's directory (runs go in <name>/v<N>)"),
        Param('run', 'bool', True, 'Run it once now with these parameters (version 1)'),
    ]
    for spec in specs:
        transform = ctx.pipeline.registry.get(spec.transform)
        for p in transform.params:
            params.append(
                Param(
                    param_key(spec.name, p.name),
                    p.type,
                    spec.params.get(p.name, p.default),
                    f'{spec.name}: {p.description}' if p.description else spec.name,
                    minimum=p.minimum,
                    maximum=p.maximum,
                    exclusive_minimum=p.exclusive_minimum,
                    choices=p.choices,
                    nullable=p.nullable,
                )
            )
    return _form(ctx, 'experiment', params)


_FORMS: dict[str, Callable[[_Context], ActionForm]] = {
    'consensus': _consensus_form,
    'evaluation': _evaluation_form,
    'cascade': _cascade_form,
    'experiment': _experiment_form,
}


def actions(pipeline: ProgressiveRefinement | str, stage: str) -> list[ActionForm]:
    """Every action on a stage's table: available or not (and why), with its form.

    Example:
        >>> [(f.action, f.available) for f in actions('demo/videos', 'frames')]  # doctest: +SKIP
        [('consensus', True), ('evaluation', False), ('cascade', False), ('experiment', True)]
    """
    ctx = _context(pipeline, stage)
    return [_FORMS[a](ctx) for a in ACTIONS]


def action_form(pipeline: ProgressiveRefinement | str, stage: str, action: str) -> ActionForm:
    """One action's form on a stage (see :func:`actions`)."""
    return _FORMS[_action(action)](_context(pipeline, stage))


# ---- checks ----------------------------------------------------------------------------------------------------------


def _values(form: ActionForm, values: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The form's values checked field by field: (values with defaults, per-field errors)."""
    if not form.available:
        raise InvalidRequestError(f'{form.label} does not apply to stage {form.stage!r}: {form.reason}')
    if not isinstance(values, Mapping):
        raise InvalidParameterError('The values must be an object.')
    pick_names = {p.name for p in form.picks}
    errors: list[dict[str, str]] = []
    scalars = {k: (None if v == '' else v) for k, v in values.items() if k not in pick_names}
    out: dict[str, Any] = {}
    try:
        out.update(ParamSet(tuple(form.params), owner=form.label).validate(scalars))
    except InvalidParameterError as exc:
        errors += list((exc.details or {}).get('params') or [{'param': '(all)', 'message': exc.message}])
        bad = {e['param'] for e in errors}  # the other fields keep their values, so their own checks still run
        out.update({p.name: None if p.name in bad else scalars.get(p.name, p.default) for p in form.params})
    for pick in form.picks:
        chosen = values.get(pick.name, pick.default)
        allowed = [o['value'] for o in pick.options]
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            errors.append({'param': pick.name, 'message': 'Must be a list of names.'})
            continue
        unknown = [c for c in chosen if c not in allowed]
        if unknown:
            errors.append({'param': pick.name, 'message': f'Not offered here: {", ".join(unknown)}.'})
        elif len(set(chosen)) < pick.minimum:
            errors.append({'param': pick.name, 'message': f'Pick at least {pick.minimum}.'})
        out[pick.name] = list(dict.fromkeys(chosen))
    return out, errors


def _refuse(form: ActionForm, errors: list[dict[str, str]]) -> None:
    if errors:
        detail = '; '.join(f'{e["param"]}: {e["message"]}' for e in errors)
        raise InvalidParameterError(f'{form.label} on {form.table} cannot be created: {detail}', errors=errors)


def _name_error(values: dict[str, Any], errors: list[dict[str, str]]) -> None:
    if 'name' in values and not any(e['param'] == 'name' for e in errors):
        try:
            values['name'] = validate_stage_name(values['name'])
        except PxWidgetsError as exc:
            errors.append({'param': 'name', 'message': exc.message})


def _check_consensus(ctx: _Context, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
    _name_error(v, errors)
    models: list[str] = v.get('models') or []
    kinds = {ctx.cols.model_kinds[m] for m in models if m in ctx.cols.model_kinds}
    if len(kinds) > 1:
        found = ', '.join(f'{m} ({ctx.cols.model_kinds[m]})' for m in models)
        errors.append({'param': 'models', 'message': f'One consensus compares one kind of output; picked: {found}.'})
    kind = next(iter(kinds)) if len(kinds) == 1 else None
    v['kind'] = kind
    name = v.get('name')
    if isinstance(name, str) and not any(e['param'] == 'name' for e in errors):
        clash = [m for m in models if m == name or m.startswith(f'{name}_')]
        if clash:
            errors.append(
                {
                    'param': 'models',
                    'message': f'{", ".join(clash)} would collide with the consensus '
                    f'columns ({name}_…): give the consensus another name.',
                }
            )
        elif MultiModelConsensus(ctx.table, name=name).models:
            errors.append(
                {
                    'param': 'name',
                    'message': f'{ctx.table} already has a consensus named {name!r}; open it '
                    'with pxw.ConsensusGrid, or choose another name.',
                }
            )
    for role in ('input_column', 'ground_truth'):
        if v.get(role) is not None and v[role] in models:
            errors.append({'param': role, 'message': f'{v[role]} is one of the models.'})
    if kind == 'detections' and ctx.cols.types.get(str(v.get('input_column'))) != 'image':
        errors.append({'param': 'input_column', 'message': 'Detections need the image column the boxes are on.'})
    truth = v.get('ground_truth')
    if kind is not None and truth is not None and truth not in models:
        truth_kind = ctx.cols.model_kinds.get(truth, 'labels')
        if (truth_kind == 'detections') != (kind == 'detections'):
            errors.append(
                {'param': 'ground_truth', 'message': f'{truth} holds {truth_kind}; the models output {kind}.'}
            )


def _check_evaluation(ctx: _Context, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
    bad = {e['param'] for e in errors}
    if 'name' not in bad:
        if not _EVAL_NAME.fullmatch(str(v['name'])):
            errors.append({'param': 'name', 'message': 'Lower-case letters, digits and _ (up to 31), a letter first.'})
        elif f'{v["name"]}_correct' in ctx.cols.types:
            errors.append(
                {
                    'param': 'name',
                    'message': f'{ctx.table} already has an evaluation named {v["name"]!r}; '
                    'open it with pxw.DriftDashboard, or choose another name.',
                }
            )
    pred, truth = v.get('prediction'), v.get('ground_truth')
    if not {'prediction', 'ground_truth'} & bad:
        if pred is None or truth is None:
            pass
        elif pred == truth:
            errors.append({'param': 'ground_truth', 'message': 'The truth must be another column than the prediction.'})
        elif ctx.cols.types[pred] != ctx.cols.types[truth]:
            errors.append(
                {
                    'param': 'ground_truth',
                    'message': f'{truth} is {ctx.cols.types[truth]} but {pred} is {ctx.cols.types[pred]}.',
                }
            )
    if 'window' not in bad:
        try:
            window = parse_window(v['window'])
        except PxWidgetsError as exc:
            errors.append({'param': 'window', 'message': exc.message})
            return
        if window.kind == 'time' and v.get('timestamp') is None:
            errors.append({'param': 'timestamp', 'message': 'Time windows need a timestamp column.'})
        if window.kind == 'rows' and v.get('order') is None:
            errors.append({'param': 'order', 'message': 'Row windows need an integer order column.'})


def _cascade_path(ctx: _Context, name: str) -> str:
    parent = _parent(ctx.table)
    return f'{parent}/{name}' if parent else name


def _path_taken(path: str) -> bool:
    if pxt.get_table(path, if_not_exists='ignore') is not None:
        return True
    parent = _parent(path)
    try:
        return path in pxt.list_dirs(parent, recursive=False)
    except pxt.Error:
        return False


def _check_cascade(ctx: _Context, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
    _name_error(v, errors)
    bad = {e['param'] for e in errors}
    content, key = v.get('content_column'), v.get('key_column')
    if 'content_column' not in bad and ctx.cols.types.get(str(content)) == 'string':
        if key is None:
            errors.append(
                {'param': 'key_column', 'message': 'A text column needs another text column naming each document.'}
            )
        elif key == content:
            errors.append({'param': 'key_column', 'message': 'The key must be another column than the content.'})
    if 'name' not in bad and _path_taken(_cascade_path(ctx, v['name'])):
        errors.append(
            {
                'param': 'name',
                'message': f'{_cascade_path(ctx, v["name"])} already exists; open it with '
                'pxw.CascadeSearch, or choose another name.',
            }
        )
    if 'window_size' not in bad and 'window' in (v.get('levels') or []):
        try:
            parse_splitter('window', size=v['window_size'])
        except InvalidParameterError as exc:
            errors.append({'param': 'window_size', 'message': exc.message})


def _check_experiment(ctx: _Context, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
    if any(e['param'] == 'name' for e in errors):
        return
    name = str(v['name']).strip('/')
    parts = name.split('/')
    for part in parts:
        try:
            validate_stage_name(part)
        except PxWidgetsError as exc:
            errors.append({'param': 'name', 'message': f'{part!r}: {exc.message}'})
            return
    v['name'] = name
    if VersionedExperiment.exists(name):
        errors.append(
            {
                'param': 'name',
                'message': f'An experiment lives at {name} already; open it with '
                'pxw.ExperimentTimeline, or choose another name.',
            }
        )
    elif _path_taken(name):
        errors.append({'param': 'name', 'message': f'{name} already exists; choose another name.'})


_CHECKS: dict[str, Callable[[_Context, ActionForm, dict[str, Any], list[dict[str, str]]], None]] = {
    'consensus': _check_consensus,
    'evaluation': _check_evaluation,
    'cascade': _check_cascade,
    'experiment': _check_experiment,
}


# ---- code ------------------------------------------------------------------------------------------------------------


def _levels(v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for unit in v['levels']:
        if unit == 'window':
            out.append((f'windows_{v["window_size"]}', {'splitter': 'window', 'size': v['window_size']}))
        else:
            out.append((f'{unit}s', {'splitter': unit}))
    return out


def _run_params(ctx: _Context, v: dict[str, Any]) -> dict[str, Any]:
    root = ctx.pipeline.stages[0]
    until = None if ctx.stage.name == root.name else ctx.stage.name
    stage_values = {k: val for k, val in v.items() if '__' in k}
    return {'pipeline': root.table, 'until': until, **stage_values}


def _kwargs(values: Mapping[str, Any]) -> str:
    return ', '.join(f'{k}={val!r}' for k, val in values.items())


def _code(ctx: _Context, action: str, v: dict[str, Any]) -> tuple[str, str, list[str], list[str], str]:
    """``(code, target, writes, notes, open_code)``."""
    t = ctx.table
    if action == 'consensus':
        args = [repr(t), repr(v.get('input_column')), f'name={v["name"]!r}', f'kind={v["kind"]!r}']
        if v.get('ground_truth') is not None:
            args.append(f'ground_truth={v["ground_truth"]!r}')
        models = '{' + ', '.join(f'{m!r}: {m!r}' for m in v['models']) + '}'
        code = f'c = pxw.MultiModelConsensus({", ".join(args)})\nc.add_models({models})'
        writes = [
            f'columns of {t} beside each model ({", ".join(v["models"])}: adopted as they are)',
            f'the consensus columns {v["name"]}_… of {t}',
        ]
        notes = [f'The models output {v["kind"]}.']
        return code, t, writes, notes, f'pxw.ConsensusGrid({t!r}, name={v["name"]!r})'
    if action == 'evaluation':
        args = [repr(t), repr(v['prediction']), repr(v['ground_truth']), repr(v.get('timestamp'))]
        args += [f'window={v["window"]!r}'] + ([f'order={v["order"]!r}'] if v.get('order') else [])
        code = f'ev = pxw.IncrementalEvaluation({", ".join(args)}, name={v["name"]!r})'
        store = f'{t}_{v["name"]}'
        writes = [f'column {t}.{v["name"]}_correct'] + ([f'column {t}.{v["name"]}_t'] if v.get('timestamp') else [])
        writes.append(f'the tables of {store}/ (settings, windows, alerts)')
        return (
            code,
            store,
            writes,
            ['Refresh it (ev.refresh()) to compute the windows.'],
            (f'pxw.DriftDashboard({t!r}, name={v["name"]!r})'),
        )
    if action == 'cascade':
        path = _cascade_path(ctx, v['name'])
        key = f', key_column={v["key_column"]!r}' if v.get('key_column') else ''
        lines = [f's = pxw.SemanticIndexCascade({t!r}, {v["content_column"]!r}, name={v["name"]!r}{key})']
        for level, kw in _levels(v):
            lines.append(f's.add_level({level!r}, {_kwargs({**kw, "embedding": v["embedding"]})})')
        writes = [f'directory {path}', f'view {path}/documents'] + [
            f'view {path}/{level} with an embedding index ({v["embedding"]})' for level, _ in _levels(v)
        ]
        return '\n'.join(lines), path, writes, [], f'pxw.CascadeSearch({path!r})'
    name = v['name']
    lines = [
        'from pxwidgets.patterns.compose import rebuild_pipeline',
        '',
        f'exp = pxw.VersionedExperiment({name!r}, rebuild_pipeline)',
    ]
    if v['run']:
        lines.append(f'exp.run({_kwargs(_run_params(ctx, v))})')
    writes = [f'directory {name} with its runs table {name}/runs']
    if v['run']:
        writes.append(f'directory {name}/v1: a view of {ctx.pipeline.stages[0].table} and every stage rebuilt in it')
    notes = ['Each run rebuilds the stages as the pipeline records them, with the run\u2019s parameters.']
    skipped = left_out(ctx.pipeline, None if ctx.stage.name == ctx.pipeline.stages[0].name else ctx.stage.name)
    if skipped:
        notes.append(f'Left out (no stage it rebuilds needs them): {", ".join(skipped)}.')
    return '\n'.join(lines), name, writes, notes, f'pxw.ExperimentTimeline({name!r})'


def _preview(ctx: _Context, action: str, values: Any) -> ComposePreview:
    form = _FORMS[action](ctx)
    v, errors = _values(form, values)
    _CHECKS[action](ctx, form, v, errors)
    _refuse(form, errors)
    code, target, writes, notes, open_code = _code(ctx, action, v)
    return ComposePreview(
        action,
        form.pattern,
        ctx.stage.name,
        ctx.table,
        target,
        v,
        f'import pxwidgets as pxw\n\n{code}\n',
        writes,
        [DESCRIPTIONS[action], *notes],
        open_code,
    )


def preview(pipeline: ProgressiveRefinement | str, stage: str, action: str, values: Any = None) -> ComposePreview:
    """Check an action's values on a stage and say what it would create, with its code; nothing is written.

    Raises:
        InvalidParameterError: Per-field messages (``details['params']``) for values that do not fit.
        InvalidRequestError: An unknown action, or one that does not apply to this stage (with the reason).

    Example:
        >>> print(preview('demo/videos', 'frames', 'experiment', {'frames__fps': 2.0}).code)  # doctest: +SKIP
    """
    return _preview(_context(pipeline, stage), _action(action), values or {})


def create(
    pipeline: ProgressiveRefinement | str,
    stage: str,
    action: str,
    values: Any = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> Composed:
    """Create the pattern :func:`preview` describes, with exactly the calls of its code.

    Args:
        pipeline: The pipeline (or its source's path).
        stage: The stage whose table the pattern goes on.
        action: ``'consensus'``, ``'evaluation'``, ``'cascade'`` or ``'experiment'``.
        values: The form's values (defaults for the rest).
        on_progress: Called as ``(done, total, message)``; raising there (e.g. a Cancel) stops at the next step.

    Raises:
        InvalidParameterError, InvalidRequestError: As :func:`preview` (nothing is written).
        PxWidgetsError: What the pattern itself refuses (it checks before it writes). A cascade that fails while its
            levels are built is removed again.

    Example:
        >>> ev = create('demo/preds', 'preds', 'evaluation', {'prediction': 'pred'}).pattern  # doctest: +SKIP
    """
    report = on_progress or (lambda done, total, message: None)
    ctx = _context(pipeline, stage)
    p = _preview(ctx, _action(action), values or {})
    v = p.values
    if p.action == 'consensus':
        c = MultiModelConsensus(
            ctx.table, v.get('input_column'), name=v['name'], kind=v['kind'], ground_truth=v.get('ground_truth')
        )
        c.add_models({m: m for m in v['models']}, on_progress=report)
        return Composed(p, c, c.last_code)
    if p.action == 'evaluation':
        report(0, 1, f'Creating the evaluation {v["name"]!r}')
        ev = IncrementalEvaluation(
            ctx.table,
            v['prediction'],
            v['ground_truth'],
            v.get('timestamp'),
            window=v['window'],
            order=v.get('order'),
            name=v['name'],
        )
        report(1, 1, f'Created the evaluation {v["name"]!r}')
        return Composed(p, ev)
    if p.action == 'cascade':
        return Composed(p, _create_cascade(ctx, p, report))
    report(0, 1, f'Creating the experiment {v["name"]}')
    exp = VersionedExperiment(v['name'], rebuild_pipeline)
    if v['run']:
        with reporting(report):
            exp.run(**_run_params(ctx, v))
    return Composed(p, exp)


def _create_cascade(ctx: _Context, p: ComposePreview, report: ProgressCallback) -> SemanticIndexCascade:
    v = p.values
    levels = _levels(v)
    total = len(levels) + 1
    report(0, total, f'Creating the cascade {p.target}')
    try:
        s = SemanticIndexCascade(ctx.table, v['content_column'], name=v['name'], key_column=v.get('key_column'))
        for i, (level, kw) in enumerate(levels, start=1):
            report(i, total, f'Building level {level!r}')
            s.add_level(level, embedding=v['embedding'], **kw)
    except BaseException:
        pxt.drop_dir(p.target, force=True, if_not_exists='ignore')  # new (checked above): nothing else is in it
        raise
    report(total, total, f'Cascade {p.target} is ready')
    return s
