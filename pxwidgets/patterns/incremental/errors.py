"""Exceptions of incremental evaluation. Each is raised before any write: the table's version is unchanged.

Example:
    >>> str(NoReferenceRowsError('window 2026-01-01 00:00'))[:40]
    'The reference (window 2026-01-01 00:00) '
"""

from __future__ import annotations

from pxwidgets.errors import ConflictError, InvalidRequestError, NotFoundError, PxWidgetsError


class EvaluationNotFoundError(NotFoundError):
    """No incremental evaluation is defined on the given table (or none of the given name)."""


class EvaluationConflictError(ConflictError):
    """An evaluation of that name exists with other columns; re-declaring it never changes it silently."""


class InvalidColumnError(InvalidRequestError):
    """A prediction, ground-truth, timestamp or numeric column is missing, of the wrong type, or of another table."""

    code = 'invalid_column'


class InvalidWindowError(InvalidRequestError):
    """A window size that cannot be read (``'1h'``, ``'15min'``, ``'1d'``, ``'500 rows'`` are valid)."""

    code = 'invalid_window'


class InvalidReferenceError(InvalidRequestError):
    """A reference that does not describe a window, a time range or a snapshot of the evaluated table."""

    code = 'invalid_reference'


class NoReferenceRowsError(PxWidgetsError):
    """The reference selects no rows: drift cannot be measured against it."""

    code = 'empty_reference'

    def __init__(self, what: str) -> None:
        super().__init__(
            f'The reference ({what}) has no rows: drift cannot be measured against it.',
            hint='Pick a window or date range that holds rows, or a snapshot taken after rows arrived.',
        )


class TimestampError(InvalidRequestError):
    """The timestamp column has missing values or values in the future."""

    code = 'invalid_timestamp'
