"""The JSON records of versioned experiments and row diffs, declared once (the TypeScript types are generated from
them).

Example:
    >>> info: RunInfo = VersionedExperiment.open('demo/faces').runs()[0].to_json()  # doctest: +SKIP
    >>> info['status']  # doctest: +SKIP
    'ok'
"""

from __future__ import annotations

from typing import Any, TypedDict


class RunInfo(TypedDict):
    """One run (version) of an experiment (``Run.to_json()``; the attributes are described there)."""

    version: int
    status: str
    """``'ok'``, ``'failed'``, ``'running'``, ``'abandoned'`` or ``'unrecorded'``."""
    params: dict[str, Any]
    metrics: dict[str, Any]
    started_at: str | None
    """ISO 8601."""
    duration_s: float | None
    result: str | None
    tables: list[str]
    error: str | None
    promoted: bool
    latest: bool
    dropped: bool
    adopted: bool
    """Made by hand and adopted (no setup ran it)."""
    tags: list[str]


class DiffColumnInfo(TypedDict):
    """A column shown in a diff, and whether its values were compared (``DiffColumn.to_json()``)."""

    name: str
    type_text: str
    kind: str
    is_media: bool
    compared: bool
    status: str
    """``'both'``, ``'added'``, ``'removed'`` or (a comparison's join key) ``'key'``."""
    note: str


class DiffStatInfo(TypedDict):
    """A diff summary like ``dolt diff --stat`` (``DiffStat.to_json()``)."""

    path: str
    a: int
    b: int
    rows_a: int
    rows_b: int
    added: int
    removed: int
    changed: int
    unchanged: int
    cells_added: int
    cells_removed: int
    cells_modified: int
    cells_changed: dict[str, int]
    """Column -> cells changed among the rows present in both versions."""
    notes: list[str]
