"""What a model given to ``add_model`` is: its output column, its expression, its output kind and its label type.

Everything here reads (at most a query over a few rows): a model that passes :func:`prepare` is ready to be written.

Example:
    >>> pending = prepare(c, tbl, read_state(tbl, 'consensus'), [], 'knn', 'knn', None, None, False)  # doctest: +SKIP
    >>> pending.kind, pending.label_type  # doctest: +SKIP
    ('labels', 'number')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pixeltable as pxt
from pixeltable import exprs, func

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.guards import refuse_notebook_functions
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.patterns.consensus.catalog import MODEL_ROLE, ConsensusState
from pxwidgets.patterns.consensus.checks import check_kind, check_model_name
from pxwidgets.patterns.consensus.errors import LabelTypeError, MixedKindsError, ModelNameError, ModelNotFoundError
from pxwidgets.patterns.consensus.kinds import detect_kind, has_confidence, label_type
from pxwidgets.tables.internals import rowid_refs

if TYPE_CHECKING:
    from pxwidgets.patterns.consensus.consensus import MultiModelConsensus

SAMPLE_ROWS = 3
"""How many rows a new model runs on (a query, nothing written) to tell the shape of its output."""


@dataclass(frozen=True)
class Pending:
    """A model that passed every check and is about to be written."""

    name: str
    column: str
    expr: Any
    expr_code: str
    adopted: bool
    kind: str
    with_conf: bool
    label_type: str | None = None


def evaluate(tbl: pxt.Table, target: Any, n: int) -> list[dict[str, Any]]:
    """The value of ``target`` on the first ``n`` rows (a query, nothing written); a failing row carries its error."""
    try:
        result = tbl.order_by(*rowid_refs(tbl)).select(output=target).limit(n).collect()
        return [{'output': result[i]['output'], 'error': None} for i in range(len(result))]
    except pxt.Error:
        pass
    records: list[dict[str, Any]] = []
    for i in range(n):
        try:
            result = tbl.order_by(*rowid_refs(tbl)).select(output=target).limit(1, offset=i).collect()
        except pxt.Error as exc:
            message = str(exc).strip()
            records.append({'output': None, 'error': message.splitlines()[-1][:300] if message else type(exc).__name__})
            continue
        if not len(result):
            break
        records.append({'output': result[0]['output'], 'error': None})
    return records


def require_input(c: MultiModelConsensus) -> str:
    """The consensus's input column (models from transforms or UDFs read it)."""
    if c.input is None:
        raise InvalidRequestError(
            'This consensus has no input column: models from transforms or UDFs need one.',
            hint='Create it with MultiModelConsensus(table, input_column=...).',
        )
    return c.input


def resolve(
    c: MultiModelConsensus,
    tbl: pxt.Table,
    state: ConsensusState,
    name: str,
    model: Any,
    params: Mapping[str, Any] | None,
    allow_notebook_udfs: bool,
) -> tuple[str, Any, str, bool]:
    """``(output column, expression or None, code of the expression, adopted)`` of a model as ``add_model`` takes it."""
    if isinstance(model, str):
        if model in state.facts:
            if params:
                raise InvalidRequestError(f'{model!r} is an existing column: it takes no params.')
            return model, None, '', True
        if model in c.registry:
            transform = c.registry.get(model)
            if transform.kind != 'column':
                raise InvalidRequestError(f'{model!r} is a {transform.kind} transform; a model must be a column one.')
            values = transform.validate(params)
            inp = require_input(c)
            if not transform.accepts(state.facts[inp].col_type):
                raise InvalidRequestError(
                    f'{model!r} reads {transform.input_type} values; {inp!r} is {state.facts[inp].col_type}.'
                )
            args = ''.join(f', {k}={v!r}' for k, v in values.items())
            fn = (transform.source or model).rsplit('.', 1)[-1]
            return name, transform.build(tbl[inp], **values), f'{fn}(t.{inp}{args})', False
        raise ModelNotFoundError(
            f'{model!r} is neither a column of {c.path} nor a registered transform.',
            hint=f'Columns: {", ".join(state.facts)}. Transforms: {", ".join(c.registry.names())}.',
        )
    if isinstance(model, func.Function):
        if not allow_notebook_udfs:
            refuse_notebook_functions(model, what=f'The model {name!r}')
        inp = require_input(c)
        args = ''.join(f', {k}={v!r}' for k, v in dict(params or {}).items())
        return name, model(tbl[inp], **dict(params or {})), f'{model.name}(t.{inp}{args})', False
    if isinstance(model, exprs.Expr):
        if params:
            raise InvalidRequestError('params apply to a transform or UDF, not to an expression.')
        if not allow_notebook_udfs:
            refuse_notebook_functions(model, what=f'The model {name!r}')
        return name, model, model.display_str(inline=False), False
    raise InvalidRequestError(
        'A model is a registered transform name, a UDF, an expression or an existing column, '
        f'not {type(model).__name__}.'
    )


def _stored_label_type(tbl: pxt.Table, state: ConsensusState, model: str) -> str | None:
    """A model's label type as recorded when it was added, else read from its output column (older consensuses)."""
    info = state.model(model)
    if info is None:
        return None
    role = read_role(state.facts[info.marker].custom_metadata, MODEL_ROLE) or {}
    if role.get('label_type'):
        return str(role['label_type'])
    col_type = state.facts[info.column].col_type if info.column in state.facts else None
    found = label_type([], col_type)
    return found or label_type([r['output'] for r in evaluate(tbl, tbl[info.column], SAMPLE_ROWS)])


