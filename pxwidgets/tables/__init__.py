"""Read access to any Pixeltable table, view or snapshot: pages, columns, filters, lineage, history.

The headless layer under TableBrowser (and every panel that shows rows). Plain Python over Pixeltable, no widgets.

Example:
    >>> from pxwidgets.tables import open_table, fetch_page, PageQuery
    >>> page = fetch_page(open_table('demo/photos'), PageQuery(limit=10))  # doctest: +SKIP
    >>> page.to_pandas().shape  # doctest: +SKIP
    (10, 3)
"""

from pxwidgets.tables.columns import ColumnSpec, describe_columns
from pxwidgets.tables.export import csv_chunks, export_csv
from pxwidgets.tables.filters import FILTER_OPS, Filter
from pxwidgets.tables.history import list_versions
from pxwidgets.tables.lineage import Lineage, LineageNode, lineage
from pxwidgets.tables.pages import Page, PageQuery, count_rows, fetch_page
from pxwidgets.tables.resolve import list_catalog, open_table, table_path

__all__ = [
    'FILTER_OPS',
    'ColumnSpec',
    'Filter',
    'Lineage',
    'LineageNode',
    'Page',
    'PageQuery',
    'count_rows',
    'csv_chunks',
    'describe_columns',
    'export_csv',
    'fetch_page',
    'lineage',
    'list_catalog',
    'list_versions',
    'open_table',
    'table_path',
]
