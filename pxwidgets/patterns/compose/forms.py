"""The form of each action on a stage: whether it applies (and why not), and its fields with choices taken from the
stage table's compatible columns.

Example:
    >>> [(f.action, f.available) for f in actions('demo/videos', 'frames')]  # doctest: +SKIP
    [('consensus', True), ('evaluation', False), ('cascade', False), ('experiment', True)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from pxwidgets.errors import PxWidgetsError
from pxwidgets.patterns.cascade import DEFAULT_EMBEDDING, embedding_choices
from pxwidgets.patterns.common.jsonable import fields_json
from pxwidgets.patterns.common.names import short_name
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.compose.columns import LABEL_TYPES, MEDIA_TYPES
from pxwidgets.patterns.compose.context import (
    ACTIONS,
    DESCRIPTIONS,
    LABELS,
    PATTERNS,
    TRUTH_NAMES,
    UNITS,
    StageContext,
    action_name,
    stage_context,
)
from pxwidgets.patterns.compose.rebuild import param_key, stage_specs
from pxwidgets.patterns.compose.records import ComposeAction, ComposePick
from pxwidgets.patterns.progressive import ProgressiveRefinement


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

    def to_json(self) -> ComposePick:
        return cast(ComposePick, fields_json(self))


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

    def to_json(self) -> ComposeAction:
        return cast(ComposeAction, fields_json(self))


def _choice(name: str, choices: list[str], description: str, *, nullable: bool, default: Any = None) -> Param:
    first = default if default in choices else (None if nullable else choices[0])
    return Param(name, 'choice', first, description, choices=tuple(choices), nullable=nullable)


def _first(candidates: list[str], preferred: list[Any]) -> str | None:
    return next((c for c in preferred if c in candidates), candidates[0] if candidates else None)


def _unavailable(ctx: StageContext, action: str, reason: str) -> ActionForm:
    pattern, panel = PATTERNS[action]
    return ActionForm(
        action, LABELS[action], DESCRIPTIONS[action], pattern, panel, ctx.stage.name, ctx.table, False, reason
    )


def _form(ctx: StageContext, action: str, params: list[Param], picks: list[Pick] | None = None) -> ActionForm:
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


def _consensus_form(ctx: StageContext) -> ActionForm:
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
                default=next((c for c in truths if c in TRUTH_NAMES and c not in default), None),
            )
        )
    pick = Pick('models', 'The model columns to compare (two or more of one kind)', options, default, 2)
    return _form(ctx, 'consensus', params, [pick])


def _preselect(ctx: StageContext, group: list[str]) -> list[str]:
    """The model columns picked at first: those of the stage's own column type (computed ones when there are two),
    never one named like a ground truth."""
    types = ctx.cols.types
    family = types.get(ctx.own_column or '') or max({types[c] for c in group}, key=[types[c] for c in group].count)
    same = [c for c in group if types[c] == family and c not in TRUTH_NAMES]
    computed = [c for c in same if c in ctx.cols.computed]
    chosen = computed if len(computed) >= 2 else same
    return chosen if len(chosen) >= 2 else group[:2]


def _evaluation_form(ctx: StageContext) -> ActionForm:
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
    truth = _first(same, list(TRUTH_NAMES))
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


def _cascade_form(ctx: StageContext) -> ActionForm:
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
        Param(
            'name', 'string', f'{short_name(ctx.table)}_cascade', 'Name of the cascade (its directory beside the table)'
        ),
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


def _experiment_form(ctx: StageContext) -> ActionForm:
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


FORMS: dict[str, Callable[[StageContext], ActionForm]] = {
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
    ctx = stage_context(pipeline, stage)
    return [FORMS[a](ctx) for a in ACTIONS]


def action_form(pipeline: ProgressiveRefinement | str, stage: str, action: str) -> ActionForm:
    """One action's form on a stage (see :func:`actions`)."""
    return FORMS[action_name(action)](stage_context(pipeline, stage))
