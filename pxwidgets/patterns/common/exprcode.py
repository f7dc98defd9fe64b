"""Pixeltable expressions and iterator calls written back as Python source.

Three uses, one writer: plain Pixeltable code that rebuilds a pipeline (``to_code``), a readable definition of a stage
(``frames.frame.resize([224, 224])``), and a canonical definition that two equal stages share (columns named by the
table that defines them, functions by their full path), which is how a re-run tells "same stage" from "changed stage".

Example:
    >>> writer = ExprWriter(column=lambda ref: f't.{column_name(ref)}', function=lambda path: path.rsplit('.', 1)[-1])
    >>> writer.expr(t.n_faces > 0)  # doctest: +SKIP
    '(t.n_faces > 0)'
"""

from __future__ import annotations

import datetime
import importlib
import keyword
import math
import uuid
from collections.abc import Callable
from typing import Any

from pixeltable import exprs, func
from pixeltable import type_system as ts

from pxwidgets.errors import CodegenError
from pxwidgets.tables.internals import (
    ArithmeticOperator,
    ComparisonOperator,
    LogicalOperator,
    StringOperator,
    type_enum,
)


def column_name(ref: exprs.ColumnRef) -> str:
    """The name of the column a column reference points to."""
    return str(ref.column_md.name)


def column_table_id(ref: exprs.ColumnRef) -> str:
    """The id of the table that defines the referenced column (a base table for columns seen through a view)."""
    return str(ref.col_md.qcolid.tbl_id)


def column_table_name(ref: exprs.ColumnRef) -> str:
    """The short name of the table that defines the referenced column."""
    return str(ref.col.get_tbl().name)


def attribute(obj: str, name: str) -> str:
    """``obj.name``, or ``obj['name']`` where the name is a Python keyword."""
    return f'{obj}[{name!r}]' if keyword.iskeyword(name) else f'{obj}.{name}'


def literal(value: Any, imports: Imports | None = None) -> str:
    """A Python literal for a constant of a Pixeltable expression.

    Example:
        >>> literal({'a': [1, 2.5, None]})
        "{'a': [1, 2.5, None]}"
    """
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float('{value}')"
    if isinstance(value, list | tuple):
        items = ', '.join(literal(v, imports) for v in value)
        return f'[{items}]' if isinstance(value, list) else f'({items}{"," if len(value) == 1 else ""})'
    if isinstance(value, dict):
        return '{' + ', '.join(f'{literal(k, imports)}: {literal(v, imports)}' for k, v in value.items()) + '}'
    if isinstance(value, datetime.datetime | datetime.date | uuid.UUID):
        if imports is not None:
            imports.module(type(value).__module__)
        return repr(value)
    raise CodegenError(f'A constant of type {type(value).__name__} cannot be written as Python code: {value!r}.')


def public_location(path: str) -> tuple[str, str]:
    """The shortest importable module that exposes the object at ``path`` under the same name.

    Example:
        >>> public_location('pixeltable.functions.video.iterators.frame_iterator')
        ('pixeltable.functions.video', 'frame_iterator')
    """
    module_path, _, name = path.rpartition('.')
    try:
        target = getattr(importlib.import_module(module_path), name)
    except (ImportError, AttributeError):
        return module_path, name
    parts = module_path.split('.')
    best = module_path
    for end in range(len(parts) - 1, 0, -1):
        candidate = '.'.join(parts[:end])
        try:
            if getattr(importlib.import_module(candidate), name, None) is target:
                best = candidate
        except ImportError:
            break
    return best, name


class Imports:
    """The import statements a piece of generated code needs, with an alias wherever two names collide.

    Example:
        >>> imports = Imports(reserved={'pxt'})
        >>> imports.name('pxwidgets.functions.detection.detect_faces')
        'detect_faces'
        >>> imports.lines()
        ['from pxwidgets.functions import detect_faces']
    """

    def __init__(self, reserved: set[str] | None = None) -> None:
        self._names: dict[str, str] = {}
        self._modules: set[str] = set()
        self._taken: set[str] = set(reserved or ())

    def reserve(self, name: str) -> None:
        """Keep a name (e.g. a table variable) free of imports."""
        self._taken.add(name)

    def module(self, module: str) -> str:
        """``import <module>``; returns the name to use."""
        self._modules.add(module)
        self._taken.add(module.split('.')[0])
        return module

    def name(self, path: str) -> str:
        """Import the object at ``path`` (``module.name``); returns the name the code uses for it."""
        if path in self._names:
            return self._names[path]
        _, name = public_location(path)
        alias = name
        counter = 2
        while alias in self._taken or keyword.iskeyword(alias):
            alias = f'{name}_{counter}'
            counter += 1
        self._taken.add(alias)
        self._names[path] = alias
        return alias

    def lines(self) -> list[str]:
        """The import statements, sorted."""
        result = [f'import {m}' for m in sorted(self._modules)]
        by_module: dict[str, list[str]] = {}
        for path, alias in self._names.items():
            module, name = public_location(path)
            by_module.setdefault(module, []).append(name if alias == name else f'{name} as {alias}')
        for module in sorted(by_module):
            result.append(f'from {module} import {", ".join(sorted(by_module[module]))}')
        return result


