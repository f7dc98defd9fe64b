"""The JSON records of the common pieces, as they travel to a panel: a transform and its parameters, a plan.

Declared once here: ``to_json()`` of :class:`~pxwidgets.patterns.common.params.Param`,
:class:`~pxwidgets.patterns.common.transforms.Transform`, :class:`~pxwidgets.patterns.common.plans.Step` and
:class:`~pxwidgets.patterns.common.plans.Plan` return them, panels name them in their commands, and the TypeScript
types are generated from them (``scripts/contract_ts.py``).

Example:
    >>> from pxwidgets.patterns.common.params import Param
    >>> spec: ParamSpec = Param('n', 'int', 5, minimum=0).to_json()
    >>> spec['minimum'], spec['nullable']
    (0, False)
"""

from __future__ import annotations

from typing import Any, TypedDict


class ParamSpec(TypedDict):
    """One parameter of a registry transform, as a form is generated from it (``Param.to_json()``)."""

    name: str
    type: str
    """``'int'``, ``'float'``, ``'bool'``, ``'string'`` or ``'choice'``."""
    default: Any
    description: str
    minimum: float | None
    maximum: float | None
    exclusive_minimum: float | None
    choices: list[str] | None
    nullable: bool


class TransformEntry(TypedDict):
    """A registry transform as a panel lists it (``Transform.to_json()``)."""

    name: str
    description: str
    kind: str
    """``'iterator'``, ``'column'`` or ``'filter'``."""
    input_type: str
    output: str | None
    output_type: str | None
    notes: str | None
    source: str | None
    builtin: bool
    params: list[ParamSpec]
    json_schema: dict[str, Any]


class StepInfo(TypedDict):
    """One change of a plan (``Step.to_json()``)."""

    action: str
    target: str
    description: str
    details: dict[str, Any]


class PlanInfo(TypedDict):
    """A plan as a panel shows it before the user confirms (``Plan.to_json()``); ``token`` is what Confirm sends."""

    title: str
    steps: list[StepInfo]
    token: str
    atomic: bool
    warnings: list[str]
    text: str
