"""Adding a stage: the checks before anything is written (same definition, free name, no broken stage), the write
itself (a computed column or a view), and the line that reports it.

Example:
    >>> create_stage(spec, comment=None, dir='demo')  # doctest: +SKIP
    >>> added_summary(scan('demo/videos').record('faces'))  # doctest: +SKIP
    "Added column stage 'faces': 12 rows, 0 failed (see errors('faces'))."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import BrokenColumnError, InvalidStageNameError, StageConflictError, StageCreationError
from pxwidgets.patterns.common.guards import broken_fix
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord, column_is_stored, table_metadata
from pxwidgets.patterns.progressive.specs import StageSpec
from pxwidgets.tables.counting import failed_rows


def row_count(tbl: pxt.Table) -> int:
    """The rows of a table (0 where it cannot be counted)."""
    try:
        return int(tbl.count())
    except Exception:
        return 0


def _params_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    changes = [f'{k}: {old.get(k)!r} -> {new.get(k)!r}' for k in sorted({*old, *new}) if old.get(k) != new.get(k)]
    return '; '.join(changes)


def view_path(dir: str, name: str) -> str:
    """Where a view stage named ``name`` goes."""
    return f'{dir}/{name}' if dir else name


def check_same(existing: StageRecord, spec: StageSpec) -> None:
    """Nothing, if ``spec`` declares ``existing`` again; else ``StageConflictError`` with what differs."""
    if existing.stage.kind == spec.kind and existing.canonical == spec.canonical:
        return
    old, new = existing.stage, spec
    details = [f'  existing: {old.kind} {old.definition} (on {existing.stage.table})']
    details.append(f'  requested: {new.kind} {new.definition} (on {spec.context.path})')
    if old.transform is not None and old.transform == new.transform and dict(old.params) != new.params:
        details.append(f'  changed parameters: {_params_diff(old.params, new.params)}')
    raise StageConflictError(
        f'Stage {old.name!r} already exists with a different definition; re-running never changes a stage '
        'silently.\n' + '\n'.join(details),
        existing=old.definition,
        requested=new.definition,
        hint=f'To change it, drop it first (drop_stage({old.name!r}, cascade=True) also drops what depends on '
        'it), or give the new definition another name.',
    )


def check_free(state: PipelineState, spec: StageSpec, dir: str) -> None:
    """``InvalidStageNameError`` if a new stage's column or view name is taken outside the pipeline."""
    if spec.kind == 'column':
        context = spec.context
        affected = [
            info for info in state.tables.values() if context.id in state.ancestry(info.id) and info.md is not None
        ]
        for info in affected:
            if spec.name in info.md['columns']:
                raise InvalidStageNameError(
                    f'{info.path!r} already has a column named {spec.name!r}, which is not a stage of this pipeline.',
                    hint='Choose another name.',
                )
        return
    path = view_path(dir, spec.name)
    try:
        taken = pxt.get_table(path, if_not_exists='ignore') is not None
    except pxt.Error:
        taken = True
    if taken:
        raise InvalidStageNameError(
            f'{path!r} already exists and is not a stage of this pipeline.', hint='Choose another name.'
        )


def refuse_broken(state: PipelineState, root: str) -> None:
    """``BrokenColumnError`` if a stage of the pipeline cannot run any more (inserts into ``root`` would fail)."""
    broken = [s for s in state.stages() if s.problem is not None]
    if broken:
        first = broken[0]
        raise BrokenColumnError(
            f'Stage {first.name!r} of this pipeline cannot run any more, so inserts into {root!r} fail: '
            f'{first.problem}',
            hint=broken_fix(first.name),
        )


def create_stage(spec: StageSpec, comment: str | None, dir: str) -> None:
    """Write the stage: a computed column (``on_error='ignore'``) or a view in ``dir``."""
    context = spec.context
    version = table_metadata(context.tbl)['version']
    try:
        if spec.kind == 'column':
            new_column: dict[str, Any] = {spec.name: spec.expr}
            context.tbl.add_computed_column(
                **new_column,
                on_error='ignore',
                custom_metadata=spec.metadata(),
                comment=comment or '',
            )
            return
        if dir:
            pxt.create_dir(dir, parents=True, if_exists='ignore')
        base = context.tbl.where(spec.expr) if spec.expr is not None else context.tbl
        pxt.create_view(
            view_path(dir, spec.name),
            base,
            iterator=spec.iterator,
            custom_metadata=spec.metadata(),
            comment=comment,
        )
    except pxt.Error as exc:
        unchanged = table_metadata(context.tbl)['version'] == version
        raise StageCreationError(
            f'Pixeltable refused stage {spec.name!r}: {exc}',
            hint='Nothing was written.' if unchanged else None,
        ) from None


def added_summary(record: StageRecord) -> str:
    """The line that reports an added stage: its rows, and for a stored column, how many failed."""
    stage = record.stage
    rows = row_count(record.tbl)
    if stage.kind != 'column':
        return f'Added {stage.kind} stage {stage.name!r}: {rows} rows.'
    assert stage.column is not None
    if not column_is_stored(record.tbl, stage.column):  # unstored values are computed on read: no error record
        return f'Added column stage {stage.name!r} (computed when read): {rows} rows.'
    failed = failed_rows(record.tbl, stage.column)
    return f'Added column stage {stage.name!r}: {rows} rows, {failed} failed (see errors({stage.name!r})).'
