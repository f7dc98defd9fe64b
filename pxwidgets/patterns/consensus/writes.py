"""The consensus pattern's writes: adding models (each timed), rebuilding the consensus columns over the current models.

Every function here runs after the checks passed (:mod:`.checks`, :mod:`.models`); each returns the plain Pixeltable
code it ran, for ``last_code``.

Example:
    >>> code = write_models(c, tbl, state, [pending], lambda done, total, message: None)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pixeltable as pxt

from pxwidgets.errors import PxWidgetsError
from pxwidgets.functions.consensus import label_texts
from pxwidgets.patterns.consensus.catalog import ConsensusState, raw_label_type, read_state
from pxwidgets.patterns.consensus.checks import check_names, check_rebuild, consensus_column_names
from pxwidgets.patterns.consensus.columns import (
    ColumnSpec,
    add_lines,
    confidence_name,
    consensus_columns,
    marker_name,
    model_columns,
    ref,
    truth_column,
)
from pxwidgets.patterns.consensus.errors import ConsensusError, ModelNameError
from pxwidgets.patterns.consensus.models import Pending

if TYPE_CHECKING:
    from pxwidgets.patterns.consensus.consensus import MultiModelConsensus

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``."""


def add_columns(tbl: pxt.Table, specs: Sequence[ColumnSpec]) -> str:
    """Add the columns in order; returns the code that adds them."""
    for spec in specs:
        tbl.add_computed_column(
            **{spec.name: spec.make()}, custom_metadata=spec.metadata, on_error=spec.on_error, stored=spec.stored
        )
    return '\n'.join(add_lines(specs))


def check_pending(c: MultiModelConsensus, tbl: pxt.Table, state: ConsensusState, pending: Sequence[Pending]) -> None:
    """The checks of the models together: the columns they add are free, the consensus can be rebuilt."""
    kind = pending[0].kind
    new_names: list[str] = []
    for p in pending:
        new_names += [] if p.adopted else [p.column]
        new_names += [marker_name(p.name, kind)] + ([confidence_name(p.name)] if p.with_conf else [])
    if kind != 'detections' and c.ground_truth is not None and state.truth_column is None:
        new_names.append(f'{c.name}_truth')
    twice = sorted({n for n in new_names if new_names.count(n) > 1})
    if twice:
        raise ModelNameError(f'These models would add the same columns: {", ".join(twice)}.')
    check_names(state, c.path, new_names, set())
    check_rebuild(tbl, state)
    with_conf = any(p.with_conf for p in pending) or any(m.confidence_column for m in state.models)
    names = consensus_column_names(
        c.name, kind, len(state.models) + len(pending), with_conf=with_conf, with_truth=c.ground_truth is not None
    )
    check_names(state, c.path, names, {col.name for col in state.columns})


def _compute(tbl: pxt.Table, p: Pending) -> dict[str, Any]:
    """Add a model's output column, timed."""
    start = time.perf_counter()
    tbl.add_computed_column(**{p.column: p.expr}, on_error='ignore')
    seconds = time.perf_counter() - start
    rows = int(tbl.count())
    return {'seconds_per_row': seconds / rows if rows else None, 'rows_timed': rows, 'seconds': seconds}


def raw_labels(tbl: pxt.Table, state: ConsensusState, pending: Sequence[Pending], truth: str | None) -> bool:
    """Whether every model of the consensus, old and new, outputs labels as they are (strings, ints or bools, all of
    the ground truth's type): then no label column is stored (see :meth:`ConsensusState.is_raw`)."""
    if pending[0].kind != 'labels' or any(not state.is_raw(m) for m in state.models):
        return False
    types = {raw_label_type(tbl[p.column].col_type if p.expr is None else p.expr.col_type) for p in pending}
    types |= {raw_label_type(state.facts[m.column].col_type) for m in state.models}
    if truth is not None:
        types.add(raw_label_type(state.facts[truth].col_type) if truth in state.facts else None)
    return len(types) == 1 and None not in types


