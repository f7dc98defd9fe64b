"""Rebuild a pipeline from its recorded stage specs, with parameter overrides: a ``VersionedExperiment`` setup.

Every stage pxwidgets made records its transform and parameters in the catalog. :func:`rebuild_pipeline` reads them
from the pipeline as it is when the run starts, and builds the same stages again inside a run's directory: a plain
view of the source (the source's rows, shared, never copied or changed), then each stage in order, with the run's
parameters in place of the recorded ones. Run parameters are named ``<stage>__<parameter>`` (``faces__min_neighbors``),
so ``exp.run(...)`` is an ordinary call and the timeline shows each parameter as its own column.

It lives in a module (not a notebook), so an experiment that uses it as its setup runs again after a kernel restart.

Example:
    >>> from pxwidgets import VersionedExperiment
    >>> exp = VersionedExperiment('demo/videos_exp', rebuild_pipeline)  # doctest: +SKIP
    >>> exp.run(pipeline='demo/videos', until='faces', frames__fps=1.0, faces__min_neighbors=5)  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidParameterError, InvalidRequestError
from pxwidgets.patterns.common.exprcode import column_name
from pxwidgets.patterns.common.metadata import read_role, role_metadata
from pxwidgets.patterns.progressive import ProgressiveRefinement, Stage
from pxwidgets.patterns.progressive.catalog import column_refs, scan

RUN_ROLE = 'compose.run_source'
"""The role of the view of the source each run reads (in its ``custom_metadata``)."""

SEPARATOR = '__'
"""Between a stage's name and its parameter's in a run parameter's name."""

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class StageSpec:
    """What rebuilds one stage: where it goes, its transform, its parameters, the column it reads."""

    name: str
    kind: str
    after: str
    transform: str
    params: dict[str, Any]
    input: str | None
    output: str | None


def param_key(stage: str, param: str) -> str:
    """The run parameter's name of a stage's parameter.

    Example:
        >>> param_key('faces', 'min_neighbors')
        'faces__min_neighbors'
    """
    return f'{stage}{SEPARATOR}{param}'


def _chain(pipeline: ProgressiveRefinement, until: str | None) -> tuple[list[Stage], list[str]]:
    """``(the stages to rebuild, the stages left out)``.

    For ``until``: the stages it requires and itself. For the whole pipeline: every stage pxwidgets recorded and the
    stages those need; stages nothing recorded needs (another pattern's columns and views, the copies earlier runs
    made) are left out.
    """
    stages = pipeline.stages
    source = stages[0]
    if until is not None and until != source.name:
        target = pipeline.stage(until)
        wanted = {*target.requires, target.name}
        return [s for s in stages[1:] if s.name in wanted], []
    state = scan(pipeline.path)
    runs = {i for i, info in state.tables.items() if info.md and read_role(info.md.get('custom_metadata'), RUN_ROLE)}
    recorded = [
        s
        for s in stages[1:]
        if s.transform is not None
        and s.after is not None
        and not runs & set(state.ancestry(state.record(s.name).table_id))
    ]
    needed = {r for s in recorded for r in s.requires} | {s.name for s in recorded}
    chain = [s for s in stages[1:] if s.name in needed]
    return chain, [s.name for s in stages[1:] if s.name not in needed]


def _input_of(stage: Stage, by_name: Mapping[str, Stage], pipeline: ProgressiveRefinement) -> str | None:
    """The column a transform stage read, when it is not the default (the output of the stage it went after)."""
    record = scan(pipeline.path).record(stage.name)
    read = sorted({column_name(ref) for ref in column_refs(record.expr, record.iterator)})
    after = by_name.get(stage.after or '')
    default = None if after is None else (after.column if after.kind == 'column' else after.output)
    return read[0] if len(read) == 1 and read[0] != default else None


def stage_specs(pipeline: ProgressiveRefinement, until: str | None = None) -> list[StageSpec]:
    """The recorded specs of the stages that make ``until`` (every stage when None or the source), in order.

    Raises:
        InvalidRequestError: A stage was made by hand (no recorded transform) or cannot run any more; or there is no
            stage to rebuild. The message names every such stage.
    """
    chain, _ = _chain(pipeline, until)
    if not chain:
        raise InvalidRequestError(
            f'The pipeline {pipeline.path!r} has no stage after its source to run again.',
            hint='Add a stage first (StageBuilder "+" or add_stage), then run it as an experiment.',
        )
    by_name = {s.name: s for s in pipeline.stages}
    manual = [s.name for s in chain if s.transform is None or s.after is None]
    broken = [f'{s.name} ({s.problem})' for s in chain if s.problem is not None]
    if manual or broken:
        parts = []
        if manual:
            parts.append(f'made without a registry transform: {", ".join(manual)}')
        if broken:
            parts.append(f'cannot run any more: {", ".join(broken)}')
        raise InvalidRequestError(
            f'These stages cannot be rebuilt from their recorded specs ({"; ".join(parts)}).',
            hint='Rebuild them with add_stage(transform=...) so pxwidgets records how they are made, '
            'or run an earlier stage as the experiment.',
            details={'stages': manual + [s.name for s in chain if s.problem is not None]},
        )
    return [
        StageSpec(
            name=s.name,
            kind=s.kind,
            after=str(s.after),
            transform=str(s.transform),
            params=dict(s.params),
            input=_input_of(s, by_name, pipeline),
            output=s.output if s.kind == 'iterator' else None,
        )
        for s in chain
    ]


