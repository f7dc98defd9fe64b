"""Typed transform parameters: a JSON-able schema a panel turns into a form, and strict validation with pydantic.

Example:
    >>> fps = Param('fps', 'float', 1.0, exclusive_minimum=0, maximum=60)
    >>> ParamSet((fps,)).validate({'fps': 2})
    {'fps': 2.0}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from pxwidgets.errors import InvalidParameterError
from pxwidgets.patterns.common.records import ParamSpec

ParamType = Literal['int', 'float', 'string', 'bool', 'choice']

_PY_TYPES: dict[str, type] = {'int': int, 'float': float, 'string': str, 'bool': bool}


@dataclass(frozen=True)
class Param:
    """One parameter of a transform.

    Attributes:
        name: The keyword the transform receives.
        type: ``'int'``, ``'float'``, ``'string'``, ``'bool'`` or ``'choice'`` (one of ``choices``).
        default: The value used when none is given.
        description: One line for a form's help text.
        minimum: The smallest allowed number (inclusive), if any.
        maximum: The largest allowed number (inclusive), if any.
        exclusive_minimum: A number the value must exceed, if any.
        choices: The allowed values of a ``'choice'`` parameter.
        nullable: Whether ``None`` is allowed.
    """

    name: str
    type: ParamType
    default: Any
    description: str = ''
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f'parameter name {self.name!r} is not an identifier')
        if self.type == 'choice' and not self.choices:
            raise ValueError(f'choice parameter {self.name!r} needs choices')
        if self.type not in ('choice', *_PY_TYPES):
            raise ValueError(f'parameter {self.name!r} has unknown type {self.type!r}')

    def annotation(self) -> Any:
        """The Python type pydantic validates against."""
        base: Any = Literal[self.choices] if self.type == 'choice' else _PY_TYPES[self.type]
        return base | None if self.nullable else base

    def field(self) -> Any:
        """The pydantic field (default and bounds)."""
        return Field(
            self.default,
            description=self.description or None,
            ge=self.minimum,
            le=self.maximum,
            gt=self.exclusive_minimum,
        )

    def to_json(self) -> ParamSpec:
        """The parameter as a JSON-able dict, for a panel to build a form field from.

        Example:
            >>> Param('n', 'int', 5, minimum=0).to_json()['type']
            'int'
        """
        return {
            'name': self.name,
            'type': self.type,
            'default': self.default,
            'description': self.description,
            'minimum': self.minimum,
            'maximum': self.maximum,
            'exclusive_minimum': self.exclusive_minimum,
            'choices': list(self.choices) if self.choices else None,
            'nullable': self.nullable,
        }


class ParamSet:
    """The parameters of one transform, validated together by a strict pydantic model.

    Strict means no silent conversion: ``'2'`` is not an int, ``True`` is not a number, ``1.5`` is not an int; an int
    is accepted where a float is expected. Unknown parameters are refused.

    Example:
        >>> ParamSet((Param('n', 'int', 5, minimum=0),)).validate({})
        {'n': 5}
    """

    def __init__(self, params: tuple[Param, ...], *, owner: str = 'transform') -> None:
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f'{owner}: duplicate parameter names in {names}')
        for p in params:
            if p.default is not None or not p.nullable:
                _check_default(p, owner)
        self.params = params
        self.owner = owner

    @cached_property
    def model(self) -> type[BaseModel]:
        """The pydantic model of these parameters."""
        fields: dict[str, Any] = {p.name: (p.annotation(), p.field()) for p in self.params}
        return create_model(f'{self.owner}_params', __config__=ConfigDict(strict=True, extra='forbid'), **fields)

    def json_schema(self) -> dict[str, Any]:
        """The parameters as a standard JSON Schema object (from pydantic)."""
        return self.model.model_json_schema()

    def validate(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check values and fill in defaults.

        Args:
            values: Parameter values by name; missing ones take their defaults.

        Returns:
            Every parameter's value, floats as ``float``.

        Raises:
            InvalidParameterError: Listing every wrong, out-of-range or unknown parameter.
        """
        if values is None:
            values = {}
        if not isinstance(values, Mapping):
            raise InvalidParameterError(f'{self.owner}: parameters must be a dict, not {type(values).__name__}.')
        try:
            model = self.model.model_validate(dict(values))
        except ValidationError as exc:
            errors = [
                {
                    'param': '.'.join(str(part) for part in err['loc']) or '(all)',
                    'message': f'{err["msg"]} (got {err["input"]!r})',
                }
                for err in exc.errors()
            ]
            detail = '; '.join(f'{e["param"]}: {e["message"]}' for e in errors)
            raise InvalidParameterError(f'Invalid parameters for {self.owner}: {detail}.', errors=errors) from None
        result = model.model_dump()
        for p in self.params:
            if p.type == 'float' and isinstance(result[p.name], int):
                result[p.name] = float(result[p.name])
            if p.type == 'float' and isinstance(result[p.name], float) and not math.isfinite(result[p.name]):
                raise InvalidParameterError(
                    f'Invalid parameters for {self.owner}: {p.name} must be a finite number.',
                    errors=[{'param': p.name, 'message': 'must be a finite number'}],
                )
        return result


def _check_default(p: Param, owner: str) -> None:
    """A parameter's default must itself be valid: a registry entry with a broken default is a programming error."""
    model = create_model(  # type: ignore[call-overload]
        'default_check', __config__=ConfigDict(strict=True), **{p.name: (p.annotation(), p.field())}
    )
    try:
        model.model_validate({p.name: p.default})
    except ValidationError as exc:
        raise ValueError(f'{owner}: default of parameter {p.name!r} is invalid: {exc.errors()[0]["msg"]}') from None
