"""Adopt experiments versioned by hand: tables named ``faces_v1``, ``faces_v2``, … or directories ``exp/v1/…``,
``exp/v2/…`` recorded as the runs of a :class:`~pxwidgets.patterns.versioned.VersionedExperiment`.

Everything is checked before anything is written: the names must form a series (one stem, one directory, a distinct
version number each), the result tables must share their input columns (the rows of two runs are matched on them),
and no table may belong to another experiment already. The tables stay where they are; the experiment's registry
records them (``owner = 'adopted'``), so the timeline, compare, promote, tags and cleanup work on them.

Example:
    >>> found = find_series('lab/faces')  # doctest: +SKIP
    >>> [(a.version, a.result) for a in found.runs]  # doctest: +SKIP
    [(1, 'lab/faces_v1'), (2, 'lab/faces_v2')]
"""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.versioned.compare import input_columns
from pxwidgets.patterns.versioned.registry import VERSION_DIR, Registry, is_dir
from pxwidgets.patterns.versioned.runs import MetricsFn, check_metrics, check_params
from pxwidgets.tables.resolve import open_table

SERIES = re.compile(r'^(?P<stem>.*?)[_-]?v(?P<n>\d+)$')


class AdoptionError(InvalidRequestError):
    """Tables that cannot be adopted as an experiment's runs; nothing was written."""

    code = 'cannot_adopt'


@dataclass(frozen=True)
class Adoptee:
    """One hand-made version about to become a run."""

    version: int
    result: str
    """The run's result table."""
    tables: list[str]
    """Every table of the run (for a directory series: all the tables under ``v<N>``)."""
    created_at: Any
    """When the result table was created (its first version)."""


@dataclass(frozen=True)
class Series:
    """The hand-made versions found, and how they are laid out (``'tables'``: ``faces_v1``…; ``'dirs'``: ``v1/``…)."""

    layout: str
    runs: list[Adoptee] = field(default_factory=list)


def _parent(path: str) -> str:
    return path.rpartition('/')[0]


def _short(path: str) -> str:
    return path.rpartition('/')[2]


def _created_at(path: str) -> Any:
    versions = open_table(path).get_versions()
    return versions[-1]['created_at'] if versions else None


def _dir_series(name: str, result: str | None) -> Series:
    out = []
    for d in sorted(pxt.list_dirs(name, recursive=False)):
        m = VERSION_DIR.match(_short(d))
        if not m:
            continue
        tables = sorted(pxt.list_tables(d, recursive=True))
        if not tables:
            raise AdoptionError(f'{d!r} holds no table: it cannot be a run.', hint='Drop the empty directory first.')
        if result is not None:
            chosen = f'{d}/{result}'
            if chosen not in tables:
                raise AdoptionError(f'{d!r} has no table {result!r}.', hint=f'It holds {", ".join(tables)}.')
        elif len(tables) == 1:
            chosen = tables[0]
        else:
            names = ', '.join(t[len(d) + 1 :] for t in tables)
            raise AdoptionError(
                f"{d!r} holds several tables ({names}): which one is the run's result?",
                hint='Pass result="<name inside v<N>>", e.g. result="faces".',
            )
        out.append(Adoptee(int(m.group(1)), chosen, tables, _created_at(chosen)))
    return Series('dirs', sorted(out, key=lambda a: a.version))


def _table_series(paths: Sequence[str]) -> Series:
    if not paths:
        raise AdoptionError('No tables to adopt.', hint='Name them like faces_v1, faces_v2 (or pass tables=[...]).')
    stems: dict[tuple[str, str], list[str]] = {}
    numbered: list[tuple[int, str]] = []
    for path in paths:
        m = SERIES.match(_short(path))
        if not m:
            raise AdoptionError(
                f'{path!r} has no version number in its name: the tables do not form a series.',
                hint='Versions made by hand are named like faces_v1, faces_v2, ….',
            )
        stems.setdefault((_parent(path), m.group('stem')), []).append(path)
        numbered.append((int(m.group('n')), path))
    if len(stems) > 1:
        seen = '; '.join(f'{d or "/"}: {s}_v…' for d, s in sorted(stems))
        raise AdoptionError(
            f'The tables do not form one series: {seen}.',
            hint='Adopt each series as its own experiment (one stem, one directory).',
        )
    numbers: dict[int, str] = {}
    for n, path in numbered:
        if n in numbers:
            raise AdoptionError(f'{numbers[n]!r} and {path!r} are both version {n}: the tables do not form a series.')
        numbers[n] = path
    for path in paths:
        if open_table(path) is None:
            raise AdoptionError(f'{path!r} is not a table.')
    return Series('tables', [Adoptee(n, p, [p], _created_at(p)) for n, p in sorted(numbers.items())])