def type_code(col_type: ts.ColumnType) -> str:
    """Python source for a Pixeltable column type (``pxt.String | None``, ``pxt.Array[(384,), pxt.Float]``).

    Example:
        >>> type_code(ts.IntType(nullable=True))
        'pxt.Int | None'
    """
    kind = type_enum(col_type)
    if isinstance(col_type, ts.ArrayType):
        code = _array_code(col_type)
    elif isinstance(col_type, ts.ImageType) and (col_type.width or col_type.height or col_type.mode):
        size = literal((col_type.width, col_type.height)) if col_type.width or col_type.height else None
        args = [a for a in (size, repr(col_type.mode) if col_type.mode else None) if a is not None]
        code = f'pxt.Image[{", ".join(args)}]'
    elif kind in (ts.ColumnType.Type.ARRAY, ts.ColumnType.Type.INVALID):
        raise CodegenError(f'The column type {col_type} cannot be written as Python code.')
    else:
        code = simple_type_name(kind)
    return f'{code} | None' if col_type.nullable else code


def _array_code(col_type: ts.ArrayType) -> str:
    if col_type.dtype is None:
        return 'pxt.Array'
    by_dtype = {dtype: kind for kind, dtype in ts.ArrayType.pxt_dtype_to_numpy_dtype.items()}
    kind = by_dtype.get(col_type.dtype)
    dtype = simple_type_name(kind) if kind is not None else f'np.{col_type.dtype.name}'
    if col_type.shape is None:
        return f'pxt.Array[{dtype}]'
    return f'pxt.Array[{literal(tuple(col_type.shape))}, {dtype}]'


def simple_type_name(kind: ts.ColumnType.Type) -> str:
    """``pxt.<Name>`` for a scalar type kind (``pxt.Float``)."""
    return 'pxt.' + {'UUID': 'UUID'}.get(kind.name, kind.name.capitalize())


