"""Exceptions raised by pxwidgets: each says what went wrong and, where there is one, how to fix it.

Example:
    >>> from pxwidgets.errors import TableNotFoundError
    >>> str(TableNotFoundError('demo/nope'))
    "No table, view or snapshot at 'demo/nope'."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PxWidgetsError(Exception):
    """Base class: a refused or failed action. Nothing was written when one is raised."""

    code = 'error'
    details: dict[str, Any]
    """Structured facts a panel shows without parsing the message (per-parameter errors, what a plan did, …)."""

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message if self.hint is None else f'{self.message} {self.hint}'


class NotFoundError(PxWidgetsError):
    """Base class: the named thing (table, stage, level, model, experiment, …) does not exist (``code = 'not_found'``).

    Example:
        >>> isinstance(TableNotFoundError('demo/nope'), NotFoundError)
        True
    """

    code = 'not_found'


class ConflictError(PxWidgetsError):
    """Base class: something of that name exists with a different definition; nothing is changed silently."""

    code = 'conflict'


class TableNotFoundError(NotFoundError):
    """No table, view or snapshot lives at the given path (or it was dropped)."""

    def __init__(self, path: str, *, hint: str | None = None) -> None:
        super().__init__(f'No table, view or snapshot at {path!r}.', hint=hint)
        self.path = path


class InvalidRequestError(PxWidgetsError):
    """The request itself is malformed: unknown column, wrong value type, negative offset, ..."""

    code = 'invalid'


class DatabaseBusyError(PxWidgetsError):
    """The database did not answer in time, e.g. because another process holds a lock on the table."""

    code = 'busy'


class BrokenColumnError(PxWidgetsError):
    """A computed column cannot be evaluated, e.g. its UDF was defined in a notebook that has since restarted."""

    code = 'broken_column'


class StageNotFoundError(NotFoundError):
    """A pipeline has no stage of the given name."""

    def __init__(self, name: str, *, known: list[str] | None = None, hint: str | None = None) -> None:
        if hint is None and known:
            hint = f'Known stages: {", ".join(known)}.'
        super().__init__(f'No stage named {name!r} in this pipeline.', hint=hint)
        self.name = name


class InvalidStageNameError(InvalidRequestError):
    """A stage name that Pixeltable cannot use, or one that is already taken by something else."""

    code = 'invalid_name'


class InvalidParameterError(InvalidRequestError):
    """A transform parameter has the wrong type, is out of range or unknown.

    ``errors`` lists one ``{'param': name, 'message': text}`` per problem, so that a form can mark each field.
    """

    code = 'invalid_parameter'

    def __init__(self, message: str, *, errors: list[dict[str, str]] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, details={'params': list(errors or [])})
        self.errors = errors or []


class TransformNotFoundError(NotFoundError):
    """No transform of the given name is registered."""


class ForeignColumnError(InvalidRequestError):
    """An expression reads a column of a table that is not the stage's table nor one of its bases."""

    code = 'foreign_column'


class StageConflictError(ConflictError):
    """A stage of that name exists with a different definition; re-running never changes a stage silently."""

    def __init__(self, message: str, *, existing: str = '', requested: str = '', hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.existing = existing
        self.requested = requested


class StageHasDependentsError(PxWidgetsError):
    """A stage cannot be dropped while other stages depend on it (``cascade=True`` drops them too)."""

    code = 'has_dependents'

    def __init__(self, name: str, dependents: list[str]) -> None:
        super().__init__(
            f'Stage {name!r} cannot be dropped: {len(dependents)} stage(s) depend on it: {", ".join(dependents)}.',
            hint=f'drop_stage({name!r}, cascade=True) drops them first; drop_plan({name!r}) lists them in order.',
        )
        self.name = name
        self.dependents = dependents


class NotebookUDFError(PxWidgetsError):
    """A UDF defined in a notebook (module ``__main__``) would make the stage unusable after a kernel restart."""

    code = 'notebook_udf'


class StageCreationError(PxWidgetsError):
    """Pixeltable refused to create a stage (e.g. an iterator failed on a source row); nothing was written."""

    code = 'stage_failed'


class PlanChangedError(PxWidgetsError):
    """A confirmed plan no longer matches the catalog (someone changed it since); nothing was done.

    ``details['plan']`` is the plan as it would be now, for the user to confirm instead.
    """

    code = 'plan_changed'

    def __init__(self, message: str, *, plan: Mapping[str, Any], hint: str | None = None) -> None:
        super().__init__(message, hint=hint, details={'plan': plan})


class CancelledError(PxWidgetsError):
    """The user cancelled a long action; what it says was done stands, the rest was not done."""

    code = 'cancelled'


class CodegenError(PxWidgetsError):
    """A stage's definition uses an expression that cannot be written as plain Pixeltable code."""

    code = 'codegen'
