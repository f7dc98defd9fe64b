"""The JSON records compose sends to a panel, declared once (the StageBuilder replies with them; the TypeScript types
are generated from them).

Example:
    >>> record: ComposeAction = action_form('demo/videos', 'frames', 'consensus').to_json()  # doctest: +SKIP
    >>> record['available']  # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import Any, TypedDict

from pxwidgets.patterns.common.records import ParamSpec


class ComposePick(TypedDict):
    """A field that picks several values (``patterns.compose.Pick``; the attributes are described there)."""

    name: str
    description: str
    options: list[dict[str, str]]
    default: list[str]
    minimum: int


class ComposeAction(TypedDict):
    """One "Use this stage" action and its form (``patterns.compose.ActionForm``)."""

    action: str
    label: str
    description: str
    pattern: str
    panel: str
    stage: str
    table: str
    available: bool
    reason: str | None
    params: list[ParamSpec]
    picks: list[ComposePick]


class ComposePreviewRecord(TypedDict):
    """What the action would create (``patterns.compose.ComposePreview``); nothing was written."""

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
