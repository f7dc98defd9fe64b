"""Exceptions of the semantic index cascade: each says what was refused and how to fix it; nothing was written.

Example:
    >>> str(InvalidQueryError('The query is empty.'))
    'The query is empty.'
"""

from __future__ import annotations

from pxwidgets.errors import ConflictError, InvalidRequestError, InvalidStageNameError, NotFoundError, PxWidgetsError


class InvalidQueryError(InvalidRequestError):
    """A search query that cannot be searched: empty, whitespace only, too long or not a string."""

    code = 'invalid_query'


class LevelNameError(InvalidStageNameError):
    """A level name that is not a valid Pixeltable name, or that is taken by another table or level."""

    code = 'invalid_name'


class LevelNotFoundError(NotFoundError):
    """The cascade has no level of that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f'No level named {name!r} in this cascade.',
            hint=f'Levels: {", ".join(known)}.' if known else 'Add one with add_level(...).',
        )
        self.name = name


class EmbeddingUnavailableError(PxWidgetsError):
    """An embedding model that cannot be loaded here (e.g. a hub model on a machine without network)."""

    code = 'embedding_unavailable'


class CascadeNotFoundError(NotFoundError):
    """No cascade lives at the given path (or the table has none)."""


class CascadeConflictError(ConflictError):
    """A cascade of that name exists with a different definition (another source table or content column)."""


class LevelBuildError(PxWidgetsError):
    """Pixeltable refused to build a level; whatever the attempt created was removed again."""

    code = 'level_failed'


class AdoptionError(InvalidRequestError):
    """Views that cannot be adopted as a cascade's levels (no embedding index, another table's views, …)."""

    code = 'adoption_refused'
