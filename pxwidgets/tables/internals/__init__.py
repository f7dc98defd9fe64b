"""The one place pxwidgets reaches into Pixeltable 0.7.21's private API, and works around its known faults.

Everything else in pxwidgets uses Pixeltable's public API and the functions here. When Pixeltable changes, this is
the module to fix. What is here, and why:

- ``get_metadata()`` raises ``KeyError: <Type.ARRAY: 6>`` once a table has an embedding index over an Array column,
  and it costs several catalog round trips (and loads the embedding model when an index is described):
  :func:`table_metadata` falls back to :func:`fallback_metadata`, and :func:`column_facts` reads the column objects.
- A view's filter and iterator call exist as expressions only in the table version (``view_definition``).
- ``count()`` refuses queries filtered by a media column's ``errortype`` when that column is validated on read
  ("query plan contains a non-SQL node"): :func:`count_rows_of` counts those rows another way.
- The table version, id and path of a handle (for caches keyed by version).
- One read transaction around several queries (``read_transaction``): each query otherwise revalidates the catalog.
- Identifier rules and operator enums, from Pixeltable's internal modules.
- Pixeltable's own row order: a table's rows have no public identity, but every store row has a rowid (one or more
  integer columns; an iterator view adds its position). :func:`rowid_refs` gives them as expressions that
  ``where()``, ``order_by()`` and ``select()`` accept, so pages of a table without a primary key can be fetched by
  key (``where(rowid > last)``) rather than by ``OFFSET``.
- The store rows of a data-versioned table (``store_of``, ``connect``): Pixeltable has no public row identity and
  no diff, but its store never changes a row in place: every row version is a store row ``(rowid…, v_min, v_max,
  col_0, …)`` live at table version ``V`` when ``v_min <= V < v_max``, so the rows that differ between versions
  ``a < b`` are those expired in ``(a, b]`` and those born in ``(a, b]``, matched on the rowid (see
  ``pxwidgets.patterns.versioned.rowdiff``), and counts kept at ``a`` follow to ``b`` from them
  (``row_version_counts``). Not across a schema change: ``add_computed_column`` writes its values into the existing
  row versions in place.

Its modules, by job (import from the package):

- ``handles``: what a handle holds without a catalog round trip (path, id, version, kind, view definition, indexes,
  rowid columns, a query rebuilt in one piece).
- ``metadata``: a table's metadata in ``get_metadata()``'s shape, read from its column objects.
- ``store``: the store tables read directly (row versions, counts of rows and failed rows in one SQL query, how
  the counts of value combinations changed between two versions, one read transaction around several queries).
- ``catalog``: the catalog as stored, for listing many tables without opening any.

Example:
    >>> md = table_metadata(pxt.get_table('demo/frames'))  # doctest: +SKIP
    >>> md['columns']['frame']['is_stored']  # doctest: +SKIP
    False
"""

from __future__ import annotations

from pixeltable.catalog.globals import fold_identifier, is_system_column_name, is_valid_identifier
from pixeltable.exprs.globals import ArithmeticOperator, ComparisonOperator, LogicalOperator, StringOperator

from pxwidgets.tables.internals.catalog import (
    StoredCatalog,
    StoredColumn,
    StoredTable,
    catalog_fingerprint,
    count_live_rows,
    count_live_rows_where,
    read_catalog,
)
from pxwidgets.tables.internals.handles import (
    ViewDefinition,
    ViewFacts,
    index_function,
    index_names,
    lineage_ids,
    requery,
    rowid_refs,
    table_id,
    table_kind,
    table_path,
    table_version,
    type_enum,
    type_kind,
    view_definition,
    view_facts,
)
from pxwidgets.tables.internals.metadata import (
    ColumnFacts,
    column_facts,
    fallback_metadata,
    table_metadata,
    try_table_metadata,
)
from pxwidgets.tables.internals.store import (
    RowVersionCounts,
    StoreColumn,
    StoreFacts,
    changed_buckets,
    connect,
    count_rows_of,
    failed_rows_in_store,
    has_btree_index,
    live_rows_in_store,
    read_transaction,
    row_version_counts,
    store_counts,
    store_of,
)

__all__ = [
    'ArithmeticOperator',
    'ColumnFacts',
    'ComparisonOperator',
    'LogicalOperator',
    'RowVersionCounts',
    'StoreColumn',
    'StoreFacts',
    'StoredCatalog',
    'StoredColumn',
    'StoredTable',
    'StringOperator',
    'ViewDefinition',
    'ViewFacts',
    'catalog_fingerprint',
    'changed_buckets',
    'column_facts',
    'connect',
    'count_live_rows',
    'count_live_rows_where',
    'count_rows_of',
    'failed_rows_in_store',
    'fallback_metadata',
    'fold_identifier',
    'has_btree_index',
    'index_function',
    'index_names',
    'is_system_column_name',
    'is_valid_identifier',
    'lineage_ids',
    'live_rows_in_store',
    'read_catalog',
    'read_transaction',
    'requery',
    'row_version_counts',
    'rowid_refs',
    'store_counts',
    'store_of',
    'table_id',
    'table_kind',
    'table_metadata',
    'table_path',
    'table_version',
    'try_table_metadata',
    'type_enum',
    'type_kind',
    'view_definition',
    'view_facts',
]
