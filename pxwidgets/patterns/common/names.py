"""Stage names: what Pixeltable accepts as a column and view name, minus the names that silently misbehave.

Pixeltable folds identifiers to lower case, so stage names are folded too. A name equal to one of
``Table.add_computed_column``'s own keyword arguments (``stored``, ``on_error``, …) is taken as that argument
rather than as the column name, so those are refused along with Pixeltable's reserved names (table attributes such
as ``count``) and the iterator position column ``pos``.

Example:
    >>> validate_stage_name('Faces')
    'faces'
"""

from __future__ import annotations

import inspect
from functools import cache

import pixeltable as pxt

from pxwidgets.errors import InvalidStageNameError
from pxwidgets.tables.internals import fold_identifier, is_system_column_name, is_valid_identifier

POS_COLUMN = 'pos'
"""The position column of every iterator view."""


@cache
def computed_column_keywords() -> frozenset[str]:
    """The keyword arguments of ``Table.add_computed_column`` (they cannot be column names).

    Example:
        >>> 'on_error' in computed_column_keywords()
        True
    """
    params = inspect.signature(pxt.Table.add_computed_column).parameters.values()
    return frozenset(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def validate_stage_name(name: object) -> str:
    """Check a stage name and return its folded (lower-case) form.

    Args:
        name: The proposed name.

    Returns:
        The name as Pixeltable stores it.

    Raises:
        InvalidStageNameError: If it is not a string, not an ASCII identifier, starts with ``_``, or is reserved.

    Example:
        >>> validate_stage_name('n_faces')
        'n_faces'
    """
    if not isinstance(name, str):
        raise InvalidStageNameError(f'A stage name must be a string, not {type(name).__name__}.')
    if not is_valid_identifier(name):
        raise InvalidStageNameError(
            f'{name!r} is not a valid stage name.',
            hint='Use ASCII letters, digits and underscores, starting with a letter (e.g. "n_faces").',
        )
    folded = fold_identifier(name)
    if folded in computed_column_keywords():
        raise InvalidStageNameError(
            f'{name!r} cannot be a stage name: it is a keyword argument of add_computed_column '
            f'({", ".join(sorted(computed_column_keywords()))}).',
            hint=f'Choose another name, e.g. {folded + "_value"!r}.',
        )
    if folded == POS_COLUMN or is_system_column_name(folded):
        raise InvalidStageNameError(
            f'{name!r} is a reserved name in Pixeltable.', hint=f'Choose another name, e.g. {folded + "_value"!r}.'
        )
    return folded


def parent_of(path: str) -> str:
    """The directory of a catalog path (``''`` at the top).

    Example:
        >>> parent_of('demo/frames'), parent_of('frames')
        ('demo', '')
    """
    return path.rsplit('/', 1)[0] if '/' in path else ''


def short_name(path: str) -> str:
    """The last part of a catalog path.

    Example:
        >>> short_name('demo/frames')
        'frames'
    """
    return path.rsplit('/', 1)[-1]
