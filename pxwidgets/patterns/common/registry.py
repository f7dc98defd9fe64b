"""The registry of transforms: the ready ones pxwidgets ships plus the UDFs and iterators users register.

A panel lists the entries (``to_json()``: name, description, kind, input type, typed parameters with defaults and
ranges, and a JSON Schema), validates a form's values (``validate()``) and applies an entry as a stage.

Entry schema (``Transform.to_json()``)::

    {"name": "extract_frames", "description": "...", "kind": "iterator" | "column" | "filter",
     "input_type": "video" | "image" | "document" | "audio" | "string" | "int" | "float" | "number" | "bool"
                   | "json" | "any",
     "output": "frame" | null, "output_type": "image" | null, "source": "pixeltable.functions.video.frame_iterator",
     "builtin": true, "notes": "",
     "params": [{"name": "fps", "type": "int" | "float" | "string" | "bool" | "choice", "default": 1.0,
                 "description": "...", "minimum": null, "maximum": 120.0, "exclusive_minimum": 0.0,
                 "choices": null | [...], "nullable": false}],
     "json_schema": {...}}

Example:
    >>> reg = default_registry()
    >>> reg.get('extract_frames').kind
    'iterator'
    >>> reg.validate('extract_frames', {'fps': 2})
    {'fps': 2.0}
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pixeltable import func
from pixeltable import type_system as ts

from pxwidgets.errors import InvalidRequestError, TransformNotFoundError
from pxwidgets.patterns.common.guards import function_path, refuse_notebook_functions
from pxwidgets.patterns.common.params import Param, ParamType
from pxwidgets.patterns.common.records import TransformEntry
from pxwidgets.patterns.common.transforms import INPUT_TYPES, Transform, TransformKind, type_family

_SCALAR_PARAM_TYPES: tuple[tuple[str, ParamType], ...] = (
    ('is_bool_type', 'bool'),
    ('is_int_type', 'int'),
    ('is_float_type', 'float'),
    ('is_string_type', 'string'),
)


class Registry:
    """Transforms by name.

    Example:
        >>> reg = Registry()
        >>> reg.names()
        []
    """

    def __init__(self, transforms: Iterable[Transform] = ()) -> None:
        self._lock = threading.Lock()
        self._transforms: dict[str, Transform] = {}
        for transform in transforms:
            self.add(transform)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._transforms)

    def get(self, name: str) -> Transform:
        """The transform of that name.

        Raises:
            TransformNotFoundError: If there is none.
        """
        transform = self._transforms.get(name)
        if transform is None:
            raise TransformNotFoundError(
                f'No transform named {name!r} is registered.', hint=f'Registered: {", ".join(self.names())}.'
            )
        return transform

    def __contains__(self, name: object) -> bool:
        return name in self._transforms

    def entries(
        self, *, kind: TransformKind | None = None, input_type: str | ts.ColumnType | None = None
    ) -> list[Transform]:
        """The transforms, optionally only of one kind or only those that can read a given input.

        Args:
            kind: Keep only ``'iterator'``, ``'column'`` or ``'filter'`` transforms.
            input_type: Keep only those that accept this input type family (e.g. ``'image'``) or column type.

        Example:
            >>> [t.name for t in default_registry().entries(kind='iterator', input_type='video')]
            ['extract_frames']
        """
        result = list(self._transforms.values())
        if kind is not None:
            result = [t for t in result if t.kind == kind]
        if isinstance(input_type, ts.ColumnType):
            result = [t for t in result if t.accepts(input_type)]
        elif input_type is not None:
            family = input_type
            result = [
                t
                for t in result
                if t.input_type in ('any', family) or (t.input_type == 'number' and family in ('int', 'float'))
            ]
        return result

    def to_json(
        self, *, kind: TransformKind | None = None, input_type: str | ts.ColumnType | None = None
    ) -> list[TransformEntry]:
        """``entries()`` as JSON-able dicts (see the module docstring for the schema)."""
        return [t.to_json() for t in self.entries(kind=kind, input_type=input_type)]

    def validate(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate a transform's parameter values and fill in defaults (raises ``InvalidParameterError``)."""
        return self.get(name).validate(params)

    def add(self, transform: Transform, *, replace: bool = False) -> Transform:
        """Add a transform object.

        Raises:
            InvalidRequestError: If the name is taken and ``replace`` is false.
        """
        with self._lock:
            if transform.name in self._transforms and not replace:
                raise InvalidRequestError(
                    f'A transform named {transform.name!r} is already registered.',
                    hint='Pass replace=True to replace it, or choose another name.',
                )
            self._transforms[transform.name] = transform
        return transform

    def remove(self, name: str) -> None:
        """Remove a transform (stages made with it are not affected)."""
        with self._lock:
            self.get(name)
            del self._transforms[name]

    def copy(self) -> Registry:
        """An independent registry with the same transforms."""
        return Registry(self._transforms.values())

    def register(
        self,
        fn: func.Function | func.GeneratingFunction,
        *,
        name: str | None = None,
        description: str | None = None,
        kind: TransformKind | None = None,
        params: Iterable[Param] | None = None,
        output: str | None = None,
        output_type: str | None = None,
        replace: bool = False,
        allow_notebook_udfs: bool = False,
    ) -> Transform:
        """Register a UDF (a ``'column'`` or ``'filter'`` transform) or an iterator (an ``'iterator'`` transform).

        The first parameter is the input; the others become the transform's parameters, typed from the signature
        (int, float, string, bool; each needs a default), unless ``params`` is given.

        Args:
            fn: A ``@pxt.udf`` or ``@pxt.iterator`` defined in a module.
            name: The entry's name; defaults to the function's name.
            description: One sentence; defaults to the first line of the docstring.
            kind: ``'column'`` (default for UDFs) or ``'filter'`` (the UDF must return a bool).
            params: Explicit parameter specs (e.g. with ranges or choices) instead of the inferred ones.
            output: For iterators: the output column a following stage reads by default.
            output_type: What it produces, for display.
            replace: Replace an entry of the same name.
            allow_notebook_udfs: Register a UDF defined in the notebook anyway (it breaks after a kernel restart).

        Returns:
            The new entry.

        Raises:
            NotebookUDFError: If ``fn`` is defined in a notebook (``__main__``) and that is not allowed.
            InvalidRequestError: If ``fn`` is not a Pixeltable UDF or iterator, or its signature cannot be used.

        Example:
            >>> import mymodule  # doctest: +SKIP
            >>> default_registry().register(mymodule.sharpness)  # doctest: +SKIP
        """
        if not isinstance(fn, func.Function | func.GeneratingFunction):
            raise InvalidRequestError(
                f'register() takes a Pixeltable UDF or iterator, not {type(fn).__name__}.',
                hint='Decorate the function with @pxt.udf (or @pxt.iterator) in a module and register that.',
            )
        path = function_path(fn) or repr(fn)
        if not allow_notebook_udfs:
            refuse_notebook_functions(fn, what=f'The transform {name or path!r}')
        try:
            if isinstance(fn, func.GeneratingFunction):
                transform = _iterator_transform(fn, name, description, params, output, output_type, path)
            else:
                transform = _udf_transform(fn, name, description, kind or 'column', params, output_type, path)
        except ValueError as exc:  # an invalid entry name, parameter spec or default
            raise InvalidRequestError(f'Cannot register {path}: {exc}') from None
        return self.add(transform, replace=replace)


