"""Dropping stages: the confirmed plan of a drop (every stage that goes, in order) and where ``head`` goes after.

Example:
    >>> print(plan_drop(scan('demo/videos'), 'faces', cascade=True).describe())  # doctest: +SKIP
    drop stage 'faces':
      1. drop view 'demo/with_faces' (stage with_faces)
      2. drop column n_faces of 'demo/frames' (stage n_faces)
      3. drop column faces of 'demo/frames' (stage faces)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError, StageCreationError, StageHasDependentsError
from pxwidgets.patterns.common.plans import Plan, Step
from pxwidgets.patterns.progressive.catalog import PipelineState


def _dropper(stage: str, drop: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            drop()
        except pxt.Error as exc:
            raise StageCreationError(f'Pixeltable refused to drop stage {stage!r}: {exc}') from None

    return run


def _refuse_source(state: PipelineState, name: str) -> None:
    if state.record(name).stage.kind == 'source':
        raise InvalidRequestError(
            f'{name!r} is the source of this pipeline; it is not dropped as a stage.',
            hint='Drop the table itself with pxt.drop_table (and force=True to drop its views).',
        )


def plan_drop(state: PipelineState, name: str, *, cascade: bool) -> Plan:
    """The plan of dropping stage ``name`` (and, with ``cascade``, every stage that depends on it), read from ``state``.

    Raises:
        StageHasDependentsError: Other stages depend on it and ``cascade`` is false.
        InvalidRequestError: It is the source, or views outside the pipeline (e.g. snapshots) depend on it.
    """
    _refuse_source(state, name)
    dependents = state.dependents(name)
    if dependents and not cascade:
        order = state.names()
        raise StageHasDependentsError(name, sorted(dependents, key=order.index))
    names = [*dependents, name]
    dropped_tables = {state.record(s).table_id for s in names if state.record(s).stage.is_view}
    outside = [v for t in dropped_tables for v in state.tables[t].external_views]
    if outside:
        raise InvalidRequestError(
            f'Dropping {name!r} would drop views that are not stages of this pipeline: {", ".join(outside)}.',
            hint='Drop those (e.g. snapshots) with pxt.drop_table first.',
        )
    steps = []
    for stage_name in names:
        record = state.record(stage_name)
        if record.stage.is_view:
            steps.append(
                Step(
                    'drop_view',
                    stage_name,
                    f'drop view {record.stage.table!r} (stage {stage_name})',
                    run=_dropper(stage_name, functools.partial(pxt.drop_table, record.stage.table)),
                )
            )
        elif record.table_id not in dropped_tables:
            column = record.stage.column
            assert column is not None
            steps.append(
                Step(
                    'drop_column',
                    stage_name,
                    f'drop column {column} of {record.stage.table!r} (stage {stage_name})',
                    run=_dropper(stage_name, functools.partial(record.tbl.drop_column, column)),
                )
            )
        else:  # its view goes with it
            steps.append(Step('drop_with_view', stage_name, f'stage {stage_name} goes with its view'))
    versions = {info.path: (info.md or {}).get('version') for info in state.tables.values()}
    return Plan(f'drop stage {name!r}', steps, state={'stages': state.names(), 'versions': versions})


def fallback_head(state: PipelineState, dropped: str) -> str:
    """The stage ``head`` moves to when stage ``dropped`` goes: what it came after or read from, else the source."""
    record = state.record(dropped)
    for candidate in (record.stage.after, *record.stage.inputs):
        if candidate is not None and candidate in state.records and candidate != dropped:
            return candidate
    return state.root_info().stage
