"""Find tables by path, list the catalog, and run catalog reads with a deadline and clear errors."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import pixeltable as pxt

from pxwidgets.errors import DatabaseBusyError, InvalidRequestError, PxWidgetsError, TableNotFoundError
from pxwidgets.tables import internals

T = TypeVar('T')

DEFAULT_DEADLINE_S = float(os.environ.get('PXW_DB_DEADLINE_S', '20'))
"""How long a read may wait for the database (e.g. for a lock held by another process) before it is refused."""

_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix='pxwidgets-read')


def table_path(table: pxt.Table) -> str:
    """The catalog path of a table handle (``'dir/name'``; snapshots and versions included).

    Example:
        >>> table_path(pxt.get_table('demo/photos'))  # doctest: +SKIP
        'demo/photos'
    """
    return internals.table_path(table)


def open_table(table_or_path: pxt.Table | str) -> pxt.Table:
    """Return a fresh handle for a table, view or snapshot, or raise :class:`TableNotFoundError`.

    A handle is re-read from the catalog by path each time, so a table that was dropped (or changed by another
    process) since the caller last looked is noticed. Warnings Pixeltable raises while loading (e.g. a computed
    column whose UDF no longer exists) are not printed here: :func:`~pxwidgets.tables.columns.describe_columns`
    reports them per column.

    Example:
        >>> t = open_table('demo/photos')  # doctest: +SKIP
    """
    path = table_or_path if isinstance(table_or_path, str) else table_path(table_or_path)
    if not isinstance(path, str) or not path.strip():
        raise InvalidRequestError('A table path must be a non-empty string such as "dir/table".')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', pxt.PixeltableWarning)
            table = pxt.get_table(path.strip())
    except pxt.Error as exc:
        if 'does not exist' in str(exc) or 'not found' in str(exc).lower():
            raise TableNotFoundError(
                path, hint='Check the spelling, or pxt.list_tables() for what exists; it may have been dropped.'
            ) from None
        if 'is not a table' in str(exc) or 'is a directory' in str(exc).lower():
            raise TableNotFoundError(path, hint=f'{path!r} is a directory, not a table.') from None
        raise
    if table is None:
        raise TableNotFoundError(path)
    return table


def list_catalog(directory: str = '') -> list[dict[str, str]]:
    """Every table, view and snapshot under ``directory`` (recursively), with its kind, sorted by path.

    Example:
        >>> list_catalog('demo')  # doctest: +SKIP
        [{'path': 'demo/photos', 'kind': 'table'}, ...]
    """
    out = []
    for path in sorted(pxt.list_tables(directory, recursive=True)):
        try:
            kind = internals.table_kind(open_table(path))
        except Exception:  # a table Pixeltable cannot describe still belongs in the list
            kind = 'table'
        out.append({'path': path, 'kind': kind})
    return out


def with_deadline(fn: Callable[[], T], *, what: str, seconds: float | None = None) -> T:
    """Run a database read, refusing it with :class:`DatabaseBusyError` if it has not finished in time.

    Pixeltable waits without error while another process holds a lock on the table (a long
    ``add_computed_column``, say); a panel must not freeze meanwhile. The read goes on in the background and its
    result is dropped.

    Example:
        >>> with_deadline(lambda: t.count(), what='counting rows', seconds=5)  # doctest: +SKIP
        100
    """
    limit = DEFAULT_DEADLINE_S if seconds is None else seconds
    future = _readers.submit(fn)
    try:
        return future.result(timeout=limit)
    except FutureTimeout:
        raise DatabaseBusyError(
            f'The database did not answer within {limit:g} s while {what}.',
            hint='Another process is probably writing to this table (e.g. adding a computed column); '
            'try again when it has finished.',
        ) from None


def translate_errors(exc: BaseException, path: str) -> PxWidgetsError | BaseException:
    """Map a Pixeltable error raised while reading ``path`` to a pxwidgets error where one fits."""
    text = str(exc)
    if isinstance(exc, pxt.Error) and ('was dropped' in text or 'does not exist' in text):
        return TableNotFoundError(path, hint='It was dropped while this panel was open.')
    return exc


def call_reading(table_or_path: pxt.Table | str, fn: Callable[[pxt.Table], T], *, what: str) -> T:
    """Open the table and run ``fn(table)`` under a deadline, with Pixeltable errors made clear."""
    path = table_or_path if isinstance(table_or_path, str) else table_path(table_or_path)

    def run() -> T:
        table = open_table(path)
        try:
            return fn(table)
        except pxt.Error as exc:
            raise translate_errors(exc, path) from None

    return with_deadline(run, what=what)


__all__ = ['call_reading', 'list_catalog', 'open_table', 'table_path', 'with_deadline']


def describe_table(table: pxt.Table) -> dict[str, Any]:
    """Kind ('table', 'view' or 'snapshot'), version, comment, iterator call and filter of a table.

    Read from the handle (never loads an embedding model, never trips on an index over an Array column); where even
    that fails, the bare facts with ``error`` saying why.

    Example:
        >>> describe_table(pxt.get_table('demo/frames'))['kind']  # doctest: +SKIP
        'view'
    """
    md, error = internals.try_table_metadata(table)
    if md is not None:
        return {
            'kind': str(md['kind']),
            'version': md['version'],
            'comment': md.get('comment'),
            'iterator': md.get('iterator_call'),
            'filter': md.get('view_filter'),
            'error': None,
        }
    definition = internals.view_definition(table)
    return {
        'kind': internals.table_kind(table),
        'version': internals.table_version(table),
        'comment': None,
        'iterator': definition.iterator.display_str() if definition.iterator is not None else None,
        'filter': str(definition.predicate) if definition.predicate is not None else None,
        'error': error,
    }
