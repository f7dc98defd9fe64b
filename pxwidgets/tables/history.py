"""A table's version history as plain records.

Example:
    >>> list_versions('demo/photos', limit=3)[0]['change_type']  # doctest: +SKIP
    'data'
"""

from __future__ import annotations

import datetime
from typing import Any

import pixeltable as pxt

from pxwidgets.tables.resolve import call_reading


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def list_versions(table_or_path: pxt.Table | str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest ``limit`` versions: version, created_at (ISO), user, change_type, inserts, updates, deletes,
    errors, schema_change."""

    def read(table: pxt.Table) -> list[dict[str, Any]]:
        return [{k: _plain(v) for k, v in rec.items()} for rec in table.get_versions(limit)]

    return call_reading(table_or_path, read, what='reading the version history')