def find_series(name: str, tables: str | Sequence[str] | None = None, *, result: str | None = None) -> Series:
    """The hand-made versions that :meth:`VersionedExperiment.adopt` would record (nothing is written).

    Args:
        name: The experiment. Without ``tables``: a directory holding ``v1``, ``v2``, … (adopted in place), or the
            stem of tables named ``<name>_v1``, ``<name>_v2``, … next to it (``'lab/faces'`` finds
            ``lab/faces_v1``…; the experiment's registry goes into a new directory ``lab/faces``).
        tables: The versions' tables: a list of paths or a pattern such as ``'lab/faces_v*'``.
        result: For a directory series whose ``v<N>`` hold several tables: the result table's name inside them.

    Raises:
        AdoptionError: Nothing to adopt, names that do not form a series, a directory run with several tables and
            no ``result``.
    """
    dirs = pxt.list_dirs(name, recursive=False) if tables is None and is_dir(name) else []
    if any(VERSION_DIR.match(_short(d)) for d in dirs):
        return _dir_series(name, result)
    if tables is None:
        stem = _short(name)
        candidates = [
            t
            for t in pxt.list_tables(_parent(name), recursive=False)
            if (m := SERIES.match(_short(t))) is not None and m.group('stem') == stem
        ]
        if not candidates:
            raise AdoptionError(
                f'Found no versions to adopt at {name!r}: no directory with v1, v2, … and no tables {stem}_v1, '
                f'{stem}_v2, … next to it.',
                hint='Pass tables=[...] (or a pattern such as "dir/name_v*").',
            )
        return _table_series(candidates)
    if isinstance(tables, str):
        matched = sorted(t for t in pxt.list_tables(_parent(tables), recursive=False) if fnmatch.fnmatchcase(t, tables))
        if not matched:
            raise AdoptionError(f'No table matches {tables!r}.')
        return _table_series(matched)
    return _table_series(list(dict.fromkeys(tables)))


def check_inputs(series: Series) -> None:
    """Refuse result tables whose input columns (stored, not computed) differ: their rows cannot be matched."""
    first: tuple[str, dict[str, str]] | None = None
    for run in series.runs:
        inputs = input_columns(open_table(run.result))
        if first is None:
            first = (run.result, inputs)
            continue
        if inputs != first[1]:
            ref, theirs = first
            gone = sorted(set(theirs) - set(inputs))
            new = sorted(set(inputs) - set(theirs))
            typed = sorted(n for n in set(inputs) & set(theirs) if inputs[n] != theirs[n])
            what = '; '.join(
                part
                for part in (
                    f'missing {", ".join(gone)}' if gone else '',
                    f'extra {", ".join(new)}' if new else '',
                    f'other types for {", ".join(typed)}' if typed else '',
                )
                if part
            )
            raise AdoptionError(
                f'{run.result!r} has other input columns than {ref!r} ({what}): the rows of these runs cannot be '
                'matched, so they do not look like versions of one experiment.',
                hint='Adopt them separately, or pass check_schema=False to adopt them anyway (compare then only '
                'shows params, metrics and counts).',
                details={'table': run.result, 'reference': ref},
            )


def owners_elsewhere(name: str, paths: Sequence[str]) -> dict[str, str]:
    """Which of ``paths`` already belong to another experiment than ``name`` (path -> that experiment)."""
    wanted = set(paths)
    out: dict[str, str] = {}
    for reg_path in pxt.list_tables('', recursive=True):
        if _short(reg_path) != 'runs' or _parent(reg_path) == name:
            continue
        try:
            table = pxt.get_table(reg_path)
        except pxt.Error:
            continue
        if table is None or Registry.config_of(table) is None:
            continue
        other = _parent(reg_path)
        for path in wanted:
            if path.startswith(f'{other}/'):
                out[path] = other
        rows = table.where(table.dropped == False).select(table.result, table.tables).collect()  # noqa: E712
        for row in rows:
            for path in {row['result'], *(row['tables'] or [])} & wanted:
                out[path] = other
    return out


