"""Exceptions of the versioned-experiment pattern. Each one means nothing was dropped or changed, except
:class:`SetupFailedError`, which says exactly what the failed run left behind.

Example:
    >>> str(UnknownVersionError('Experiment demo/exp has no version 7.'))
    'Experiment demo/exp has no version 7.'
"""

from __future__ import annotations

from typing import Any

from pxwidgets.errors import InvalidRequestError, NotFoundError, PxWidgetsError


class UnknownVersionError(InvalidRequestError):
    """An experiment run or table version that does not exist (or was dropped / reverted)."""

    code = 'unknown_version'


class ExperimentNameError(InvalidRequestError):
    """The experiment's name is taken by something that is not an experiment, or is not a valid path."""

    code = 'invalid_name'


class NotAnExperimentError(NotFoundError):
    """``VersionedExperiment.open(name)`` found no experiment there."""


class SetupFailedError(PxWidgetsError):
    """The setup function raised or returned no table: the run is recorded as failed and never becomes latest.

    ``details``: ``version``, ``error``, ``partial_tables`` (what it created before failing; ``cleanup`` drops them).
    """

    code = 'setup_failed'

    def __init__(self, message: str, *, version: int, error: str, partial_tables: list[str]) -> None:
        left = ', '.join(partial_tables) if partial_tables else 'no tables'
        super().__init__(
            message,
            hint=f'It left {left}; the run is kept as failed and cleanup() lists them for dropping.',
            details={'version': version, 'error': error, 'partial_tables': partial_tables},
        )
        self.version = version
        self.error = error
        self.partial_tables = partial_tables


class SetupMissingError(PxWidgetsError):
    """The experiment was reopened without a setup function it can import (e.g. one defined in a notebook)."""

    code = 'setup_missing'


class HasDependentsError(PxWidgetsError):
    """A table (or an experiment version) cannot be changed while other tables depend on it.

    ``details['dependents']`` lists them.
    """

    code = 'has_dependents'

    def __init__(self, message: str, *, dependents: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint, details={'dependents': dependents})
        self.dependents = dependents


class DiffNotSupportedError(PxWidgetsError):
    """A row diff was asked of a table whose versions it cannot compare (a view, a snapshot)."""

    code = 'not_supported'


class IncomparableError(InvalidRequestError):
    """Two runs' tables cannot be compared row by row (no common key columns, different schemas)."""

    code = 'incomparable'

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, hint=hint, details=details)


class TagError(InvalidRequestError):
    """A tag that cannot be set or removed: an invalid or reserved name, one already on another version, a version
    that failed or was dropped, a tag that does not exist. ``details``: ``tag`` and the ``version`` holding it."""

    code = 'tag_refused'