class ExprWriter:
    """Writes Pixeltable expressions and iterator calls as Python source.

    Args:
        column: Writes a column reference (e.g. ``frames.frame``).
        function: Writes a function, given its full path (e.g. an imported name, or the path itself).
        imports: Where constants that need a module (datetimes) register it.
        sort_kwargs: Write keyword arguments in name order (so that the order they were given in does not matter).
    """

    def __init__(
        self,
        column: Callable[[exprs.ColumnRef], str],
        function: Callable[[str], str],
        imports: Imports | None = None,
        *,
        sort_kwargs: bool = False,
    ) -> None:
        self._column = column
        self._function = function
        self._imports = imports
        self._sort_kwargs = sort_kwargs

    def expr(self, e: exprs.Expr) -> str:
        """Python source for the expression.

        Raises:
            CodegenError: For expression kinds that have no plain Python form (aggregates, lambdas, …).
        """
        if isinstance(e, exprs.ColumnRef):
            return self._column(e)
        if isinstance(e, exprs.ColumnPropertyRef):
            return attribute(self.expr(e.components[0]), e.prop.name.lower())
        if isinstance(e, exprs.Literal):
            return literal(e.val, self._imports)
        if isinstance(e, exprs.FunctionCall):
            return self._call(e)
        if isinstance(e, exprs.ArithmeticExpr):
            return self._binary(e, _ARITHMETIC)
        if isinstance(e, exprs.Comparison):
            return self._binary(e, _COMPARISON)
        if isinstance(e, exprs.StringOp):
            return self._binary(e, _STRING)
        if isinstance(e, exprs.CompoundPredicate):
            if e.operator == LogicalOperator.NOT:
                return f'~{self.expr(e.components[0])}'
            op = ' & ' if e.operator == LogicalOperator.AND else ' | '
            return '(' + op.join(self.expr(c) for c in e.components) + ')'
        if isinstance(e, exprs.IsNull):
            return f'({self.expr(e.components[0])} == None)'
        if isinstance(e, exprs.InPredicate):
            values = literal(e.value_list) if e.value_list is not None else self.expr(e.components[1])
            return f'{self.expr(e.components[0])}.isin({values})'
        if isinstance(e, exprs.JsonPath):
            return self._json_path(e)
        if isinstance(e, exprs.InlineList):
            return '[' + ', '.join(self.expr(c) for c in e.components) + ']'
        if isinstance(e, exprs.InlineDict):
            items = ', '.join(f'{k!r}: {self.expr(c)}' for k, c in zip(e.keys, e.components, strict=True))
            return '{' + items + '}'
        if isinstance(e, exprs.InlineArray):
            return 'pxt.array([' + ', '.join(self.expr(c) for c in e.components) + '])'
        if isinstance(e, exprs.TypeCast):
            return f'{self.expr(e.components[0])}.astype({type_code(e.col_type)})'
        raise CodegenError(f'{type(e).__name__} expressions cannot be written as plain code: {e}.')

    def top(self, e: exprs.Expr) -> str:
        """``expr()`` without the outer parentheses of an operator expression (for a whole argument or line)."""
        code = self.expr(e)
        bracketed = isinstance(e, exprs.ArithmeticExpr | exprs.Comparison | exprs.StringOp | exprs.IsNull) or (
            isinstance(e, exprs.CompoundPredicate) and e.operator != LogicalOperator.NOT
        )
        return code[1:-1] if bracketed else code

    def iterator_call(self, call: func.GeneratingFunctionCall) -> str:
        """Python source for an iterator call, keyword arguments in name order."""
        args = [self.expr(a) for a in call.args]
        args += [f'{k}={self.expr(call.kwargs[k])}' for k in sorted(call.kwargs)]
        return f'{self._function(call.it.fqn)}({", ".join(args)})'

    def _binary(self, e: exprs.Expr, ops: dict[Any, str]) -> str:
        op = ops[e.operator]
        return f'({self.expr(e.components[0])} {op} {self.expr(e.components[1])})'

    def _json_path(self, e: exprs.JsonPath) -> str:
        if e.anchor is None or isinstance(e.anchor, exprs.ObjectRef):
            raise CodegenError(f'Relative JSON paths (inside map/filter) cannot be written as plain code: {e}.')
        code = self.expr(e.anchor)
        for el in e.path_elements:
            if isinstance(el, slice):
                parts = ['' if v is None else str(v) for v in (el.start, el.stop, el.step)]
                code += f'[{parts[0]}:{parts[1]}' + (f':{parts[2]}]' if el.step is not None else ']')
            else:
                code += f'[{el!r}]'
        return code

    def _call(self, e: exprs.FunctionCall) -> str:
        fn = e.fn
        if isinstance(fn, func.ExprTemplateFunction) and isinstance(fn.template.expr, exprs.FunctionCall):
            return self.expr(fn.instantiate(e.args, e.kwargs))
        if e.group_by or e.order_by:
            raise CodegenError(f'Aggregate and window calls cannot be stage definitions: {e}.')
        path = fn.self_path
        if path is None:
            raise CodegenError(
                f'{fn.display_name or "An anonymous function"} has no module path, so code cannot import it.',
                hint='Define it with @pxt.udf in a module.',
            )
        args = [self.expr(e.components[i]) for i in e.arg_idxs]
        kwargs = sorted(e.kwarg_idxs.items()) if self._sort_kwargs else list(e.kwarg_idxs.items())
        args += [f'{k}={self.expr(e.components[i])}' for k, i in kwargs]
        if e.is_method_call:
            return f'{args[0]}.{fn.name}({", ".join(args[1:])})'
        return f'{self._function(path)}({", ".join(args)})'


_ARITHMETIC = {op: str(op) for op in ArithmeticOperator}
_COMPARISON = {op: str(op) for op in ComparisonOperator}
_STRING = {op: str(op) for op in StringOperator}


def canonical_writer() -> ExprWriter:
    """A writer whose output identifies a definition: columns by defining table id, functions by full path."""
    return ExprWriter(
        column=lambda ref: f'<{column_table_id(ref)}>.{column_name(ref)}', function=lambda path: path, sort_kwargs=True
    )


def display_writer() -> ExprWriter:
    """A writer for people: columns as ``table.column``, functions by their short name."""
    return ExprWriter(
        column=lambda ref: attribute(column_table_name(ref), column_name(ref)),
        function=lambda path: path.rsplit('.', 1)[-1],
    )


def fallback_text(obj: Any) -> str:
    """Pixeltable's own rendering, for what the writer cannot handle."""
    if isinstance(obj, func.GeneratingFunctionCall):
        return obj.display_str()
    return str(obj.display_str() if isinstance(obj, exprs.Expr) else obj)