def check_params_by_version(given: Mapping[Any, Any] | None, series: Series, what: str) -> dict[int, dict[str, Any]]:
    """``params`` / ``metrics`` keyed by version number or by a run's result table, as ``{version: {...}}``."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise AdoptionError(f'{what} must map a version (or its table) to a dict, not {type(given).__name__}.')
    by_path = {a.result: a.version for a in series.runs}
    known = {a.version for a in series.runs}
    out: dict[int, dict[str, Any]] = {}
    for key, values in given.items():
        version = by_path.get(key, key) if isinstance(key, str) else key
        if not isinstance(version, int) or version not in known:
            raise AdoptionError(
                f'{what} names {key!r}, which is not one of the versions adopted '
                f'({", ".join(map(str, sorted(known)))}).'
            )
        if not isinstance(values, Mapping):
            raise AdoptionError(f'{what} of version {version} must be a dict, not {type(values).__name__}.')
        out[version] = dict(values)
    return out


__all__ = [
    'Adoptee',
    'AdoptionError',
    'Series',
    'check_inputs',
    'check_params_by_version',
    'find_series',
    'owners_elsewhere',
]


def adoption_rows(
    name: str,
    tables: str | Sequence[str] | None,
    *,
    result: str | None,
    params: Mapping[int | str, Mapping[str, Any]] | None,
    metrics: MetricsFn | Mapping[int | str, Mapping[str, Any]] | None,
    check_schema: bool,
) -> tuple[list[dict[str, Any]], MetricsFn | None]:
    """The registry rows that adopting ``tables`` as runs of experiment ``name`` writes (versions it already
    records are left out), and the metrics function to keep; everything checked, nothing written (see
    :meth:`VersionedExperiment.adopt <pxwidgets.patterns.versioned.VersionedExperiment.adopt>` for the arguments).

    Example:
        >>> rows, fn = adoption_rows(  # doctest: +SKIP
        ...     'lab/faces', None, result=None, params=None, metrics=None, check_schema=True)

    Raises:
        AdoptionError: Nothing to adopt, names that do not form a series, result tables with other inputs, a table
            of another experiment, a version already recorded with another table.
    """
    series = find_series(name, tables, result=result)
    if check_schema:
        check_inputs(series)
    everything = sorted({t for a in series.runs for t in [a.result, *a.tables]})
    taken = owners_elsewhere(name, everything)
    if taken:
        raise AdoptionError(
            'Already part of another experiment: ' + '; '.join(f'{t} (in {e})' for t, e in sorted(taken.items())) + '.',
            hint='A table belongs to one experiment; open that one instead.',
            details={'taken': taken},
        )
    given_params = {v: check_params(p) for v, p in check_params_by_version(params, series, 'params').items()}
    fn: MetricsFn | None = metrics if callable(metrics) else None
    if fn is not None:
        given_metrics = {a.version: check_metrics(fn(open_table(a.result))) for a in series.runs}
    else:
        given = check_params_by_version(metrics, series, 'metrics')  # type: ignore[arg-type]
        given_metrics = {v: check_metrics(m) for v, m in given.items()}
    todo = series.runs
    try:
        registry, _ = Registry.open(name)
    except PxWidgetsError:
        registry = None
    if registry is not None:
        recorded = {r.version: r for r in registry.records() if r.status != 'unrecorded'}
        clash = [a for a in todo if a.version in recorded and recorded[a.version].result != a.result]
        if clash:
            a = clash[0]
            raise AdoptionError(
                f'Version {a.version} of {name!r} is already a run ({recorded[a.version].result or "no result"}), '
                f'not {a.result!r}.',
                hint='Rename the table to a version number the experiment does not have yet.',
            )
        todo = [a for a in todo if a.version not in recorded]
    rows = [
        {
            'version': a.version,
            'params': given_params.get(a.version, {}),
            'metrics': given_metrics.get(a.version, {}),
            'started_at': a.created_at or datetime.datetime.now(datetime.UTC),
            'result': a.result,
            'tables': a.tables,
        }
        for a in todo
    ]
    return rows, fn
