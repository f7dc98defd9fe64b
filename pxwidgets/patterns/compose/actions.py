"""Start another pattern on a pipeline stage's table: the forms, a preview that writes nothing, and creation.

Four actions, each the plain call of another pattern on the table that holds a stage's rows:

- ``'consensus'`` (compare models here): a ``MultiModelConsensus`` over ≥ 2 of the table's model columns of one kind
  (labels, detections or free text: told from the column types and values as the consensus tells them), adopted as
  they are;
- ``'evaluation'`` (evaluate a column): an ``IncrementalEvaluation`` of a prediction column against a truth column of
  the same type, windowed by a timestamp (or an integer order) column;
- ``'cascade'`` (search this text): a ``SemanticIndexCascade`` over a document or text column, one level per splitter;
- ``'experiment'`` (run as an experiment): a ``VersionedExperiment`` whose setup is :func:`rebuild_pipeline`, with every
  stage parameter as a run parameter.

:func:`preview` checks every choice against the catalog and returns the Python it would run; :func:`create` runs
exactly that code's calls (so it writes what they write) after the same checks. A refused choice raises
``InvalidParameterError`` (one message per field in ``details['params']``) before anything is written.

Example:
    >>> from pxwidgets.patterns import compose
    >>> p = ProgressiveRefinement.open('demo/videos')  # doctest: +SKIP
    >>> [f.action for f in compose.actions(p, 'frames') if f.available]  # doctest: +SKIP
    ['consensus', 'experiment']
    >>> print(compose.preview(p, 'frames', 'consensus', {'models': ['faces', 'profiles']}).code)  # doctest: +SKIP
    >>> c = compose.create(p, 'frames', 'consensus', {'models': ['faces', 'profiles']}).pattern  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pixeltable as pxt

from pxwidgets.patterns.cascade import SemanticIndexCascade
from pxwidgets.patterns.common.jsonable import fields_json
from pxwidgets.patterns.compose.checks import CHECKS, checked_values, refuse
from pxwidgets.patterns.compose.code import cascade_levels, creation_code, experiment_run_params
from pxwidgets.patterns.compose.context import ACTIONS, DESCRIPTIONS, StageContext, action_name, stage_context
from pxwidgets.patterns.compose.forms import FORMS, ActionForm, Pick, action_form, actions
from pxwidgets.patterns.compose.rebuild import rebuild_pipeline, reporting
from pxwidgets.patterns.compose.records import ComposePreviewRecord
from pxwidgets.patterns.consensus import MultiModelConsensus
from pxwidgets.patterns.incremental import IncrementalEvaluation
from pxwidgets.patterns.progressive import ProgressiveRefinement
from pxwidgets.patterns.versioned import VersionedExperiment

__all__ = [
    'ACTIONS',
    'ActionForm',
    'ComposePreview',
    'Composed',
    'Pick',
    'ProgressCallback',
    'action_form',
    'actions',
    'create',
    'preview',
]

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ComposePreview:
    """What an action would create; nothing was written to find out.

    Attributes:
        action: The action; pattern: the class it creates.
        stage: The stage; table: the table the pattern goes on; target: the new pattern's path.
        values: The checked values (defaults filled in; ``kind`` added for a consensus).
        code: The Python that creates it (what :func:`create` runs).
        writes: What creating writes, one line each.
        notes: Anything else worth knowing.
        open_code: The line that opens the new pattern's panel (in any process, after a restart too).
    """

    action: str
    pattern: str
    stage: str
    table: str
    target: str
    values: dict[str, Any]
    code: str
    writes: list[str]
    notes: list[str]
    open_code: str

    def to_json(self) -> ComposePreviewRecord:
        return cast(ComposePreviewRecord, fields_json(self))


@dataclass(frozen=True)
class Composed:
    """A created pattern: its object, the preview it was created from, the Pixeltable code it ran (when known)."""

    preview: ComposePreview
    pattern: Any
    pixeltable_code: str = ''


def _preview(ctx: StageContext, action: str, values: Any) -> ComposePreview:
    form = FORMS[action](ctx)
    v, errors = checked_values(form, values)
    CHECKS[action](ctx, form, v, errors)
    refuse(form, errors)
    code, target, writes, notes, open_code = creation_code(ctx, action, v)
    return ComposePreview(
        action,
        form.pattern,
        ctx.stage.name,
        ctx.table,
        target,
        v,
        f'import pxwidgets as pxw\n\n{code}\n',
        writes,
        [DESCRIPTIONS[action], *notes],
        open_code,
    )


def preview(pipeline: ProgressiveRefinement | str, stage: str, action: str, values: Any = None) -> ComposePreview:
    """Check an action's values on a stage and say what it would create, with its code; nothing is written.

    Raises:
        InvalidParameterError: Per-field messages (``details['params']``) for values that do not fit.
        InvalidRequestError: An unknown action, or one that does not apply to this stage (with the reason).

    Example:
        >>> print(preview('demo/videos', 'frames', 'experiment', {'frames__fps': 2.0}).code)  # doctest: +SKIP
    """
    return _preview(stage_context(pipeline, stage), action_name(action), values or {})


def create(
    pipeline: ProgressiveRefinement | str,
    stage: str,
    action: str,
    values: Any = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> Composed:
    """Create the pattern :func:`preview` describes, with exactly the calls of its code.

    Args:
        pipeline: The pipeline (or its source's path).
        stage: The stage whose table the pattern goes on.
        action: ``'consensus'``, ``'evaluation'``, ``'cascade'`` or ``'experiment'``.
        values: The form's values (defaults for the rest).
        on_progress: Called as ``(done, total, message)``; raising there (e.g. a Cancel) stops at the next step.

    Raises:
        InvalidParameterError, InvalidRequestError: As :func:`preview` (nothing is written).
        PxWidgetsError: What the pattern itself refuses (it checks before it writes). A cascade that fails while its
            levels are built is removed again.

    Example:
        >>> ev = create('demo/preds', 'preds', 'evaluation', {'prediction': 'pred'}).pattern  # doctest: +SKIP
    """
    report = on_progress or (lambda done, total, message: None)
    ctx = stage_context(pipeline, stage)
    p = _preview(ctx, action_name(action), values or {})
    v = p.values
    if p.action == 'consensus':
        c = MultiModelConsensus(
            ctx.table, v.get('input_column'), name=v['name'], kind=v['kind'], ground_truth=v.get('ground_truth')
        )
        c.add_models({m: m for m in v['models']}, on_progress=report)
        return Composed(p, c, c.last_code)
    if p.action == 'evaluation':
        report(0, 1, f'Creating the evaluation {v["name"]!r}')
        ev = IncrementalEvaluation(
            ctx.table,
            v['prediction'],
            v['ground_truth'],
            v.get('timestamp'),
            window=v['window'],
            order=v.get('order'),
            name=v['name'],
        )
        report(1, 1, f'Created the evaluation {v["name"]!r}')
        return Composed(p, ev)
    if p.action == 'cascade':
        return Composed(p, _create_cascade(ctx, p, report))
    report(0, 1, f'Creating the experiment {v["name"]}')
    exp = VersionedExperiment(v['name'], rebuild_pipeline)
    if v['run']:
        with reporting(report):
            exp.run(**experiment_run_params(ctx, v))
    return Composed(p, exp)


def _create_cascade(ctx: StageContext, p: ComposePreview, report: ProgressCallback) -> SemanticIndexCascade:
    v = p.values
    chosen = cascade_levels(v)
    total = len(chosen) + 1
    report(0, total, f'Creating the cascade {p.target}')
    try:
        s = SemanticIndexCascade(ctx.table, v['content_column'], name=v['name'], key_column=v.get('key_column'))
        for i, (level, kw) in enumerate(chosen, start=1):
            report(i, total, f'Building level {level!r}')
            s.add_level(level, embedding=v['embedding'], **kw)
    except BaseException:
        pxt.drop_dir(p.target, force=True, if_not_exists='ignore')  # new (checked above): nothing else is in it
        raise
    report(total, total, f'Cascade {p.target} is ready')
    return s