def _first_line(doc: str | None) -> str:
    for line in (doc or '').strip().splitlines():
        if line.strip():
            return line.strip()
    return ''


def _param_type(col_type: ts.ColumnType | None) -> ParamType | None:
    if col_type is None:
        return None
    for check, param_type in _SCALAR_PARAM_TYPES:
        if getattr(col_type, check)():
            return param_type
    return None


def _infer_params(parameters: list[func.Parameter], owner: str) -> tuple[Param, ...]:
    result: list[Param] = []
    for p in parameters:
        param_type = _param_type(p.col_type)
        if not p.has_default():
            raise InvalidRequestError(
                f'{owner}: parameter {p.name!r} has no default, so a form could not leave it out.',
                hint='Give it a default, or pass params=[Param(...)] to register().',
            )
        if param_type is None:
            continue  # not editable in a form: the function's own default is used
        default = p.default_value
        if param_type == 'float' and isinstance(default, int):
            default = float(default)
        nullable = bool(p.col_type is not None and p.col_type.nullable)
        result.append(Param(p.name, param_type, default, nullable=nullable or default is None))
    return tuple(result)


def _input_type(col_type: ts.ColumnType | None, owner: str) -> Any:
    family = 'any' if col_type is None else type_family(col_type)
    if family not in INPUT_TYPES:
        raise InvalidRequestError(f'{owner}: an input of type {col_type} is not supported.')
    return family


