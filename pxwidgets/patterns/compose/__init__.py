"""Patterns feed each other: start a consensus, an evaluation, a cascade or an experiment from a pipeline stage.

Example:
    >>> from pxwidgets.patterns import compose
    >>> forms = compose.actions('demo/videos', 'frames')  # doctest: +SKIP
    >>> print(compose.preview('demo/videos', 'frames', 'consensus', {'models': ['faces', 'profiles']}).code)
    ... # doctest: +SKIP
    >>> c = compose.create('demo/videos', 'frames', 'consensus', {'models': ['faces', 'profiles']}).pattern
    ... # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.compose.actions import (
    ACTIONS,
    ActionForm,
    Composed,
    ComposePreview,
    Pick,
    action_form,
    actions,
    create,
    preview,
)
from pxwidgets.patterns.compose.columns import StageColumns, stage_columns
from pxwidgets.patterns.compose.rebuild import StageSpec, param_key, rebuild_pipeline, run_params, stage_specs
from pxwidgets.patterns.compose.records import ComposeAction, ComposePick, ComposePreviewRecord

__all__ = [
    'ACTIONS',
    'ActionForm',
    'ComposeAction',
    'ComposePick',
    'ComposePreview',
    'ComposePreviewRecord',
    'Composed',
    'Pick',
    'StageColumns',
    'StageSpec',
    'action_form',
    'actions',
    'create',
    'param_key',
    'preview',
    'rebuild_pipeline',
    'run_params',
    'stage_columns',
    'stage_specs',
]
