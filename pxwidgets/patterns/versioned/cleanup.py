"""Which versions of an experiment a cleanup drops, and why it keeps each of the others: a confirmed plan.

Never planned: the latest version, promoted versions, running or unrecorded ones, the ``keep`` newest successful
ones, versions that tables outside them depend on (unless forced: then the plan names those tables), and versions
with a table that cannot be inspected: what depends on it is unknown, so it is kept even when forced, with the
reason in the plan's warnings. A version is dropped with ``drop_dir(force=True)``; that is safe because everything
that goes with it was inspected and listed in the plan, and :func:`~pxwidgets.patterns.common.plans.execute` makes
the plan again and refuses it if anything it depends on changed.

Example:
    >>> planner = CleanupPlanner('demo/faces', exp.runs(), mark_dropped)  # doctest: +SKIP
    >>> planner.plan(keep=2).describe()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.plans import Plan, Step
from pxwidgets.patterns.versioned.runs import Run
from pxwidgets.tables.resolve import open_table

PROTECTED_STATUSES = ('running', 'unrecorded')
DEPENDENTS = 'tables outside it depend on it'


@dataclass(frozen=True)
class Inspection:
    """What depends on one version from outside it."""

    dependents: list[str] = field(default_factory=list)
    """Tables outside the version that are views of its tables (they go with it when it is dropped)."""
    problems: dict[str, str] = field(default_factory=dict)
    """Tables of the version that could not be inspected, with the error: what depends on them is unknown."""

    def to_state(self) -> list[Any]:
        return [self.dependents, sorted(self.problems.items())]


def inspect_version(run: Run) -> Inspection:
    """The tables outside ``run``'s directory that depend on its tables, and what could not be inspected."""
    inside = f'{run.path}/'
    out: set[str] = set()
    problems: dict[str, str] = {}
    try:
        paths = own_tables(run)
    except Exception as exc:  # fail closed: an unreadable version is kept, whatever the error
        return Inspection([], {run.path: f'{type(exc).__name__}: {exc}'})
    for path in paths:
        try:
            views = open_table(path).list_views()
        except Exception as exc:  # fail closed (see above)
            problems[path] = f'{type(exc).__name__}: {exc}'
            continue
        out |= {str(v) for v in views if not str(v).startswith(inside) and str(v) not in paths}
    return Inspection(sorted(out), problems)


def own_tables(run: Run) -> list[str]:
    """The tables a version's drop removes: its directory's, or an adopted run's own tables where they are."""
    if run.in_place:
        return sorted(run.tables)
    return sorted(pxt.list_tables(run.path, recursive=True))


def check_keep(keep: Any) -> None:
    """Refuse a ``keep`` that is not an integer of at least 1."""
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise InvalidRequestError(
            f'keep must be an integer of at least 1, not {keep!r}.',
            hint='The latest version is always kept; keep=1 keeps only it (and promoted versions).',
        )


def _unknown(problems: dict[str, str]) -> str:
    return 'what depends on it is unknown: ' + '; '.join(
        f'{path} cannot be inspected ({why})' for path, why in sorted(problems.items())
    )


@dataclass(frozen=True)
class CleanupPlan:
    """A cleanup's plan, and the versions it keeps with their reasons."""

    plan: Plan
    kept: dict[int, str]
    """Version -> why it is kept (``'it is the latest version'``, ...)."""
    inspections: dict[int, Inspection]
    """Version -> what depends on it (for the versions that were inspected)."""


class CleanupPlanner:
    """Plans the cleanup of one experiment from its runs.

    Args:
        name: The experiment.
        runs: Its runs (dropped ones are ignored).
        mark_dropped: Records in the registry that a version was dropped (called after its directory is gone).
    """

    def __init__(self, name: str, runs: Sequence[Run], mark_dropped: Callable[[int], None]) -> None:
        self.name = name
        self.runs = [r for r in runs if not r.dropped]
        self._mark_dropped = mark_dropped

    def _protected(self, run: Run, keep: int | None, spare: int | None) -> str | None:
        """Why ``run`` is kept whatever depends on it, or ``None``."""
        ok = [r.version for r in self.runs if r.status == 'ok']
        if run.latest:
            return 'it is the latest version'
        if run.promoted:
            return 'it is promoted'
        if run.tags:
            return f'it is tagged {", ".join(repr(t) for t in run.tags)}'
        if run.version == spare:
            return 'it is being promoted'
        if run.status == 'running':
            return 'it is still running'
        if run.status == 'unrecorded':
            return 'it was claimed but not recorded (it may be starting)'
        if keep and run.version in ok[-keep:]:
            return f'it is among the {keep} newest successful versions'
        return None

    def plan(self, keep: int | None, force: bool, spare: int | None = None) -> CleanupPlan:
        """The plan that drops every version nothing protects (``keep=None``: none is kept by count)."""
        steps: list[Step] = []
        kept: dict[int, str] = {}
        inspections: dict[int, Inspection] = {}
        warnings: list[str] = []
        state_runs = []
        for run in self.runs:
            reason = self._protected(run, keep, spare)
            found = inspect_version(run) if reason is None else Inspection()
            inspections[run.version] = found
            state_runs.append([run.version, run.status, run.promoted, found.to_state()])
            if reason is None and found.problems:
                reason = _unknown(found.problems)
                warnings.append(f'v{run.version} kept: {reason}')
            elif reason is None and found.dependents and not force:
                reason = DEPENDENTS
            if reason is not None:
                kept[run.version] = reason
                continue
            steps.append(self._drop_step(run, found.dependents))
            if found.dependents:
                warnings.append(f'forced: dropping v{run.version} also drops {", ".join(found.dependents)}')
        plan = Plan(
            f'clean up {self.name}' + (f', keeping {keep} successful version(s)' if keep else ''),
            steps,
            state={'runs': state_runs, 'force': force},
            warnings=warnings,
            atomic=False,
        )
        return CleanupPlan(plan, kept, inspections)

    def _drop_step(self, run: Run, dependents: list[str]) -> Step:
        tables = own_tables(run)
        what = f'{len(tables)} table(s)' if tables else 'no tables'
        version, path, in_place = run.version, run.path, run.in_place

        def drop() -> None:
            if in_place:  # an adopted table such as lab/faces_v1: its views outside were listed in the plan
                for table in reversed(tables):
                    pxt.drop_table(table, force=True, if_not_exists='ignore')
            else:
                pxt.drop_dir(path, force=True, if_not_exists='ignore')
            self._mark_dropped(version)

        return Step(
            'drop_version',
            ', '.join(tables) if in_place else path,
            f'drop version {version} ({run.status}, {what}'
            + (f'; and {len(dependents)} dependent table(s) outside it' if dependents else '')
            + ')',
            run=drop,
            details={'version': version, 'tables': tables, 'dependents': dependents},
        )
