"""The plain Pixeltable code that builds a consensus's columns, read back from the catalog.

Example:
    >>> print(consensus_code(c))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pxwidgets.patterns.consensus.columns import (
    ColumnSpec,
    add_lines,
    code_block,
    consensus_columns,
    model_columns,
    truth_column,
)

if TYPE_CHECKING:
    from pxwidgets.patterns.consensus.consensus import MultiModelConsensus


def consensus_code(c: MultiModelConsensus) -> str:
    """The code that adds the consensus's columns on a table that has the models' outputs (see ``to_code``)."""
    tbl = c.table()
    state = c.state(tbl)
    specs: list[ColumnSpec] = []
    for m in state.models:
        specs += model_columns(
            tbl,
            state,
            model=m.name,
            column=m.column,
            kind=m.kind,
            input=state.input,
            truth=state.truth,
            adopted=m.adopted,
            with_confidence=m.confidence_column is not None,
            order=0,
            timing={},
            raw=state.is_raw(m),
        )
    if state.truth is not None and state.truth_column is not None:
        specs.append(truth_column(tbl, c.name, state.truth, state.kind or 'labels', raw=state.truth_is_raw))
    if len(state.models) >= 2:
        stored: dict[str, Any] = next(
            (col.data.get('weights', {}) for col in state.columns if col.part == 'accuracy_weighted'), {}
        )
        weights = {str(k): float(v) for k, v in stored.items()}
        specs += consensus_columns(
            tbl, state, state.models, options=c.options, accuracy_weights=weights or None, custom_fn=state.custom_fn
        )
    outputs = [f'# {m.name}: {m.column} = {m.definition}' for m in state.models]
    return '\n'.join(['# model outputs (computed or adopted):', *outputs, '']) + code_block(
        c.path, ['\n'.join(add_lines(specs))]
    )
