"""The kernel-restart trap: UDFs defined in a notebook, and the columns they break after a restart.

A ``@pxt.udf`` defined in a notebook cell is stored by Pixeltable as ``__main__.<name>``. After a kernel restart that
symbol no longer exists: the column loads as invalid and **every insert into its table fails** until the UDF is defined
again before the table is loaded, or the column is dropped. UDFs defined in an importable module survive restarts.

Example:
    >>> notebook_functions(t.frame.width)  # doctest: +SKIP
    []
"""

from __future__ import annotations

from typing import Any

from pixeltable import exprs, func

from pxwidgets.errors import NotebookUDFError

NOTEBOOK_MODULE = '__main__'

RESTART_TRAP = (
    'Pixeltable stores a UDF by its module path; a UDF defined in a notebook is stored as `__main__.<name>`, which '
    'no longer exists after a kernel restart: the column then becomes invalid and every insert into its table fails '
    'until the UDF is defined again before the table is loaded, or the column is dropped.'
)

NOTEBOOK_FIX = (
    'Move the function into a module (a .py file beside the notebook, e.g. my_udfs.py, with the same @pxt.udf) and '
    'import it from there; or pass allow_notebook_udfs=True to accept the risk.'
)


def _calls(obj: Any) -> list[exprs.FunctionCall]:
    if isinstance(obj, func.GeneratingFunctionCall):
        items = [*obj.args, *obj.kwargs.values()]
        return [call for item in items for call in item.subexprs(exprs.FunctionCall)]
    if isinstance(obj, exprs.Expr):
        return list(obj.subexprs(exprs.FunctionCall))
    return []


def function_path(fn: Any) -> str | None:
    """The path Pixeltable stores for a UDF or iterator (``None`` for anonymous functions).

    Example:
        >>> from pxwidgets.functions import count_detections
        >>> function_path(count_detections)
        'pxwidgets.functions.detection.count_detections'
    """
    if isinstance(fn, func.GeneratingFunction):
        return fn.fqn
    path = getattr(fn, 'self_path', None)
    return path if isinstance(path, str) else None


def is_notebook_function(fn: Any) -> bool:
    """Whether a UDF or iterator was defined in ``__main__`` (a notebook or an interactive session).

    Example:
        >>> from pxwidgets.functions import count_detections
        >>> is_notebook_function(count_detections)
        False
    """
    path = function_path(fn)
    return path is not None and path.split('.', 1)[0] == NOTEBOOK_MODULE


def notebook_functions(obj: Any) -> list[str]:
    """The paths of the notebook-defined functions an expression or iterator call uses.

    Args:
        obj: A Pixeltable expression, iterator call, UDF or iterator.

    Returns:
        Their paths (``__main__.<name>``), without duplicates.
    """
    found: list[str] = []
    fns: list[Any] = [obj] if isinstance(obj, func.Function | func.GeneratingFunction) else []
    if isinstance(obj, func.GeneratingFunctionCall):
        fns.append(obj.it)
    fns.extend(call.fn for call in _calls(obj))
    for fn in fns:
        path = function_path(fn)
        if is_notebook_function(fn) and path is not None and path not in found:
            found.append(path)
    return found


def refuse_notebook_functions(obj: Any, *, what: str) -> None:
    """Raise ``NotebookUDFError`` if ``obj`` uses a function defined in a notebook.

    Args:
        obj: A Pixeltable expression, iterator call, UDF or iterator.
        what: What is being made, for the message (e.g. ``"stage 'faces'"``).
    """
    paths = notebook_functions(obj)
    if paths:
        names = ', '.join(f'`{p}`' for p in paths)
        raise NotebookUDFError(f'{what} uses {names}, defined in this notebook. {RESTART_TRAP}', hint=NOTEBOOK_FIX)


def broken_reason(obj: Any) -> str | None:
    """Why a stored expression or iterator call cannot run any more (e.g. its UDF vanished), or ``None``.

    Example:
        >>> broken_reason(t.faces.col.value_expr)  # doctest: +SKIP
    """
    if obj is None:
        return None
    error = getattr(obj, 'validation_error', None)
    if error is None:
        return None
    message = error.catalog_error_msg() if hasattr(error, 'catalog_error_msg') else str(error)
    if NOTEBOOK_MODULE + '.' in message:
        message = f'{message}\n{RESTART_TRAP}'
    return str(message)


def broken_fix(stage: str) -> str:
    """How to repair a stage whose UDF vanished, for error messages and warnings."""
    return (
        f'Either define the UDF again (better: in a module) and re-open the pipeline in a fresh kernel, '
        f'or drop the stage with drop_stage({stage!r}).'
    )


class BrokenStageWarning(UserWarning):
    """Warned when a pipeline is opened with stages that cannot run any more (e.g. a notebook UDF after a restart)."""
