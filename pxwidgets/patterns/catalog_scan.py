"""Find every pattern instance in Pixeltable's catalog from stored metadata alone: no table is opened, no model loaded.

Each pattern keeps its roles in the ``custom_metadata`` of the tables and columns it makes (see
``patterns.common.metadata``); those roles are the stored format this module reads:

============ ================================================================ ===========================
kind          found from                                                        ``path`` (what ``open`` takes)
============ ================================================================ ===========================
pipeline      role ``progressive.stage`` on a view or column, or a plain table   the source table
              with views made by hand (what ``ProgressiveRefinement.open``
              adopts)
consensus     columns with role ``consensus.model`` (one per model)              the table
cascade       a ``documents`` view with role ``cascade.cascade`` and its levels  the cascade's directory
              (role ``cascade.level``)
evaluation    a ``settings`` table with role ``incremental.evaluation`` (or the   the evaluated table
              ``incremental.correct`` column whose tables are gone)
experiment    a ``runs`` table with role ``versioned.experiment``                 the experiment's directory
============ ================================================================ ===========================

Problems each kind knows about itself, checked cheaply: a function (UDF, iterator, embedding) whose module cannot be
imported, a column or table the pattern needs that was dropped by hand, failed runs, windows not refreshed since the
evaluated table changed, an operation left pending.

Example:
    >>> [(r.kind, r.path) for r in scan_catalog('demo')]  # doctest: +SKIP
    [('pipeline', 'demo/videos'), ('consensus', 'demo/digits')]
"""

from __future__ import annotations

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.catalog_detect import (
    cascades,
    consensuses,
    evaluations,
    experiment_runs,
    experiments,
    pipelines,
)
from pxwidgets.patterns.catalog_view import KINDS, CatalogView, PatternRecord, under
from pxwidgets.tables.internals import StoredCatalog, count_live_rows, read_catalog
from pxwidgets.tables.sidecar import prune_dropped

__all__ = ['KINDS', 'CatalogView', 'PatternRecord', 'scan_catalog', 'under']


def _add_reads(cat: CatalogView, record: PatternRecord) -> None:
    """Tables outside the pattern its views are made from (an experiment's setup reading a source, …)."""
    for path in record.owns:
        table = cat.by_path.get(path)
        base = cat.base(table) if table is not None else None
        if base is not None and base.path not in record.owns and base.path not in record.reads:
            record.reads.append(base.path)


def _finish(cat: CatalogView, record: PatternRecord, counts: dict[str, int | None]) -> None:
    tables = [cat.by_path[p] for p in record.tables() if p in cat.by_path]
    record.rows = {t.path: counts.get(t.id) for t in tables}
    if tables:
        last = max(tables, key=lambda t: t.changed_at)
        record.version, record.changed_at, record.changed_table = last.version, last.changed_at, last.path
    for t in tables:
        for problem in cat.function_problems(t):
            if problem not in record.problems:
                record.problems.append(problem)
    if record.kind == 'experiment':
        experiment_runs(cat, record)
    elif record.kind == 'evaluation':
        store = record.details.get('store')
        windows, alerts = record.rows.get(f'{store}/windows'), record.rows.get(f'{store}/alerts')
        record.details.update({'windows': windows, 'alerts': alerts})
        record.summary = (
            f'{windows or 0} window{"s" if windows != 1 else ""}, {alerts or 0} alert{"s" if alerts != 1 else ""}'
        )


def scan_catalog(dir: str | None = None, *, stored: StoredCatalog | None = None) -> list[PatternRecord]:
    """Every pattern instance in the catalog (or whose path is inside ``dir``), read from stored metadata.

    Args:
        dir: A directory to limit the listing to (``None``: the whole catalog).
        stored: A catalog already read with ``read_catalog()`` (to reuse one reading).

    Raises:
        InvalidRequestError: If ``dir`` is not a directory.

    Example:
        >>> [r.summary for r in scan_catalog('demo') if r.kind == 'consensus']  # doctest: +SKIP
        ['3 models: logreg, knn, forest']
    """
    cat = CatalogView(stored if stored is not None else read_catalog())
    prune_dropped({t.id for t in cat.stored.tables})  # records kept beside the catalog for tables since dropped
    if dir is not None:
        dir = dir.strip('/')
        if dir and dir not in cat.dirs:
            raise InvalidRequestError(
                f'{dir!r} is not a Pixeltable directory.',
                hint='pxt.list_dirs() lists them; leave dir out for the whole catalog.',
            )
    others = [*cascades(cat), *evaluations(cat), *experiments(cat), *consensuses(cat)]
    records = [*pipelines(cat, others), *others]
    for record in records:
        _add_reads(cat, record)
    if dir:
        records = [r for r in records if under(r.path, dir)]
    wanted = {p for r in records for p in r.tables()}
    counts = count_live_rows([cat.by_path[p] for p in sorted(wanted) if p in cat.by_path])
    for record in records:
        _finish(cat, record, counts)
    records.sort(key=lambda r: (r.dir, KINDS.index(r.kind), r.path, r.name))
    return records
