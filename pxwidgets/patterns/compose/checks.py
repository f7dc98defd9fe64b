"""The checks of an action's values, field by field, against the form and the catalog (before anything is written).

Example:
    >>> values, errors = checkedchecked_values(form, {'models': ['faces']})  # doctest: +SKIP
    >>> errors  # doctest: +SKIP
    [{'param': 'models', 'message': 'Pick at least 2.'}]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pxwidgets.errors import InvalidParameterError, InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.cascade import parse_splitter
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.params import ParamSet
from pxwidgets.patterns.compose.context import EVAL_NAME, StageContext, cascade_path, path_taken
from pxwidgets.patterns.compose.forms import ActionForm
from pxwidgets.patterns.consensus import MultiModelConsensus
from pxwidgets.patterns.incremental import parse_window
from pxwidgets.patterns.versioned import VersionedExperiment


def checked_values(form: ActionForm, values: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
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


def refuse(form: ActionForm, errors: list[dict[str, str]]) -> None:
    if errors:
        detail = '; '.join(f'{e["param"]}: {e["message"]}' for e in errors)
        raise InvalidParameterError(f'{form.label} on {form.table} cannot be created: {detail}', errors=errors)


def _name_error(values: dict[str, Any], errors: list[dict[str, str]]) -> None:
    if 'name' in values and not any(e['param'] == 'name' for e in errors):
        try:
            values['name'] = validate_stage_name(values['name'])
        except PxWidgetsError as exc:
            errors.append({'param': 'name', 'message': exc.message})


def _check_consensus(ctx: StageContext, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
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


def _check_evaluation(ctx: StageContext, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
    bad = {e['param'] for e in errors}
    if 'name' not in bad:
        if not EVAL_NAME.fullmatch(str(v['name'])):
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


def _check_cascade(ctx: StageContext, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
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
    if 'name' not in bad and path_taken(cascade_path(ctx, v['name'])):
        errors.append(
            {
                'param': 'name',
                'message': f'{cascade_path(ctx, v["name"])} already exists; open it with '
                'pxw.CascadeSearch, or choose another name.',
            }
        )
    if 'window_size' not in bad and 'window' in (v.get('levels') or []):
        try:
            parse_splitter('window', size=v['window_size'])
        except InvalidParameterError as exc:
            errors.append({'param': 'window_size', 'message': exc.message})


def _check_experiment(ctx: StageContext, form: ActionForm, v: dict[str, Any], errors: list[dict[str, str]]) -> None:
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
    elif path_taken(name):
        errors.append({'param': 'name', 'message': f'{name} already exists; choose another name.'})


CHECKS: dict[str, Callable[[StageContext, ActionForm, dict[str, Any], list[dict[str, str]]], None]] = {
    'consensus': _check_consensus,
    'evaluation': _check_evaluation,
    'cascade': _check_cascade,
    'experiment': _check_experiment,
}
