"""``patterns.catalog()`` and ``pxwidgets.open()``: every pattern of the catalog as a DataFrame, and its objects.

Listing reads Pixeltable's stored catalog only (``catalog_scan``): no table handle is opened, so no model is loaded
and no row is read beyond counts. Opening builds the pattern objects, which opens their tables: do it for what the
user looks at.

Example:
    >>> import pxwidgets as pxw
    >>> pxw.patterns.catalog('demo')[['kind', 'name', 'path', 'summary']]  # doctest: +SKIP
           kind       name            path                                   summary
    0  pipeline     videos     demo/videos  4 stages: videos → frames → faces → n_faces
    1 consensus  consensus     demo/digits                 3 models: logreg, knn, forest
    >>> pipeline, = pxw.open('demo/videos')  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
from typing import Any

import pandas as pd

from pxwidgets.errors import InvalidRequestError, TableNotFoundError
from pxwidgets.patterns.catalog_scan import KINDS, PatternRecord, scan_catalog, under
from pxwidgets.tables.internals import catalog_fingerprint, read_catalog

__all__ = ['COLUMNS', 'catalog', 'catalog_fingerprint', 'open', 'open_record']

COLUMNS = [
    'kind',
    'name',
    'path',
    'dir',
    'owns',
    'reads',
    'rows',
    'version',
    'changed_at',
    'changed_table',
    'problems',
    'adopted',
    'summary',
    'details',
]
"""The columns of :func:`catalog`'s DataFrame."""


def _timestamp(seconds: float | None) -> pd.Timestamp | None:
    if not seconds:
        return None
    return pd.Timestamp(datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC))


def catalog(dir: str | None = None) -> pd.DataFrame:
    """Every pattern instance in the Pixeltable catalog (or inside ``dir``), one row each.

    Pipelines (made with ``ProgressiveRefinement`` or by hand: a table with views made with plain Pixeltable),
    consensuses, cascades, evaluations and experiments are found from the metadata they keep in the catalog. Nothing
    is opened: no model is loaded, no row is read beyond counts.

    Args:
        dir: A Pixeltable directory (``None``: the whole catalog).

    Returns:
        A DataFrame with the columns ``kind``, ``name``, ``path`` (what the kind's ``open`` takes), ``dir``,
        ``owns`` and ``reads`` (table paths), ``rows`` (row count per table), ``version``, ``changed_at`` and
        ``changed_table`` (the last change), ``problems`` (list of sentences: a UDF module that cannot be imported, a
        column or table dropped by hand, failed runs, stale windows), ``adopted`` (made by hand), ``summary`` (one
        line) and ``details``.

    Raises:
        InvalidRequestError: If ``dir`` is not a directory.

    Example:
        >>> df = catalog()  # doctest: +SKIP
        >>> df[df.problems.str.len() > 0][['kind', 'path', 'problems']]  # doctest: +SKIP
    """
    records = scan_catalog(dir)
    rows = [
        {
            'kind': r.kind,
            'name': r.name,
            'path': r.path,
            'dir': r.dir,
            'owns': list(r.owns),
            'reads': list(r.reads),
            'rows': dict(r.rows),
            'version': r.version,
            'changed_at': _timestamp(r.changed_at),
            'changed_table': r.changed_table,
            'problems': list(r.problems),
            'adopted': r.adopted,
            'summary': r.summary,
            'details': dict(r.details),
        }
        for r in records
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def open_record(record: PatternRecord) -> Any:
    """The pattern object of one catalog record (its class's ``open``; this opens its tables).

    Raises:
        PxWidgetsError: What the class's ``open`` raises (a dropped table, a broken column, …).
    """
    from pxwidgets.patterns import (
        IncrementalEvaluation,
        MultiModelConsensus,
        ProgressiveRefinement,
        SemanticIndexCascade,
        VersionedExperiment,
    )

    if record.kind == 'pipeline':
        return ProgressiveRefinement.open(record.path)
    if record.kind == 'consensus':
        return MultiModelConsensus.open(record.path, name=record.name)
    if record.kind == 'cascade':
        return SemanticIndexCascade.open(record.path)
    if record.kind == 'evaluation':
        return IncrementalEvaluation.open(record.path, name=record.name)
    if record.kind == 'experiment':
        return VersionedExperiment.open(record.path)
    raise InvalidRequestError(f'Unknown pattern kind {record.kind!r}.', hint=f'Kinds: {", ".join(KINDS)}.')


def matching(path: str, kind: str | None = None) -> list[PatternRecord]:
    """The catalog records on a table (its path, or a table it owns or reads) or inside a directory.

    Patterns whose ``path`` is the given path come first. Raises ``TableNotFoundError`` when nothing lives there.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidRequestError(f'Unknown pattern kind {kind!r}.', hint=f'Kinds: {", ".join(KINDS)}.')
    path = path.strip('/')
    stored = read_catalog()
    is_dir = path in stored.dirs or path == ''
    if not is_dir and path not in {t.path for t in stored.tables}:
        raise TableNotFoundError(path, hint='pxw.patterns.catalog() lists every pattern and its path.')
    records = [r for r in scan_catalog(stored=stored) if kind is None or r.kind == kind]
    if is_dir:
        found = [r for r in records if under(r.path, path) or any(under(t, path) for t in r.owns)]
    else:
        found = [r for r in records if r.path == path or path in r.owns or path in r.reads]
    return sorted(found, key=lambda r: r.path != path)


def open(path: str, *, kind: str | None = None) -> list[Any]:
    """The pattern objects on a table or inside a directory: always a list (several patterns can share a table).

    A table gives the patterns whose path it is first (a pipeline starting there, a consensus or evaluation on it),
    then those that own or read it (the pipeline it is a stage of, …). A directory gives every pattern inside it.
    An empty list means the table or directory exists but holds no pattern.

    Args:
        path: A table, view or directory path.
        kind: Only this kind (``'pipeline'``, ``'consensus'``, ``'cascade'``, ``'evaluation'``, ``'experiment'``).

    Raises:
        TableNotFoundError: If nothing lives at ``path``.
        PxWidgetsError: What a pattern's own ``open`` raises (a broken pattern says why).

    Example:
        >>> import pxwidgets as pxw
        >>> [type(p).__name__ for p in pxw.open('demo/digits')]  # doctest: +SKIP
        ['MultiModelConsensus', 'IncrementalEvaluation']
        >>> consensus, = pxw.open('demo/digits', kind='consensus')  # doctest: +SKIP
    """
    return [open_record(r) for r in matching(path, kind)]
