"""What every compose action knows: the actions and their labels, the stage it starts from (its pipeline, table and
columns), and where a new pattern may go.

Example:
    >>> ctx = stagestage_context('demo/videos', 'frames')  # doctest: +SKIP
    >>> ctx.table, ctx.own_column  # doctest: +SKIP
    ('demo/frames', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.names import parent_of
from pxwidgets.patterns.compose.columns import StageColumns, stage_columns
from pxwidgets.patterns.progressive import ProgressiveRefinement, Stage
from pxwidgets.tables.resolve import open_table

ACTIONS = ('consensus', 'evaluation', 'cascade', 'experiment')
"""The actions, in the order a menu lists them."""

LABELS = {
    'consensus': 'Compare models here',
    'evaluation': 'Evaluate a column',
    'cascade': 'Search this text',
    'experiment': 'Run as an experiment',
}
DESCRIPTIONS = {
    'consensus': 'A consensus of two or more model columns of this table, compared and combined (ConsensusGrid).',
    'evaluation': 'Metrics and drift per window of a prediction column against a truth column (DriftDashboard).',
    'cascade': 'This text searchable at several granularities at once (CascadeSearch).',
    'experiment': "Every run of this pipeline kept as a version, the stages' parameters as run parameters "
    '(ExperimentTimeline).',
}
PATTERNS = {
    'consensus': ('MultiModelConsensus', 'ConsensusGrid'),
    'evaluation': ('IncrementalEvaluation', 'DriftDashboard'),
    'cascade': ('SemanticIndexCascade', 'CascadeSearch'),
    'experiment': ('VersionedExperiment', 'ExperimentTimeline'),
}
UNITS = ('section', 'paragraph', 'sentence', 'window')
EVAL_NAME = re.compile(r'[a-z][a-z0-9_]{0,30}')
TRUTH_NAMES = ('label', 'truth', 'ground_truth', 'gt', 'target', 'y')


@dataclass(frozen=True)
class StageContext:
    pipeline: ProgressiveRefinement
    stage: Stage
    tbl: pxt.Table
    cols: StageColumns

    @property
    def table(self) -> str:
        return self.stage.table

    @property
    def own_column(self) -> str | None:
        return self.stage.column if self.stage.kind == 'column' else None


def stage_context(pipeline: ProgressiveRefinement | str, stage: str) -> StageContext:
    p = pipeline if isinstance(pipeline, ProgressiveRefinement) else ProgressiveRefinement.open(pipeline)
    if not isinstance(stage, str) or not stage:
        raise InvalidRequestError('Name the stage whose table the new pattern goes on.')
    st = p.stage(stage)
    tbl = open_table(st.table)
    return StageContext(p, st, tbl, stage_columns(tbl, st.table))


def action_name(action: Any) -> str:
    if action not in ACTIONS:
        raise InvalidRequestError(f'Unknown action {action!r}.', hint=f'Actions: {", ".join(ACTIONS)}.')
    return str(action)


def cascade_path(ctx: StageContext, name: str) -> str:
    """Where a cascade named ``name`` goes: beside the stage's table."""
    parent = parent_of(ctx.table)
    return f'{parent}/{name}' if parent else name


def path_taken(path: str) -> bool:
    """Whether a table or a directory lives at ``path``."""
    if pxt.get_table(path, if_not_exists='ignore') is not None:
        return True
    try:
        return path in pxt.list_dirs(parent_of(path), recursive=False)
    except pxt.Error:
        return False
