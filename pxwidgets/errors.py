"""Exceptions raised by pxwidgets: each says what went wrong and, where there is one, how to fix it.

Example:
    >>> from pxwidgets.errors import TableNotFoundError
    >>> str(TableNotFoundError('demo/nope'))
    "No table, view or snapshot at 'demo/nope'."
"""

from __future__ import annotations


class PxWidgetsError(Exception):
    """Base class: a refused or failed action. Nothing was written when one is raised."""

    code = 'error'

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f'{self.message} {self.hint}'


class TableNotFoundError(PxWidgetsError):
    """No table, view or snapshot lives at the given path (or it was dropped)."""

    code = 'not_found'

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
