"""The Python each action runs, as the preview shows it: the code, the new pattern's path, what it writes, notes and
the line that opens its panel.

Example:
    >>> code, target, writes, notes, open_code = creationcreation_code(ctx, 'cascade', values)  # doctest: +SKIP
    >>> open_code  # doctest: +SKIP
    "pxw.CascadeSearch('demo/docs_cascade')"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pxwidgets.patterns.compose.context import StageContext, cascade_path
from pxwidgets.patterns.compose.rebuild import left_out


def cascade_levels(v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for unit in v['levels']:
        if unit == 'window':
            out.append((f'windows_{v["window_size"]}', {'splitter': 'window', 'size': v['window_size']}))
        else:
            out.append((f'{unit}s', {'splitter': unit}))
    return out


def experiment_run_params(ctx: StageContext, v: dict[str, Any]) -> dict[str, Any]:
    root = ctx.pipeline.stages[0]
    until = None if ctx.stage.name == root.name else ctx.stage.name
    stage_values = {k: val for k, val in v.items() if '__' in k}
    return {'pipeline': root.table, 'until': until, **stage_values}


def kwargs_text(values: Mapping[str, Any]) -> str:
    return ', '.join(f'{k}={val!r}' for k, val in values.items())


def creation_code(ctx: StageContext, action: str, v: dict[str, Any]) -> tuple[str, str, list[str], list[str], str]:
    """``(code, target, writes, notes, open_code)``."""
    t = ctx.table
    if action == 'consensus':
        args = [repr(t), repr(v.get('input_column')), f'name={v["name"]!r}', f'kind={v["kind"]!r}']
        if v.get('ground_truth') is not None:
            args.append(f'ground_truth={v["ground_truth"]!r}')
        models = '{' + ', '.join(f'{m!r}: {m!r}' for m in v['models']) + '}'
        code = f'c = pxw.MultiModelConsensus({", ".join(args)})\nc.add_models({models})'
        writes = [
            f'columns of {t} beside each model ({", ".join(v["models"])}: adopted as they are)',
            f'the consensus columns {v["name"]}_… of {t}',
        ]
        notes = [f'The models output {v["kind"]}.']
        return code, t, writes, notes, f'pxw.ConsensusGrid({t!r}, name={v["name"]!r})'
    if action == 'evaluation':
        args = [repr(t), repr(v['prediction']), repr(v['ground_truth']), repr(v.get('timestamp'))]
        args += [f'window={v["window"]!r}'] + ([f'order={v["order"]!r}'] if v.get('order') else [])
        code = f'ev = pxw.IncrementalEvaluation({", ".join(args)}, name={v["name"]!r})'
        store = f'{t}_{v["name"]}'
        writes = [f'column {t}.{v["name"]}_correct'] + ([f'column {t}.{v["name"]}_t'] if v.get('timestamp') else [])
        writes.append(f'the tables of {store}/ (settings, windows, alerts)')
        return (
            code,
            store,
            writes,
            ['Refresh it (ev.refresh()) to compute the windows.'],
            (f'pxw.DriftDashboard({t!r}, name={v["name"]!r})'),
        )
    if action == 'cascade':
        path = cascade_path(ctx, v['name'])
        key = f', key_column={v["key_column"]!r}' if v.get('key_column') else ''
        lines = [f's = pxw.SemanticIndexCascade({t!r}, {v["content_column"]!r}, name={v["name"]!r}{key})']
        for level, kw in cascade_levels(v):
            lines.append(f's.add_level({level!r}, {kwargs_text({**kw, "embedding": v["embedding"]})})')
        writes = [f'directory {path}', f'view {path}/documents'] + [
            f'view {path}/{level} with an embedding index ({v["embedding"]})' for level, _ in cascade_levels(v)
        ]
        return '\n'.join(lines), path, writes, [], f'pxw.CascadeSearch({path!r})'
    name = v['name']
    lines = [
        'from pxwidgets.patterns.compose import rebuild_pipeline',
        '',
        f'exp = pxw.VersionedExperiment({name!r}, rebuild_pipeline)',
    ]
    if v['run']:
        lines.append(f'exp.run({kwargs_text(experiment_run_params(ctx, v))})')
    writes = [f'directory {name} with its runs table {name}/runs']
    if v['run']:
        writes.append(f'directory {name}/v1: a view of {ctx.pipeline.stages[0].table} and every stage rebuilt in it')
    notes = ['Each run rebuilds the stages as the pipeline records them, with the run\u2019s parameters.']
    skipped = left_out(ctx.pipeline, None if ctx.stage.name == ctx.pipeline.stages[0].name else ctx.stage.name)
    if skipped:
        notes.append(f'Left out (no stage it rebuilds needs them): {", ".join(skipped)}.')
    return '\n'.join(lines), name, writes, notes, f'pxw.ExperimentTimeline({name!r})'
