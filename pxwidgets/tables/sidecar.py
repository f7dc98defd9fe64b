"""Small JSON records pxwidgets keeps next to the Pixeltable catalog, for what the catalog cannot hold.

Pixeltable 0.7.21 fixes a table's ``custom_metadata`` when the table (or column) is created and has no public call to
change it afterwards, so facts learned later — how long a stage took to compute, label counts kept up to date — are
written here: one JSON file per record under ``$PIXELTABLE_HOME/pxwidgets/<kind>/`` (``~/.pixeltable`` by default),
written atomically. Every record's name starts with the catalog id of the table it describes, so the records of
dropped tables can be found and removed (:func:`prune_dropped`, which ``patterns.catalog()`` runs). A record is a
cache: a missing, unreadable or stale file only costs recomputing it (or, for a
measured time, "unknown"), so every read and write swallows ``OSError`` and malformed JSON.

Example:
    >>> write_record('stage-times', 'abc', {'seconds': 1.5})  # doctest: +SKIP
    >>> read_record('stage-times', 'abc')  # doctest: +SKIP
    {'seconds': 1.5}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

_SAFE = re.compile(r'[^A-Za-z0-9_.-]')


def sidecar_root() -> Path:
    """Where every record lives: ``$PIXELTABLE_HOME/pxwidgets`` (``~/.pixeltable/pxwidgets`` by default)."""
    return Path(os.environ.get('PIXELTABLE_HOME') or str(Path.home() / '.pixeltable')) / 'pxwidgets'


def sidecar_dir(kind: str) -> Path:
    """The directory of one kind of record: ``$PIXELTABLE_HOME/pxwidgets/<kind>``."""
    return sidecar_root() / kind


def record_path(kind: str, name: str) -> Path:
    """The file of one record (``name`` reduced to letters, digits, ``_``, ``.`` and ``-``)."""
    return sidecar_dir(kind) / f'{_SAFE.sub("_", name)}.json'


def write_record(kind: str, name: str, record: Any) -> None:
    """Write a record atomically (a reader sees the old file or the new one, never half of one); a failure to write
    is ignored (the record is a cache)."""
    path = record_path(kind, name)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix='.tmp')
        try:
            with os.fdopen(fd, 'w') as out:
                out.write(json.dumps(record))  # json.dump encodes piece by piece in Python: ~10× slower
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def read_record(kind: str, name: str) -> Any | None:
    """A record, or ``None`` when there is none or it cannot be read."""
    try:
        return json.loads(record_path(kind, name).read_text())
    except (OSError, ValueError):
        return None


def record_names(kind: str, prefix: str = '') -> Iterator[str]:
    """The names of the records of one kind (that start with ``prefix``)."""
    folder = sidecar_dir(kind)
    if folder.is_dir():
        for path in folder.glob(f'{_SAFE.sub("_", prefix)}*.json'):
            yield path.stem


def remove_records(kind: str, prefix: str = '') -> None:
    """Delete the records of one kind (that start with ``prefix``)."""
    for name in list(record_names(kind, prefix)):
        record_path(kind, name).unlink(missing_ok=True)


def prune_dropped(table_ids: Collection[str]) -> int:
    """Delete every record, of any kind, whose table (the id its name starts with) is not among ``table_ids`` — the
    catalog's tables: a dropped table's records are never read again. Returns how many were deleted.

    Example:
        >>> prune_dropped({t.id for t in read_catalog().tables})  # doctest: +SKIP
        2
    """
    root = sidecar_root()
    if not root.is_dir():
        return 0
    keep = {str(i) for i in table_ids}
    removed = 0
    for path in root.glob('*/*.json'):
        try:
            owner = str(uuid.UUID(path.stem[:36]))
        except ValueError:
            continue  # not named after a table: not ours to judge
        if owner not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed
