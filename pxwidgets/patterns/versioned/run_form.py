"""The parameters of an experiment's setup function, read from its signature: a form for starting a run from a panel,
and strict validation of what the form sends back (``pxwidgets.patterns.common.params``).

``setup(path, *, threshold: float = 0.5, model: Literal['a', 'b'] = 'a', progress=None)``: every parameter after
``path`` is a field, typed by its annotation or its default (``bool``, ``int``, ``float``, ``str``, a ``Literal`` of
strings as a choice, ``X | None`` as nullable); ``progress``, if the setup takes it, is the run's progress callback
and no field. A parameter without a default is required.

Example:
    >>> def setup(path: str, threshold: float = 0.5, fast: bool = False) -> None: ...
    >>> [p.name for p in setup_params(setup).params]
    ['threshold', 'fast']
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args, get_origin

from pxwidgets.errors import InvalidParameterError
from pxwidgets.patterns.common.params import Param, ParamSet, ParamType

PROGRESS = 'progress'
"""The keyword a setup function takes to receive the run's progress callback (and be cancellable between steps)."""
_TYPES: dict[type, ParamType] = {bool: 'bool', int: 'int', float: 'float', str: 'string'}


class SetupParams:
    """The fields of a setup function, and the names of those that are required."""

    def __init__(self, params: tuple[Param, ...], required: frozenset[str], owner: str) -> None:
        self.params = params
        self.required = required
        self._set = ParamSet(params, owner=owner)

    def validate(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check the form's values strictly and fill in defaults.

        Raises:
            InvalidParameterError: Listing each wrong, unknown or missing required parameter.
        """
        clean = self._set.validate(values)
        missing = sorted(n for n in self.required if clean.get(n) is None)
        if missing:
            raise InvalidParameterError(
                f'Missing required parameter(s): {", ".join(missing)}.',
                errors=[{'param': n, 'message': 'required'} for n in missing],
            )
        return clean


def _kind(annotation: Any, default: Any) -> tuple[ParamType, tuple[str, ...], bool]:
    """(type, choices, nullable) from an annotation (a string one is resolved where it can be) or the default."""
    nullable = default is None
    args = get_args(annotation)
    if get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        nullable = True
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else Any
    if get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation)):
        return 'choice', tuple(get_args(annotation)), nullable
    if isinstance(annotation, type) and annotation in _TYPES:
        return _TYPES[annotation], (), nullable
    if default is not None and type(default) in _TYPES:
        return _TYPES[type(default)], (), nullable
    return 'string', (), True


def setup_params(setup: Callable[..., Any]) -> SetupParams:
    """The form fields of ``setup``'s parameters after ``path`` (``progress`` excluded).

    Raises:
        TypeError: A parameter of a kind a form cannot fill (``*args``, ``**kwargs`` are skipped).
    """
    sig = inspect.signature(setup)
    try:
        hints = typing.get_type_hints(setup)
    except Exception:  # annotations that cannot be resolved here: fall back to the defaults' types
        hints = {}
    params: list[Param] = []
    required: set[str] = set()
    for i, p in enumerate(sig.parameters.values()):
        if i == 0 or p.name == PROGRESS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is inspect.Parameter.empty else p.default
        if p.default is inspect.Parameter.empty:
            required.add(p.name)
        kind, choices, nullable = _kind(hints.get(p.name, p.annotation), default)
        if kind == 'float' and isinstance(default, int) and not isinstance(default, bool):
            default = float(default)
        if default is not None and type(default) not in (*_TYPES, float) and kind == 'string':
            default = str(default)
        params.append(Param(p.name, kind, default, choices=choices, nullable=nullable or p.name in required))
    return SetupParams(tuple(params), frozenset(required), getattr(setup, '__qualname__', 'setup'))


def takes_progress(setup: Callable[..., Any]) -> bool:
    """Whether ``setup`` accepts the ``progress`` keyword."""
    try:
        return PROGRESS in inspect.signature(setup).parameters
    except (TypeError, ValueError):
        return False