def store_labels(tbl: pxt.Table, state: ConsensusState) -> list[str]:
    """Store the unstored label columns of the models (a model whose labels need a stored column joins them): the
    consensus columns, which read them, are dropped first (they are rebuilt next). Returns the code."""
    code = drop_consensus_columns(tbl, state)
    for m in state.models:
        if state.is_raw(m):
            fact = state.facts[str(m.marker)]
            tbl.drop_column(m.marker)
            column: dict[str, Any] = {m.marker: label_texts(tbl[m.column])}
            tbl.add_computed_column(**column, custom_metadata=fact.custom_metadata, on_error='ignore')
            code += [f't.drop_column({m.marker!r})', f't.add_computed_column({m.marker}=label_texts({ref(m.column)}))']
    if state.truth_is_raw and state.truth_column is not None and state.truth is not None:
        fact = state.facts[state.truth_column]
        tbl.drop_column(state.truth_column)
        truth: dict[str, Any] = {state.truth_column: label_texts(tbl[state.truth])}
        tbl.add_computed_column(**truth, custom_metadata=fact.custom_metadata, on_error='ignore')
        code += [
            f't.drop_column({state.truth_column!r})',
            f't.add_computed_column({state.truth_column}=label_texts({ref(state.truth)}))',
        ]
    return code


def drop_consensus_columns(tbl: pxt.Table, state: ConsensusState) -> list[str]:
    """Drop the consensus columns (the last added first); returns the code."""
    code = []
    for col in sorted(state.columns, key=lambda col: state.facts[col.name].version_added, reverse=True):
        tbl.drop_column(col.name)
        code.append(f't.drop_column({col.name!r})')
    return code


def write_models(
    c: MultiModelConsensus,
    tbl: pxt.Table,
    state: ConsensusState,
    pending: Sequence[Pending],
    progress: ProgressCallback,
) -> list[str]:
    """Every check passed: compute each new model (timed), add its label columns, rebuild the consensus once.

    Returns:
        The code of each step.

    Raises:
        ConsensusError: A write failed after others were done (the message says what was added).
    """
    kind = pending[0].kind
    new_state = ConsensusState(**{**state.__dict__, 'kind': kind, 'input': c.input, 'truth': c.ground_truth})
    steps = sum(1 if p.adopted else 2 for p in pending) + 1
    done = 0
    code: list[str] = []
    added: list[str] = []
    raw = raw_labels(tbl, state, pending, c.ground_truth)
    try:
        if kind == 'labels' and not raw and any(state.is_raw(m) for m in state.models):
            code += store_labels(tbl, state)
        for i, p in enumerate(pending):
            timing: dict[str, Any] = {'seconds_per_row': None, 'rows_timed': None}
            if not p.adopted:
                progress(done, steps, f'Computing {p.name!r} on every row')
                timing = _compute(tbl, p)
                code.append(f"t.add_computed_column({p.column}={p.expr_code}, on_error='ignore')")
                done += 1
            added.append(p.name)
            progress(done, steps, f'Adding the label columns of {p.name!r}')
            specs = model_columns(
                tbl,
                new_state,
                model=p.name,
                column=p.column,
                kind=kind,
                input=c.input,
                truth=c.ground_truth,
                adopted=p.adopted,
                with_confidence=p.with_conf,
                order=len(state.models) + i,
                timing=timing,
                label_type=p.label_type,
                raw=raw,
            )
            if i == 0 and kind != 'detections' and c.ground_truth is not None and state.truth_column is None:
                specs.append(truth_column(tbl, c.name, c.ground_truth, kind, raw=raw))
            code.append(add_columns(tbl, specs))
            done += 1
        progress(done, steps, 'Building the consensus columns')
        code.append(_rebuild_racing(c, tbl, kind))
    except PxWidgetsError:
        raise
    except Exception as exc:
        what = ', '.join(repr(a) for a in added) or 'nothing'
        raise ConsensusError(
            f'Adding {", ".join(repr(p.name) for p in pending)} failed after {what} was added: '
            f'{type(exc).__name__}: {exc}',
            hint='Call rebuild() to bring the consensus columns up to date, or remove_model() to undo.',
        ) from exc
    progress(steps, steps, f'Added {", ".join(repr(p.name) for p in pending)}')
    return code


