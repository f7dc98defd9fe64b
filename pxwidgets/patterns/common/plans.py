"""Destructive actions as confirmed plans: plan → the exact list of what will change → execute only if still true.

A pattern never drops, reverts or cleans up on a single call. It first makes a :class:`Plan` — every step it would
take, in order, and a fingerprint of the catalog state the plan was read from. The user (or the panel) looks at the
plan and confirms it; :func:`execute` then plans again and refuses with :class:`PlanChangedError` if anything
differs, so nothing is done that was not seen.

Execution is as safe as Pixeltable allows:

- Every step's precondition is checked before the first write (``Step.check``).
- Where Pixeltable offers one call for the whole change (dropping a view with its dependents), the plan has one
  step and it is all-or-nothing.
- Where it cannot be, steps run in order and a failure midway raises :class:`PartialExecutionError`, which lists
  exactly which steps were done, which one failed and why, and which were not attempted. It never claims that
  nothing was written when something was.

Example:
    >>> log = []
    >>> def make() -> Plan:
    ...     return Plan('drop two columns', [
    ...         Step('drop_column', 't.a', 'drop column a of t', run=lambda: log.append('a')),
    ...         Step('drop_column', 't.b', 'drop column b of t', run=lambda: log.append('b')),
    ...     ], state={'t': 3})
    >>> plan = make()
    >>> [s.target for s in execute(plan.token, make).done]
    ['t.a', 't.b']
    >>> log
    ['a', 'b']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pxwidgets.errors import PlanChangedError, PxWidgetsError
from pxwidgets.patterns.common.records import PlanInfo, StepInfo

__all__ = ['PartialExecutionError', 'Plan', 'PlanChangedError', 'PlanResult', 'Step', 'execute']


@dataclass(frozen=True)
class Step:
    """One change a plan makes.

    Attributes:
        action: What kind of change (``'drop_view'``, ``'drop_column'``, ``'revert'``, ``'update_metadata'``, …).
        target: What it changes (a table path, ``'path.column'``, a version).
        description: One line for people (``"drop view demo/faces and its 2 views"``).
        run: Makes the change. Not called before every ``check`` of the plan has passed.
        check: Raises a :class:`~pxwidgets.errors.PxWidgetsError` if the step cannot be done now (before any write).
        details: JSON-able facts for a panel (rows that go, dependent views, …).
    """

    action: str
    target: str
    description: str
    run: Callable[[], Any] = field(default=lambda: None, compare=False, repr=False)
    check: Callable[[], None] | None = field(default=None, compare=False, repr=False)
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> StepInfo:
        return {
            'action': self.action,
            'target': self.target,
            'description': self.description,
            'details': dict(self.details),
        }


@dataclass(frozen=True)
class Plan:
    """What a destructive action would do, and the catalog state that was read to decide it.

    Args:
        title: What the action is (``"drop stage 'faces'"``).
        steps: The changes, in the order they would be made.
        state: The facts the plan depends on (table versions, the list of views, …); any change in them
            invalidates the plan.
        atomic: Whether the plan is one Pixeltable call that either happens whole or not at all.
        warnings: What the user should know before confirming (e.g. views outside the pattern that go too).
    """

    title: str
    steps: Sequence[Step]
    state: Mapping[str, Any] = field(default_factory=dict)
    atomic: bool = False
    warnings: Sequence[str] = ()

    @property
    def token(self) -> str:
        """A short fingerprint of the steps and the state: what the user confirms."""
        data = json.dumps(
            {'steps': [(s.action, s.target) for s in self.steps], 'state': self.state},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    @property
    def empty(self) -> bool:
        return not self.steps

    def targets(self) -> list[str]:
        """The target of each step, in order."""
        return [s.target for s in self.steps]

    def describe(self) -> str:
        """The plan for people: its title, then one numbered line per step, then any warnings."""
        lines = [f'{self.title}:' if self.steps else f'{self.title}: nothing to do.']
        lines += [f'  {i}. {s.description}' for i, s in enumerate(self.steps, 1)]
        lines += [f'  ! {w}' for w in self.warnings]
        return '\n'.join(lines)

    def to_json(self) -> PlanInfo:
        """The plan as a panel shows it (the token is what a confirm button sends back)."""
        return {
            'title': self.title,
            'steps': [s.to_json() for s in self.steps],
            'token': self.token,
            'atomic': self.atomic,
            'warnings': list(self.warnings),
            'text': self.describe(),
        }

    def __repr__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class PlanResult:
    """What an executed plan did."""

    plan: Plan
    done: list[Step]

    def to_json(self) -> dict[str, Any]:
        return {'title': self.plan.title, 'done': [s.to_json() for s in self.done]}


class PartialExecutionError(PxWidgetsError):
    """A plan failed midway: some steps were done, one failed, the rest were not attempted.

    Attributes:
        done: The steps that were carried out (their changes stand).
        failed: The step that failed.
        not_done: The steps that were not attempted.
    """

    code = 'partial'

    def __init__(self, plan: Plan, done: list[Step], failed: Step, not_done: list[Step], cause: BaseException) -> None:
        done_text = '; '.join(s.description for s in done) or 'nothing'
        rest = '; '.join(s.description for s in not_done) or 'nothing'
        super().__init__(
            f'{plan.title} failed at step {len(done) + 1} of {len(plan.steps)} ({failed.description}): '
            f'{type(cause).__name__}: {cause}. Done: {done_text}. Not done: {rest}.',
            hint='What was done stands; plan the action again to finish it.',
        )
        self.plan = plan
        self.done = done
        self.failed = failed
        self.not_done = not_done
        self.details = {
            'done': [s.to_json() for s in done],
            'failed': failed.to_json(),
            'not_done': [s.to_json() for s in not_done],
        }


def execute(confirmed: Plan | str, replan: Callable[[], Plan]) -> PlanResult:
    """Carry out a confirmed plan if the catalog still matches it.

    Args:
        confirmed: The plan the user saw, or its ``token``.
        replan: Makes the plan again from the catalog as it is now (the same function that made ``confirmed``).

    Returns:
        The steps done.

    Raises:
        PlanChangedError: The plan made now differs from the confirmed one (nothing is done).
        PxWidgetsError: A step's precondition failed (nothing is done).
        PartialExecutionError: A step failed after others were done (each is listed).
    """
    token = confirmed if isinstance(confirmed, str) else confirmed.token
    plan = replan()
    if plan.token != token:
        raise PlanChangedError(
            f'The catalog changed since this was planned; nothing was done. Now: {plan.describe()}',
            hint='Look at the new plan and confirm it again.',
            plan=plan.to_json(),
        )
    for step in plan.steps:
        if step.check is not None:
            step.check()
    done: list[Step] = []
    for index, step in enumerate(plan.steps):
        try:
            step.run()
        except BaseException as exc:
            if not done:
                raise
            raise PartialExecutionError(plan, done, step, list(plan.steps[index + 1 :]), exc) from exc
        done.append(step)
    return PlanResult(plan, done)