def consensus_label_type(
    tbl: pxt.Table, state: ConsensusState, truth: str | None, earlier: Sequence[Pending]
) -> tuple[str | None, str]:
    """The type of the consensus's labels and where it comes from: its ground truth (a scalar column), else its first
    model whose labels tell (the models already added, then those added with it)."""
    if truth is not None and truth in state.facts:
        found = label_type([], state.facts[truth].col_type)
        if found is not None:
            return found, f'its ground truth {truth!r}'
    for m in state.models:
        if m.kind != 'detections' and (found := _stored_label_type(tbl, state, m.name)) is not None:
            return found, f'its model {m.name!r}'
    for p in earlier:
        if p.label_type is not None:
            return p.label_type, f'the model {p.name!r}'
    return None, ''


def _check_label_type(
    c: MultiModelConsensus,
    tbl: pxt.Table,
    state: ConsensusState,
    earlier: Sequence[Pending],
    name: str,
    found: str | None,
) -> None:
    expected, source = consensus_label_type(tbl, state, c.ground_truth, earlier)
    if found is None or expected is None or found == expected:
        return
    raise LabelTypeError(
        f'The model {name!r} gives {found} labels; the consensus {c.name!r} compares {expected} labels '
        f'(as {source} does). Labels of different types never agree in a vote.',
        hint=f'Map its labels explicitly, e.g. add_model({name!r}, map_label(t.<column>, {{...}})) with '
        'map_label from pxwidgets.functions.consensus, or a UDF of your own that converts them.',
        details={'model_label_type': found, 'consensus_label_type': expected},
    )


def prepare(
    c: MultiModelConsensus,
    tbl: pxt.Table,
    state: ConsensusState,
    earlier: Sequence[Pending],
    name: str,
    model: Any,
    params: Mapping[str, Any] | None,
    kind: str | None,
    allow_notebook_udfs: bool,
) -> Pending:
    """Every check of one model that needs no write: its name, its output column, its output kind, its label type."""
    name = check_model_name(state, name)
    if any(p.name == name for p in earlier):
        raise ModelNameError(f'The model name {name!r} is given twice.')
    column, expr, expr_code, adopted = resolve(
        c, tbl, state, name, name if model is None else model, params, allow_notebook_udfs
    )
    owner = next((m.name for m in state.models if m.column == column), None)
    owner = owner or next((p.name for p in earlier if p.column == column), None)
    if adopted and owner is not None:
        raise ModelNameError(f'The column {column!r} is already the model {owner!r}.')
    if column in (c.ground_truth, c.input):
        role = 'ground truth' if column == c.ground_truth else 'input'
        raise ModelNameError(f"{column!r} is the consensus's {role} column; it cannot be a model.")
    check_kind(kind)
    transform = model if isinstance(model, str) and model not in state.facts and model in c.registry else None
    if kind is None and transform is not None and c.registry.get(transform).output_type == 'detections':
        kind = 'detections'  # the registry says so: a (slow) detector is not run before it is added
    # A few values tell the output's shape (labels with a confidence, detections, text): a stored column is read,
    # a new model runs on 3 rows (a query: nothing is written).
    target = tbl[column] if expr is None else expr
    outputs = [] if kind == 'detections' else [r['output'] for r in evaluate(tbl, target, SAMPLE_ROWS)]
    consensus_kind = c.kind or (earlier[0].kind if earlier else None)
    col_type = state.facts[column].col_type if expr is None else expr.col_type
    found = kind or detect_kind(
        state.facts,
        column if expr is None else None,
        outputs,
        declared=consensus_kind,
        return_type=None if expr is None else expr.col_type,
    )
    if (
        consensus_kind is not None
        and found != consensus_kind
        and not (kind is None and {found, consensus_kind} == {'labels', 'text'})
    ):
        raise MixedKindsError(
            f'The model {name!r} outputs {found}; the consensus {c.name!r} compares {consensus_kind}. '
            'One consensus compares one kind of output.',
            hint='Create a separate consensus for it: MultiModelConsensus(table, name="...").',
            details={'model_kind': found, 'consensus_kind': consensus_kind},
        )
    kind = consensus_kind or found
    if kind == 'detections':
        require_input(c)
        return Pending(name, column, expr, expr_code, adopted, kind, False)
    labels = label_type(outputs, col_type)
    _check_label_type(c, tbl, state, earlier, name, labels)
    return Pending(name, column, expr, expr_code, adopted, kind, kind == 'labels' and has_confidence(outputs), labels)


def preview(
    c: MultiModelConsensus, model: Any, params: Mapping[str, Any] | None, *, n: int, name: str, allow: bool
) -> pd.DataFrame:
    """A model's output, label, confidence and error on the first ``n`` rows, without writing anything."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 50:
        raise InvalidRequestError(f'n must be an integer from 1 to 50, not {n!r}.')
    tbl = c.table()
    state = c.state(tbl)
    column, expr, _, _ = resolve(c, tbl, state, name, model, params, allow)
    records = evaluate(tbl, tbl[column] if expr is None else expr, n)
    kind = c.kind or detect_kind(state.facts, column if expr is None else None, [r['output'] for r in records])
    for r in records:
        if kind == 'detections':
            r['boxes'] = len((r['output'] or {}).get('bboxes') or []) if isinstance(r['output'], dict) else None
        else:
            from pxwidgets.functions.consensus import confidence_of, label_of

            r['label'] = label_of(r['output'], normalize=kind == 'text')
            r['confidence'] = confidence_of(r['output'])
    return pd.DataFrame(records)