RACE_RETRIES = 3
"""How often the consensus columns are rebuilt again when another process rebuilt them at the same moment."""


def _rebuild_racing(c: MultiModelConsensus, tbl: pxt.Table, kind: str) -> str:
    """:func:`rebuild_columns`, once more over a fresh handle when another process adding a model to the same
    consensus dropped or added the consensus columns between our read and our write (Pixeltable refuses our drop or
    add as a duplicate or missing column). The last rebuild reads every model either process added, so both end
    with the same consensus over all models."""
    for attempt in range(RACE_RETRIES + 1):
        try:
            return rebuild_columns(c, tbl, kind=kind)
        except (pxt.AlreadyExistsError, pxt.NotFoundError):
            if attempt == RACE_RETRIES:
                raise
            time.sleep(0.2 * (attempt + 1))
            tbl = c.table()
    raise AssertionError('unreachable')


def accuracy_weights(tbl: pxt.Table, state: ConsensusState) -> dict[str, float] | None:
    """Each model's vote weight from its accuracy on the rows with ground truth: ``log(acc / (1 - acc))``, the
    optimal weights of a vote among independent classifiers (Nitzan & Paroush, 1982); accuracies are clipped to
    [0.01, 0.99]. Measured in SQL (two counts per model) when the consensus is built; ``rebuild()`` re-measures."""
    truth = state.truth_column
    if truth is None or state.kind == 'detections':
        return None
    scored = int(tbl.where(tbl[truth] != None).count())  # noqa: E711
    if not scored:
        return None
    weights = {}
    for m in state.models:
        accuracy = int(tbl.where(tbl[state.sql_label(m)] == tbl[str(state.sql_truth(m))]).count()) / scored
        clipped = min(max(accuracy, 0.01), 0.99)
        weights[m.name] = round(math.log(clipped / (1 - clipped)), 6)
    return weights


def rebuild_columns(c: MultiModelConsensus, tbl: pxt.Table, *, kind: str | None = None, custom_fn: Any = None) -> str:
    """Drop and re-add the consensus columns over the current models (with the custom consensus function they had,
    or ``custom_fn``); returns the code that did it.

    Args:
        c: The consensus.
        tbl: Its table.
        kind: The output kind, when the catalog does not hold it yet (the first models are being added).
        custom_fn: A new custom consensus function.
    """
    state = read_state(tbl, c.name)
    custom_fn = custom_fn if custom_fn is not None else state.custom_fn
    check_rebuild(tbl, state)
    code = drop_consensus_columns(tbl, state)
    if len(state.models) < 2:
        return '\n'.join(code)
    fresh = read_state(tbl, c.name)
    fresh.kind = fresh.kind or kind or c.kind
    specs = consensus_columns(
        tbl,
        fresh,
        fresh.models,
        options=c.options,
        accuracy_weights=accuracy_weights(tbl, fresh),
        custom_fn=custom_fn,
    )
    code.append(add_columns(tbl, specs))
    if state.column('label_quality') is not None:  # suspect labels were looked for: score them again
        from pxwidgets.patterns.consensus import suspects

        try:
            code.append(suspects.find(tbl, read_state(tbl, c.name)))
        except PxWidgetsError:
            pass  # the models no longer give what cleanlab needs (e.g. one with a confidence left)
    return '\n'.join(code)


def rebuild_with(c: MultiModelConsensus, tbl: pxt.Table, consensus_fn: Any) -> list[str]:
    """Rebuild the consensus columns, then add the custom consensus function's over the fresh ones."""
    code = [rebuild_columns(c, tbl)]
    fresh = read_state(tbl, c.name)
    specs = [
        s
        for s in consensus_columns(tbl, fresh, fresh.models, options=c.options, custom_fn=consensus_fn)
        if s.name.startswith(f'{c.name}_custom')
    ]
    code.append(add_columns(tbl, specs))
    return code