def _udf_transform(
    fn: func.Function,
    name: str | None,
    description: str | None,
    kind: TransformKind,
    params: Iterable[Param] | None,
    output_type: str | None,
    path: str,
) -> Transform:
    if kind not in ('column', 'filter'):
        raise InvalidRequestError(f'A UDF makes a column or filter transform, not {kind!r}.')
    signature = fn.signatures[0]
    parameters = list(signature.parameters.values())
    if not parameters:
        raise InvalidRequestError(f'{path}: a transform UDF needs at least one parameter (its input).')
    if kind == 'filter' and not signature.return_type.is_bool_type():
        raise InvalidRequestError(f'{path}: a filter UDF must return a bool, not {signature.return_type}.')
    entry_params = tuple(params) if params is not None else _infer_params(parameters[1:], path)

    def build(value: Any, **kwargs: Any) -> Any:
        return fn(value, **kwargs)

    return Transform(
        name=name or fn.name,
        description=description or _first_line(fn.comment()) or f'{fn.name}()',
        kind=kind,
        input_type=_input_type(parameters[0].col_type, path),
        params=entry_params,
        build=build,
        output_type=output_type or type_family(signature.return_type),
        source=path,
    )


def _iterator_transform(
    fn: func.GeneratingFunction,
    name: str | None,
    description: str | None,
    params: Iterable[Param] | None,
    output: str | None,
    output_type: str | None,
    path: str,
) -> Transform:
    parameters = list(fn.signature.parameters.values())
    if not parameters:
        raise InvalidRequestError(f'{path}: an iterator transform needs at least one parameter (its input).')
    if output is None:
        schema = getattr(fn, '_default_output_schema', None) or {}
        if not schema:
            raise InvalidRequestError(
                f'{path}: cannot tell which output column following stages should read.',
                hint='Pass output=<column name> to register().',
            )
        output = next(iter(schema))
    entry_params = tuple(params) if params is not None else _infer_params(parameters[1:], path)

    def build(value: Any, **kwargs: Any) -> Any:
        return fn(value, **kwargs)

    doc = getattr(fn.decorated_callable, '__doc__', None)
    return Transform(
        name=name or fn.name,
        description=description or _first_line(doc) or f'{fn.name}()',
        kind='iterator',
        input_type=_input_type(parameters[0].col_type, path),
        params=entry_params,
        build=build,
        output=output,
        output_type=output_type,
        source=path,
    )


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, holding the builtin transforms plus whatever was registered into it.

    Example:
        >>> 'detect_faces' in default_registry()
        True
    """
    global _default
    with _default_lock:
        if _default is None:
            from pxwidgets.patterns.common.builtin import builtin_transforms

            _default = Registry(builtin_transforms())
        return _default


def register(fn: func.Function | func.GeneratingFunction, **kwargs: Any) -> Transform:
    """Register a UDF or iterator in the default registry (see ``Registry.register``).

    Example:
        >>> import mymodule  # doctest: +SKIP
        >>> register(mymodule.sharpness, description='How sharp the image is')  # doctest: +SKIP
    """
    return default_registry().register(fn, **kwargs)
