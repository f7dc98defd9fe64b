"""What a browser's header shows about a table: kind, version, row count, columns, error counts, problems.

Example:
    >>> summarize('demo/photos')['total_rows']  # doctest: +SKIP
    31
"""

from __future__ import annotations

from typing import Any

import pixeltable as pxt

from pxwidgets.tables.columns import describe_columns
from pxwidgets.tables.counting import failed_rows_by_column
from pxwidgets.tables.resolve import call_reading, describe_table, table_path


def _summary(table: pxt.Table) -> dict[str, Any]:
    specs = describe_columns(table)
    facts = describe_table(table)
    failed = failed_rows_by_column(table, [c.name for c in specs if c.records_errors])
    problems = [f'{c.name}: {c.problem}' for c in specs if c.problem]
    if facts['error']:
        problems.append(f'Pixeltable cannot describe this table ({facts["error"]}); showing what can be read.')
    return {
        'path': table_path(table),
        'kind': facts['kind'],
        'version': facts['version'],
        'comment': facts['comment'],
        'total_rows': table.count(),
        'columns': [c.to_dict() for c in specs],
        'error_counts': [{'column': name, 'count': n} for name, n in failed.items() if n],
        'problems': problems,
    }


def summarize(table_or_path: pxt.Table | str) -> dict[str, Any]:
    """The table's path, kind, version, comment, total_rows, columns, error_counts (per column) and problems."""
    return call_reading(table_or_path, _summary, what='describing the table')
