"""A transform: a named, parameterised recipe for one refinement stage, described well enough to build a form.

A transform turns the column it is applied to (its *input*) and validated parameter values into a Pixeltable
iterator call (an ``'iterator'`` stage: a one-to-many view), an expression (a ``'column'`` stage: a computed column)
or a boolean expression (a ``'filter'`` stage: a filtered view).

Example:
    >>> from pixeltable.functions.video import frame_iterator
    >>> t = Transform(
    ...     name='frames', description='Frames of each video', kind='iterator', input_type='video',
    ...     params=(Param('fps', 'float', 1.0, exclusive_minimum=0),),
    ...     build=lambda video, fps: frame_iterator(video, fps=fps), output='frame', output_type='image',
    ... )
    >>> t.validate({'fps': 2})
    {'fps': 2.0}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pixeltable import type_system as ts

from pxwidgets.patterns.common.params import Param, ParamSet
from pxwidgets.patterns.common.records import TransformEntry
from pxwidgets.tables.internals import type_kind

TransformKind = Literal['iterator', 'column', 'filter']
"""The three kinds of refinement stage a transform makes."""

InputType = Literal['video', 'image', 'document', 'audio', 'string', 'int', 'float', 'number', 'bool', 'json', 'any']
"""What a transform reads: a Pixeltable type family (``'number'`` is int or float; ``'any'`` is anything)."""

INPUT_TYPES: tuple[str, ...] = InputType.__args__  # type: ignore[attr-defined]


def type_family(col_type: ts.ColumnType) -> str:
    """The input-type family of a Pixeltable column type.

    Args:
        col_type: A Pixeltable column type.

    Returns:
        One of ``'video'``, ``'image'``, ``'document'``, ``'audio'``, ``'string'``, ``'int'``, ``'float'``, ``'bool'``,
        ``'json'``, or the type's own name in lower case for anything else (arrays, timestamps, …).

    Example:
        >>> type_family(ts.IntType())
        'int'
    """
    checks = (
        ('video', col_type.is_video_type),
        ('image', col_type.is_image_type),
        ('document', col_type.is_document_type),
        ('audio', col_type.is_audio_type),
        ('string', col_type.is_string_type),
        ('int', col_type.is_int_type),
        ('float', col_type.is_float_type),
        ('bool', col_type.is_bool_type),
        ('json', col_type.is_json_type),
    )
    for family, check in checks:
        if check():
            return family
    return type_kind(col_type)


def accepts(input_type: str, col_type: ts.ColumnType) -> bool:
    """Whether a transform reading ``input_type`` can read a column of ``col_type``.

    Example:
        >>> accepts('number', ts.FloatType())
        True
    """
    family = type_family(col_type)
    if input_type == 'any' or input_type == family:
        return True
    return input_type == 'number' and family in ('int', 'float')


@dataclass(frozen=True)
class Transform:
    """A registry entry.

    Attributes:
        name: Unique name in its registry (an identifier).
        description: One sentence for a menu.
        kind: ``'iterator'``, ``'column'`` or ``'filter'``.
        input_type: What it reads (see ``InputType``).
        params: Its typed parameters.
        build: ``build(input_expr, **params)`` returns the iterator call, expression or predicate.
        output: For iterators: the output column a following stage reads by default (e.g. ``'frame'``).
        output_type: What it produces, for display (``'image'``, ``'detections'``, ``'int'``, …).
        source: The fully qualified name of the Pixeltable function it uses, for display.
        builtin: Whether pxwidgets ships it.
        notes: Anything a user should know before choosing it (e.g. a model that needs a download).
    """

    name: str
    description: str
    kind: TransformKind
    input_type: InputType
    params: tuple[Param, ...]
    build: Callable[..., Any] = field(repr=False, compare=False)
    output: str | None = None
    output_type: str | None = None
    source: str | None = None
    builtin: bool = False
    notes: str = ''

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f'transform name {self.name!r} is not an identifier')
        if self.kind not in ('iterator', 'column', 'filter'):
            raise ValueError(f'transform {self.name!r}: unknown kind {self.kind!r}')
        if self.input_type not in INPUT_TYPES:
            raise ValueError(f'transform {self.name!r}: unknown input type {self.input_type!r}')
        ParamSet(self.params, owner=self.name)  # checks names and defaults now, not at first use

    @property
    def param_set(self) -> ParamSet:
        """The parameters as a validating set."""
        return ParamSet(self.params, owner=self.name)

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validated parameter values, defaults filled in (raises ``InvalidParameterError``)."""
        return self.param_set.validate(params)

    def accepts(self, col_type: ts.ColumnType) -> bool:
        """Whether this transform can read a column of this type."""
        return accepts(self.input_type, col_type)

    def to_json(self) -> TransformEntry:
        """The entry as a JSON-able dict, for a panel's menu and form.

        Example:
            >>> sorted(Transform('x', 'X', 'column', 'any', (), build=lambda v: v).to_json())[:3]
            ['builtin', 'description', 'input_type']
        """
        return {
            'name': self.name,
            'description': self.description,
            'kind': self.kind,
            'input_type': self.input_type,
            'output': self.output,
            'output_type': self.output_type,
            'source': self.source,
            'builtin': self.builtin,
            'notes': self.notes,
            'params': [p.to_json() for p in self.params],
            'json_schema': self.param_set.json_schema(),
        }