def split_params(specs: list[StageSpec], params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Run parameters (``<stage>__<param>``) by stage; unknown ones raise ``InvalidParameterError`` (per field)."""
    by_stage: dict[str, dict[str, Any]] = {s.name: {} for s in specs}
    errors = []
    for key, value in params.items():
        spec = next(
            (s for s in specs if key.startswith(s.name + SEPARATOR) and key[len(s.name) + 2 :] in s.params), None
        )
        if spec is None:
            errors.append({'param': key, 'message': 'No stage of the pipeline has this parameter.'})
            continue
        by_stage[spec.name][key[len(spec.name) + 2 :]] = value
    if errors:
        known = ', '.join(param_key(s.name, p) for s in specs for p in s.params) or 'none'
        raise InvalidParameterError(
            f'Unknown run parameters: {", ".join(e["param"] for e in errors)}.', errors=errors, hint=f'Known: {known}.'
        )
    return by_stage


def left_out(pipeline: ProgressiveRefinement, until: str | None = None) -> list[str]:
    """The stages a run of the whole pipeline does not rebuild (see :func:`stage_specs`)."""
    return _chain(pipeline, until)[1]


def run_params(pipeline: ProgressiveRefinement, until: str | None = None) -> dict[str, Any]:
    """The current parameters of every stage ``until`` needs, as run parameters (``<stage>__<param>``).

    Example:
        >>> run_params(ProgressiveRefinement.open('demo/videos'), 'faces')  # doctest: +SKIP
        {'frames__fps': 1.0, 'faces__scale_factor': 1.1, 'faces__min_neighbors': 3, 'faces__min_size': 30}
    """
    return {param_key(s.name, k): v for s in stage_specs(pipeline, until) for k, v in s.params.items()}


_local = threading.local()


@contextmanager
def reporting(on_progress: ProgressCallback | None) -> Iterator[None]:
    """Within the block, :func:`rebuild_pipeline` reports each stage to ``on_progress`` (which may raise to stop)."""
    previous = getattr(_local, 'progress', None)
    _local.progress = on_progress
    try:
        yield
    finally:
        _local.progress = previous


def rebuild_pipeline(path: str, *, pipeline: str, until: str | None = None, **params: Any) -> pxt.Table:
    """Build the stages of ``pipeline`` (those ``until`` needs, or all) again under the directory ``path``.

    A ``VersionedExperiment`` setup: ``exp.run(pipeline=..., until=..., <stage>__<param>=value, ...)``.

    Args:
        path: The run's directory (the experiment gives ``<experiment>/v<N>``).
        pipeline: The path of the pipeline's source table; its rows are read through a view, never changed.
        until: The stage whose table is the run's result (default: every stage; the last one's table).
        **params: ``<stage>__<param>`` values that replace the recorded ones.

    Returns:
        The result table (the table of ``until``, or of the pipeline's last stage), inside ``path``.

    Raises:
        InvalidRequestError: A stage cannot be rebuilt (see :func:`stage_specs`).
        InvalidParameterError: Unknown or invalid parameters.
    """
    report: ProgressCallback = getattr(_local, 'progress', None) or (lambda done, total, message: None)
    source = ProgressiveRefinement.open(pipeline)
    specs = stage_specs(source, until)
    overrides = split_params(specs, params)
    for spec in specs:  # every parameter checked before anything is built
        source.validate_params(spec.transform, {**spec.params, **overrides[spec.name]})
    root = source.stages[0].name
    pxt.create_dir(path, parents=True, if_exists='ignore')
    report(0, len(specs) + 1, f'Opening a view of {pipeline} as {path}/{root}')
    pxt.create_view(
        f'{path}/{root}',
        source.table(root),
        custom_metadata=role_metadata(RUN_ROLE, {'pipeline': pipeline, 'until': until}),
        comment=f'pxwidgets: the rows of {pipeline} for this run',
    )
    run = ProgressiveRefinement(f'{path}/{root}', dir=path, registry=source.registry)
    last = root
    for i, spec in enumerate(specs, start=1):
        report(i, len(specs) + 1, f'Stage {spec.name} ({spec.transform})')
        stage = run.add_stage(
            spec.name,
            transform=spec.transform,
            params={**spec.params, **overrides[spec.name]},
            after=spec.after,
            input=spec.input,
            output=spec.output,
        )
        last = stage.name
    report(len(specs) + 1, len(specs) + 1, 'Pipeline rebuilt')
    return run.table(last if until is None or until == root else until)
