"""Turn an ``add_stage`` / ``preview_transform`` request into a checked stage definition, without writing anything.

A request names exactly one of: a registry ``transform`` (with ``params``), a ``column`` (an expression, or a bare
UDF applied to the input column), an ``iterator`` (a call, or a bare iterator applied to the input column; optionally
with ``where``), or a ``where`` predicate (a filter). The *input column* is ``input=`` or, by default, the output of
the stage the new one goes after.

Example:
    >>> spec = resolve(state, registry, name='faces', transform='detect_faces', after='frames')  # doctest: +SKIP
    >>> spec.kind, spec.definition  # doctest: +SKIP
    ('column', 'detect_faces(frames.frame, cascade=...)')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt
from pixeltable import exprs, func

from pxwidgets.errors import ForeignColumnError, InvalidRequestError
from pxwidgets.patterns.common.exprcode import column_name, column_table_id, column_table_name
from pxwidgets.patterns.common.guards import refuse_notebook_functions
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.common.registry import Registry
from pxwidgets.patterns.common.transforms import type_family
from pxwidgets.patterns.progressive.catalog import (
    PipelineState,
    StageRecord,
    TableInfo,
    column_canonical,
    column_refs,
    readable,
    view_canonical,
)
from pxwidgets.patterns.progressive.stages import STAGE_ROLE, StageKind, stage_metadata


@dataclass
class StageSpec:
    """A checked definition of a stage that does not exist yet (or is compared with one that does)."""

    name: str
    kind: StageKind
    after: str
    context: TableInfo
    expr: exprs.Expr | None = None
    iterator: func.GeneratingFunctionCall | None = None
    transform: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    input: str | None = None

    @property
    def canonical(self) -> str:
        """The identity of the definition (equal for an equal stage read from the catalog)."""
        if self.kind == 'column':
            return column_canonical(self.context.id, self.expr)
        return view_canonical(self.kind, self.context.id, self.iterator, self.expr, None)

    @property
    def definition(self) -> str:
        """The definition for people, in the form ``Stage.definition`` uses."""
        if self.kind == 'column':
            return readable(self.expr)
        parts = [readable(self.iterator)] if self.iterator is not None else []
        if self.expr is not None:
            parts.append(f'where {readable(self.expr)}')
        return ' '.join(parts) if parts else 'all rows'

    def metadata(self) -> dict[str, Any]:
        """The ``custom_metadata`` pxwidgets stores with the stage (its ``'progressive.stage'`` role)."""
        return role_metadata(
            STAGE_ROLE,
            stage_metadata(
                self.name,
                self.kind,
                after=self.after,
                transform=self.transform,
                params=self.params,
                output=self.output if self.kind != 'column' else None,
            ),
        )


def _input_ref(context: TableInfo, after: StageRecord, input_col: str | None) -> tuple[str, exprs.Expr]:
    name = input_col if input_col is not None else after.stage.output
    if name is None:
        raise InvalidRequestError(
            f'Stage {after.stage.name!r} has no output column to read.', hint='Pass input=<column name>.'
        )
    try:
        return name, context.tbl[name]
    except Exception:
        columns = ', '.join(context.tbl.columns())
        raise InvalidRequestError(
            f'{context.path!r} has no column {name!r} to use as the input.', hint=f'Its columns: {columns}.'
        ) from None


def _call(fn: Any, value: exprs.Expr, params: Mapping[str, Any], what: str) -> Any:
    try:
        return fn(value, **params)
    except pxt.Error as exc:
        raise InvalidRequestError(f'{what}: {exc}') from None
    except TypeError as exc:
        raise InvalidRequestError(f'{what}: {exc}') from None


def _no_params(params: Mapping[str, Any] | None, what: str) -> None:
    if params:
        raise InvalidRequestError(
            f'params= applies to a transform name or a bare UDF/iterator, not to {what}.',
            hint='Write the arguments into the expression itself.',
        )


def _check_refs(state: PipelineState, context: TableInfo, obj: Any, name: str) -> None:
    allowed = set(state.ancestry(context.id))
    foreign = []
    for ref in column_refs(obj):
        if column_table_id(ref) not in allowed:
            foreign.append(f'{column_table_name(ref)}.{column_name(ref)}')
    if foreign:
        raise ForeignColumnError(
            f'Stage {name!r} would be evaluated on {context.path!r}, but its definition reads '
            f'{", ".join(sorted(set(foreign)))}, a column of another table.',
            hint=f'Use columns of {context.path!r} (or of the tables it is a view of), '
            'or add the stage after a stage of that other table.',
        )


def _iterator_output(call: func.GeneratingFunctionCall, wanted: str | None) -> str | None:
    names = [n for n in (call.outputs or {}) if n != 'pos']
    if wanted is not None:
        if wanted not in names:
            raise InvalidRequestError(
                f'The iterator has no output column {wanted!r}.', hint=f'Its outputs: {", ".join(names)}.'
            )
        return wanted
    return names[0] if names else None


DEFINITION_ARGS = ('transform', 'params', 'column', 'iterator', 'where', 'input', 'output', 'allow_notebook_udfs')
"""The arguments that say what a stage does (``add_stage`` and ``preview_transform`` take them alike)."""


def definition_of(args: Mapping[str, Any]) -> dict[str, Any]:
    """The stage definition among a call's arguments (``definition_of(locals())``), for :func:`resolve`.

    Example:
        >>> definition_of({'name': 'x', 'transform': 'detect_faces', 'params': None, 'column': None, 'iterator': None,
        ...                'where': None, 'input': None, 'output': None, 'allow_notebook_udfs': False})['transform']
        'detect_faces'
    """
    return {k: args[k] for k in DEFINITION_ARGS}


def resolve(
    state: PipelineState,
    registry: Registry,
    *,
    name: str,
    after: str,
    transform: str | None = None,
    params: Mapping[str, Any] | None = None,
    column: Any = None,
    iterator: Any = None,
    where: Any = None,
    input: str | None = None,
    output: str | None = None,
    allow_notebook_udfs: bool = False,
) -> StageSpec:
    """Check a stage request against the pipeline and build its Pixeltable definition (writes nothing).

    Raises:
        InvalidRequestError: Wrong combination of arguments, unknown input column, wrong input type, or a definition
            Pixeltable refuses.
        InvalidParameterError: Transform parameters of the wrong type or out of range.
        TransformNotFoundError: Unknown transform name.
        ForeignColumnError: The definition reads a column of another table.
        NotebookUDFError: The definition uses a UDF defined in the notebook.
    """
    given = [k for k, v in (('transform', transform), ('column', column), ('iterator', iterator)) if v is not None]
    if len(given) > 1:
        raise InvalidRequestError(f'Give only one of transform=, column=, iterator= (got {", ".join(given)}).')
    if not given and where is None:
        raise InvalidRequestError('Say what the stage does: transform=, column=, iterator= or where=.')
    if where is not None and given and given[0] != 'iterator':
        raise InvalidRequestError(f'where= makes a filter stage; it combines with iterator= only, not {given[0]}=.')
    after_rec = state.record(after)
    context = state.tables[after_rec.table_id]
    spec = StageSpec(name=name, kind='column', after=after, context=context)
    what = f'Stage {name!r}'

    if transform is not None:
        entry = registry.get(transform)
        spec.params = entry.validate(params)
        spec.transform = entry.name
        spec.input, value = _input_ref(context, after_rec, input)
        if not entry.accepts(value.col_type):
            raise InvalidRequestError(
                f'Transform {entry.name!r} reads {entry.input_type} values, but {context.path}.{spec.input} holds '
                f'{type_family(value.col_type)} values ({value.col_type}).',
                hint='Pick another input column with input=, or another transform.',
            )
        built = _call(entry.build, value, spec.params, f'{what} ({entry.name})')
        spec.kind = entry.kind
        if entry.kind == 'iterator':
            if not isinstance(built, func.GeneratingFunctionCall):
                raise InvalidRequestError(f'Transform {entry.name!r} did not build an iterator call.')
            spec.iterator = built
            spec.output = _iterator_output(built, output or entry.output)
        else:
            if not isinstance(built, exprs.Expr):
                raise InvalidRequestError(f'Transform {entry.name!r} did not build a Pixeltable expression.')
            spec.expr = built
    elif column is not None:
        spec.kind = 'column'
        spec.expr = _built(
            spec, after_rec, column, (exprs.Expr, 'an expression'), func.Function, 'column', params, input, what
        )
    elif iterator is not None:
        spec.kind = 'iterator'
        ready = (func.GeneratingFunctionCall, 'an iterator call')
        bare = func.GeneratingFunction
        spec.iterator = _built(spec, after_rec, iterator, ready, bare, 'iterator', params, input, what)
        spec.output = _iterator_output(spec.iterator, output)
        if where is not None:
            spec.expr = _predicate(where, context, after_rec, input, None, what)
    else:
        spec.kind = 'filter'
        spec.expr = _predicate(where, context, after_rec, input, params, what)
        if isinstance(where, func.Function):
            spec.params = dict(params or {})
            spec.input = input if input is not None else after_rec.stage.output

    if spec.kind == 'filter':
        spec.output = output if output is not None else state.records[context.stage].stage.output
        if output is not None and output not in context.tbl.columns():
            raise InvalidRequestError(f'{context.path!r} has no column {output!r} to use as the output.')
    elif spec.kind == 'column' and spec.expr is not None and spec.expr.col_type.is_invalid_type():
        raise InvalidRequestError(f'{what}: the expression has no Pixeltable type; it cannot be stored.')
    if spec.kind in ('filter', 'iterator') and spec.expr is not None and not spec.expr.col_type.is_bool_type():
        raise InvalidRequestError(f'{what}: a filter must be a boolean expression, not {spec.expr.col_type}.')
    for obj in (spec.expr, spec.iterator):
        if obj is None:
            continue
        _check_refs(state, context, obj, name)
        if not allow_notebook_udfs:
            refuse_notebook_functions(obj, what=what)
    return spec


def _predicate(
    where: Any,
    context: TableInfo,
    after_rec: StageRecord,
    input_col: str | None,
    params: Mapping[str, Any] | None,
    what: str,
) -> exprs.Expr:
    if isinstance(where, exprs.Expr):
        _no_params(params, 'a predicate expression')
        return where
    if isinstance(where, func.Function):
        _, value = _input_ref(context, after_rec, input_col)
        result = _call(where, value, params or {}, what)
        assert isinstance(result, exprs.Expr)
        return result
    raise _not_pixeltable(where, 'where')


def _built(
    spec: StageSpec,
    after_rec: StageRecord,
    given: Any,
    ready: tuple[type, str],
    bare: type,
    arg: str,
    params: Any,
    input: str | None,
    what: str,
) -> Any:
    """What ``column=`` / ``iterator=`` gave: a ready expression or call as it is (no ``params`` then), or a bare
    function applied to the input column with ``params`` (recorded in ``spec``)."""
    ready_type, ready_name = ready
    if isinstance(given, ready_type):
        _no_params(params, ready_name)
        return given
    if isinstance(given, bare):
        spec.input, value = _input_ref(spec.context, after_rec, input)
        spec.params = dict(params or {})
        return _call(given, value, spec.params, what)
    raise _not_pixeltable(given, arg)


def _not_pixeltable(obj: Any, arg: str) -> InvalidRequestError:
    if callable(obj):
        return InvalidRequestError(
            f'{arg}= got the plain Python function {getattr(obj, "__qualname__", obj)!r}; Pixeltable cannot store it.',
            hint='Decorate it with @pxt.udf (or @pxt.iterator) in a module, import it, and pass that.',
        )
    return InvalidRequestError(f'{arg}= must be a Pixeltable expression or UDF, not {type(obj).__name__}.')
