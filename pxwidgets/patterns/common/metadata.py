"""The metadata pxwidgets keeps in Pixeltable's catalog: role-keyed and versioned.

A table, view or column can play several roles at once — a refinement stage *and* a consensus model *and* an
evaluated prediction. Each pattern stores what it needs to rebuild itself under its own role key, inside the
``custom_metadata`` Pixeltable keeps with the table or column, so a pattern is reopened from the catalog alone::

    custom_metadata = {
        'pxwidgets': {
            'format': 2,
            'roles': {
                'progressive.stage': {'stage': 'faces', 'kind': 'column', ...},
                'consensus.model': {'consensus': 'digits', 'model': 'knn', ...},
            },
        },
        ...  # whatever else the user keeps there is left alone
    }

The first release (format 1) wrote one role per object: ``{'pxwidgets': {'role': 'progressive_refinement.stage',
'version': 1, ...}}``. It is still read, as the role ``'progressive.stage'``.

Example:
    >>> md = with_role(None, 'consensus.model', {'model': 'knn'})
    >>> md = with_role(md, 'progressive.stage', {'stage': 'knn'})
    >>> sorted(read_roles(md))
    ['consensus.model', 'progressive.stage']
    >>> read_role({'pxwidgets': {'role': 'progressive_refinement.stage', 'version': 1, 'stage': 'faces'}},
    ...           'progressive.stage')['stage']
    'faces'
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

METADATA_KEY = 'pxwidgets'
"""The key of pxwidgets' part of ``custom_metadata``."""

FORMAT = 2
"""The format this release writes."""

LEGACY_ROLES = {'progressive_refinement.stage': 'progressive.stage'}
"""Format-1 role names and the role each one is now."""


def read_roles(custom_metadata: Any) -> dict[str, dict[str, Any]]:
    """Every pxwidgets role in a table's or column's ``custom_metadata`` (format 1 or 2), by role name.

    Anything that is not pxwidgets metadata (or is malformed) reads as no role at all.
    """
    if not isinstance(custom_metadata, Mapping):
        return {}
    md = custom_metadata.get(METADATA_KEY)
    if not isinstance(md, Mapping):
        return {}
    roles = md.get('roles')
    if isinstance(roles, Mapping):
        return {str(k): dict(v) for k, v in roles.items() if isinstance(v, Mapping)}
    legacy = LEGACY_ROLES.get(str(md.get('role')))
    if legacy is not None:  # format 1
        data = {k: v for k, v in md.items() if k not in ('role', 'version')}
        return {legacy: data}
    return {}


def read_role(custom_metadata: Any, role: str) -> dict[str, Any] | None:
    """One role's data, or ``None`` when the object does not play that role."""
    return read_roles(custom_metadata).get(role)


def with_role(custom_metadata: Any, role: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``custom_metadata`` that also plays ``role`` (replacing that role's data; other keys kept).

    Format-1 metadata is rewritten as format 2 on the way.
    """
    result: dict[str, Any] = copy.deepcopy(dict(custom_metadata)) if isinstance(custom_metadata, Mapping) else {}
    roles = read_roles(custom_metadata)
    roles[role] = dict(data)
    result[METADATA_KEY] = {'format': FORMAT, 'roles': roles}
    return result


def without_role(custom_metadata: Any, role: str) -> dict[str, Any]:
    """A copy of ``custom_metadata`` that no longer plays ``role`` (pxwidgets' key removed when no role is left)."""
    result: dict[str, Any] = copy.deepcopy(dict(custom_metadata)) if isinstance(custom_metadata, Mapping) else {}
    roles = read_roles(custom_metadata)
    roles.pop(role, None)
    if roles:
        result[METADATA_KEY] = {'format': FORMAT, 'roles': roles}
    else:
        result.pop(METADATA_KEY, None)
    return result


def role_metadata(role: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Fresh ``custom_metadata`` for a new table or column that plays one role (for ``create_view(...)`` etc.)."""
    return with_role(None, role, data)
