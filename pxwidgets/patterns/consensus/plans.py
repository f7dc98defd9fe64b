"""Removing a model by confirmed plan: what would be dropped (and why it may be refused), then the code that ran.

Example:
    >>> plan = plan_remove(c, 'knn')  # doctest: +SKIP
    >>> print(plan.describe())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pixeltable as pxt

from pxwidgets.patterns.common.plans import Plan, PlanResult, Step
from pxwidgets.patterns.consensus.catalog import dependents
from pxwidgets.patterns.consensus.errors import ModelInUseError
from pxwidgets.patterns.consensus.writes import rebuild_columns
from pxwidgets.tables.internals import table_version

if TYPE_CHECKING:
    from pxwidgets.patterns.consensus.consensus import MultiModelConsensus


def _dropper(tbl: pxt.Table, column: str) -> Callable[[], None]:
    def run() -> None:
        tbl.drop_column(column)

    return run


def plan_remove(c: MultiModelConsensus, name: str) -> Plan:
    """What removing the model ``name`` would do (see ``MultiModelConsensus.plan_remove_model``)."""
    tbl = c.table()
    state = c.state(tbl)
    info = c.model(name)
    owned = set(state.owned_columns())
    drops = [col.name for col in sorted(state.columns, key=lambda x: state.facts[x.name].version_added, reverse=True)]
    own = [col for col in (info.confidence_column, info.marker) if col]
    if not info.adopted:
        own.append(info.column)
    outside: dict[str, list[str]] = {}
    for column in [*own, *drops]:
        for d in dependents(tbl, column):
            if d not in owned:
                outside.setdefault(d, []).append(column)
    if outside:
        reads = '; '.join(f'{d} reads {", ".join(cols)}' for d, cols in outside.items())
        raise ModelInUseError(
            f'The model {name!r} cannot be removed: columns outside the consensus depend on it ({reads}).',
            hint=f'Drop {", ".join(outside)} first (they are not part of the consensus).',
            details={'dependents': sorted(outside)},
        )
    rest = [m.name for m in state.models if m.name != name]
    steps = [Step('drop_column', f'{c.path}.{d}', f'drop consensus column {d}', run=_dropper(tbl, d)) for d in drops]
    steps += [
        Step('drop_column', f'{c.path}.{col}', f'drop column {col} of model {name}', run=_dropper(tbl, col))
        for col in own
    ]
    warnings = []
    if info.adopted:
        warnings.append(f'{info.column!r} was adopted, not computed by the consensus: it is kept.')
    if len(rest) >= 2:
        steps.append(
            Step(
                'rebuild',
                f'{c.path}.{c.name}',
                f'rebuild the consensus over {", ".join(rest)}',
                run=lambda: rebuild_columns(c, c.table(), custom_fn=state.custom_fn),
            )
        )
    elif rest:
        warnings.append(f'Only {rest[0]!r} remains: there is no consensus until another model is added.')
    return Plan(
        f'remove model {name!r} from consensus {c.name!r}',
        steps,
        state={'version': table_version(tbl), 'models': [m.name for m in state.models], 'columns': sorted(state.facts)},
        warnings=warnings,
    )


def removal_code(result: PlanResult) -> list[str]:
    """The code of the steps a removal ran."""
    code = [f't.drop_column({s.target.rsplit(".", 1)[1]!r})' for s in result.done if s.action == 'drop_column']
    if any(s.action == 'rebuild' for s in result.done):
        code.append('# then the consensus columns are added again over the other models (see to_code())')
    return code
