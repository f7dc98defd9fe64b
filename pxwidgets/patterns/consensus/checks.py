"""The consensus pattern's checks that need no write: options, kinds, names, enough models, a rebuild that can run.

Each raises before anything is written, so a refused action leaves the table and its version unchanged.

Example:
    >>> check_options({'min_votes': 2})
    >>> consensus_column_names('consensus', 'labels', 2, with_conf=False, with_truth=False)
    ['consensus', 'consensus_label', 'consensus_agreement', 'consensus_tie']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pixeltable as pxt
from pixeltable import func

from pxwidgets.errors import InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.common.guards import refuse_notebook_functions
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.consensus.catalog import KINDS, ConsensusState, dependents
from pxwidgets.patterns.consensus.columns import DEFAULT_OPTIONS
from pxwidgets.patterns.consensus.errors import (
    ConsensusError,
    ModelInUseError,
    ModelNameError,
    NotEnoughModelsError,
)


def check_options(options: Mapping[str, Any]) -> None:
    """Refuse unknown options and values out of range (see ``DEFAULT_OPTIONS``)."""
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise InvalidRequestError(
            f'Unknown consensus option(s): {", ".join(unknown)}.', hint=f'Options: {", ".join(DEFAULT_OPTIONS)}.'
        )
    if options.get('text_match', 'exact') not in ('exact', 'embedding'):
        raise InvalidRequestError("text_match must be 'exact' or 'embedding'.")
    for key in ('iou_threshold', 'skip_threshold', 'similarity_threshold'):
        value = options.get(key, DEFAULT_OPTIONS[key])
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
            raise InvalidRequestError(f'{key} must be a number from 0 to 1, not {value!r}.')
    votes = options.get('min_votes', DEFAULT_OPTIONS['min_votes'])
    if not isinstance(votes, int) or isinstance(votes, bool) or votes < 1:
        raise InvalidRequestError(f'min_votes must be a positive integer, not {votes!r}.')


def check_kind(kind: str | None) -> None:
    """Refuse an output kind other than ``'labels'``, ``'detections'`` or ``'text'`` (None: detect it)."""
    if kind is not None and kind not in KINDS:
        raise InvalidRequestError(f'Unknown output kind {kind!r}.', hint=f'Use one of: {", ".join(KINDS)}.')


def check_stored(path: str, state: ConsensusState, given: Mapping[str, str | None]) -> None:
    """The catalog is the truth: refuse arguments that contradict what an existing consensus stored."""
    if not state.models:
        return
    stored = {'input': state.input, 'kind': state.kind, 'ground_truth': state.truth}
    for what, value in given.items():
        if value is not None and stored[what] is not None and value != stored[what]:
            raise ConsensusError(
                f'The consensus {state.name!r} on {path} already has {what}={stored[what]!r}, not {value!r}.',
                hint=f'Open it with MultiModelConsensus.open({path!r}, name={state.name!r}), '
                'or give this one another name=.',
            )


def need_models(state: ConsensusState, n: int, what: str) -> None:
    """Refuse when the consensus has fewer than ``n`` models."""
    if len(state.models) < n:
        raise NotEnoughModelsError(
            f'{what} needs at least {n} models; the consensus {state.name!r} has {len(state.models)}'
            + (f' ({", ".join(m.name for m in state.models)}).' if state.models else '.'),
            hint='Add another model with add_model().',
        )


def need_labels(state: ConsensusState, what: str) -> None:
    """Refuse a label metric on a consensus of detections."""
    if state.kind == 'detections':
        raise InvalidRequestError(f'{what} compares labels; this consensus compares detections.')


def check_model_name(state: ConsensusState, name: Any) -> str:
    """A valid model name that no model of the consensus has and that cannot collide with its columns."""
    try:
        name = validate_stage_name(name)
    except PxWidgetsError as exc:
        raise ModelNameError(exc.message, hint=exc.hint) from None
    if state.model(name) is not None:
        raise ModelNameError(
            f'The consensus {state.name!r} already has a model named {name!r}.',
            hint='Remove it first (remove_model), or choose another name.',
        )
    if name == state.name or name.startswith(f'{state.name}_'):
        raise ModelNameError(
            f'{name!r} would collide with the consensus columns ({state.name}_…).',
            hint='Choose a name that does not start with the consensus name.',
        )
    return name


def check_names(state: ConsensusState, path: str, names: Sequence[str], owned: set[str]) -> None:
    """Every column to add has a valid name, free unless the consensus already owns it."""
    for column in names:
        try:
            validate_stage_name(column)
        except PxWidgetsError as exc:
            raise ModelNameError(f'The column {column!r} cannot be added: {exc.message}', hint=exc.hint) from None
        if column in state.facts and column not in owned:
            raise ModelNameError(
                f'{path} already has a column named {column!r}.',
                hint='Choose another model name (or pass the column itself as the model to adopt it).',
            )


def check_consensus_fn(state: ConsensusState, path: str, fn: Any) -> None:
    """A custom consensus function is a UDF in a module, over label models, and its columns are free."""
    if not isinstance(fn, func.Function):
        raise InvalidRequestError('consensus_fn must be a Pixeltable UDF (@pxt.udf in a module).')
    refuse_notebook_functions(fn, what='The consensus function')
    need_labels(state, 'A consensus_fn')
    custom = [f'{state.name}_custom', f'{state.name}_custom_label']
    check_names(state, path, custom, {c.name for c in state.columns})


def check_rebuild(tbl: pxt.Table, state: ConsensusState) -> None:
    """Refuse before writing if a column outside the consensus reads a consensus column (it blocks the drop)."""
    owned = set(state.owned_columns())
    for col in state.columns:
        outside = [d for d in dependents(tbl, col.name) if d not in owned]
        if outside:
            raise ModelInUseError(
                f'The consensus columns cannot be rebuilt: {", ".join(outside)} read {col.name!r}.',
                hint=f'Drop {", ".join(outside)} first (they are not part of the consensus).',
            )


def consensus_column_names(
    name: str, kind: str | None, n_models: int, *, with_conf: bool, with_truth: bool
) -> list[str]:
    """The consensus columns ``n_models`` models of ``kind`` get (none below two models)."""
    if n_models < 2:
        return []
    if kind == 'detections':
        return [name, f'{name}_agreement', f'{name}_boxes']
    names = [name, f'{name}_label', f'{name}_agreement', f'{name}_tie']
    if with_conf:
        names += [f'{name}_weighted', f'{name}_weighted_label']
    if with_truth:
        names += [f'{name}_accuracy_weighted', f'{name}_accuracy_weighted_label']
    return names
