"""Cleanup is a confirmed plan that never drops what it must keep: each refusal case, force, stale plans."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError, PlanChangedError
from pxwidgets.patterns.versioned import HasDependentsError, UnknownVersionError, VersionedExperiment
from pxwidgets.patterns.versioned.registry import Registry
from pxwidgets.tables.resolve import table_path
from tests.support.versioned import build_numbers


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'vc_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def make(root: str, name: str, runs: int) -> VersionedExperiment:
    e = VersionedExperiment(f'{root}/{name}', build_numbers, keep=2)
    for i in range(runs):
        e.run(threshold=i / 10, n=4)
    return e


def test_keeps_latest_promoted_and_the_newest(root: str) -> None:
    e = make(root, 'keep', 5)
    e.promote(1)
    plan = e.plan_cleanup()  # keep=2 from the constructor
    assert plan.targets() == [f'{root}/keep/v2', f'{root}/keep/v3']
    kept = {k['version']: k['reason'] for k in e.kept()}
    assert kept == {
        1: 'it is promoted',
        4: 'it is among the 2 newest successful versions',
        5: 'it is the latest version',
    }
    # keep=1 keeps only the latest (and promoted)
    assert e.plan_cleanup(keep=1).targets() == [f'{root}/keep/v2', f'{root}/keep/v3', f'{root}/keep/v4']
    e.cleanup(expect=plan)
    assert [r.version for r in e.runs(include_dropped=False)] == [1, 4, 5]
    assert sorted(pxt.list_dirs(f'{root}/keep')) == [f'{root}/keep/v1', f'{root}/keep/v4', f'{root}/keep/v5']
    dropped = e.get(2)
    assert dropped.dropped and dropped.status == 'ok'  # the run stays in the registry, its tables are gone
    with pytest.raises(UnknownVersionError, match='dropped'):
        _ = dropped.table
    # numbers of dropped versions are never reused
    assert e.run(threshold=0.9, n=4).version == 6
    # nothing left to drop with the same keep: an empty plan
    assert e.plan_cleanup(keep=3).empty


def test_keep_below_one_is_refused(root: str) -> None:
    e = make(root, 'k0', 1)
    for keep in (0, -1, 1.5, True):
        with pytest.raises(InvalidRequestError, match='keep'):
            e.plan_cleanup(keep=keep)  # type: ignore[arg-type]
    assert e.get(1).status == 'ok'


def test_dependents_outside_refuse_unless_forced(root: str) -> None:
    e = make(root, 'deps', 3)
    v1 = e.get(1).table
    pxt.create_view(f'{root}/outside_view', v1.where(v1.flag == True))  # noqa: E712
    plan = e.plan_cleanup(keep=1)
    assert plan.targets() == [f'{root}/deps/v2']  # v1 kept: a table outside depends on it
    assert {k['version']: k['reason'] for k in e.kept(keep=1)}[1] == 'tables outside it depend on it'
    with pytest.raises(HasDependentsError) as info:
        e.plan_drop_version(1)
    assert info.value.dependents == [f'{root}/outside_view']
    forced = e.plan_cleanup(keep=1, force=True)
    assert forced.targets() == [f'{root}/deps/v1', f'{root}/deps/v2']
    assert forced.steps[0].details['dependents'] == [f'{root}/outside_view']
    assert any(f'{root}/outside_view' in w for w in forced.warnings)
    # a plan confirmed without force cannot be carried out as a forced one
    with pytest.raises(PlanChangedError):
        e.cleanup(keep=1, force=True, expect=plan)
    assert f'{root}/outside_view' in pxt.list_tables(root)
    e.cleanup(keep=1, force=True, expect=forced)
    assert f'{root}/outside_view' not in pxt.list_tables(root)
    assert [r.version for r in e.runs(include_dropped=False)] == [3]


def test_a_stale_plan_does_nothing(root: str) -> None:
    e = make(root, 'stale', 3)
    plan = e.plan_cleanup(keep=1)
    assert plan.targets() == [f'{root}/stale/v1', f'{root}/stale/v2']
    e.promote(2)  # the catalog changed after the user looked at the plan
    with pytest.raises(PlanChangedError) as info:
        e.cleanup(keep=1, expect=plan)
    assert [s['target'] for s in info.value.details['plan']['steps']] == [f'{root}/stale/v1']
    assert [r.version for r in e.runs(include_dropped=False)] == [1, 2, 3]


def test_running_and_unrecorded_versions_are_kept(root: str) -> None:
    e = make(root, 'busy', 2)
    registry, _ = Registry.open(f'{root}/busy')
    version = registry.claim({'threshold': 1.0})  # another process is building this one right now
    pxt.create_dir(f'{root}/busy/v{version + 1}')  # claimed, its row not written yet
    assert e.plan_cleanup(keep=1).targets() == [f'{root}/busy/v1']
    reasons = {k['version']: k['reason'] for k in e.kept(keep=1)}
    assert reasons[3] == 'it is still running'
    assert reasons[4] == 'it was claimed but not recorded (it may be starting)'
    # a running run whose process is gone is 'abandoned' and can go
    registry.update(version, {'owner': 'localhost-that-is-gone:999999999'})
    assert e.get(version).status == 'running'  # another host: it might be alive
    import socket

    registry.update(version, {'owner': f'{socket.gethostname()}:999999999'})
    assert e.get(version).status == 'abandoned'
    assert e.plan_cleanup(keep=1).targets() == [f'{root}/busy/v1', f'{root}/busy/v3']


def test_promote_and_drop_the_others(root: str) -> None:
    e = make(root, 'promo', 3)
    with pytest.raises(InvalidRequestError, match='latest'):
        e.plan_drop_version(3)
    plan = e.plan_promote(2)
    assert [s.action for s in plan.steps] == ['promote', 'drop_version']
    assert plan.targets() == [f'{root}/promo:v2', f'{root}/promo/v1']
    e.promote_and_drop(2, expect=plan.token)
    runs = {r.version: r for r in e.runs()}
    assert runs[2].promoted and runs[1].dropped and not runs[3].dropped and runs[3].latest
    # unpromote, then it can be dropped on its own
    e.promote(2, promoted=False)
    single = e.plan_drop_version(2)
    e.drop_version(2, expect=single)
    assert e.get(2).dropped


def test_a_table_that_cannot_be_inspected_keeps_its_version(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15, finding 3: cleanup cannot list the views of v1's table, so it cannot know what depends on v1.

    It fails closed: v1 is kept (even when forced), the plan says why, and nothing outside the plan is dropped.
    """
    e = make(root, 'blind', 3)
    v1 = e.get(1).table
    pxt.create_view(f'{root}/blind_view', v1.where(v1.flag == True))  # noqa: E712
    blind = f'{root}/blind/v1/items'
    handle = type(v1)  # the class of the handles pxt.get_table returns
    real = handle.list_views

    def list_views(self: pxt.Table, *, recursive: bool = True) -> list[str]:
        if table_path(self) == blind:
            raise pxt.RequestError(pxt.ErrorCode.INVALID_STATE, f'cannot load {blind}')
        return real(self, recursive=recursive)

    monkeypatch.setattr(handle, 'list_views', list_views)
    for force in (False, True):
        plan = e.plan_cleanup(keep=1, force=force)
        assert plan.targets() == [f'{root}/blind/v2'], force
        warning = next(w for w in plan.warnings if w.startswith('v1 kept'))
        assert blind in warning and f'cannot load {blind}' in warning
        assert warning in plan.describe()
    assert 'cannot load' in {k['version']: k['reason'] for k in e.kept(keep=1)}[1]
    with pytest.raises(InvalidRequestError, match='cannot load'):
        e.plan_drop_version(1, force=True)
    e.cleanup(keep=1, force=True, expect=e.plan_cleanup(keep=1, force=True))
    assert [r.version for r in e.runs(include_dropped=False)] == [1, 3]
    assert f'{root}/blind_view' in pxt.list_tables(root)
    # once the table can be inspected again, the (forced) plan names its dependent and may drop it
    monkeypatch.undo()
    forced = e.plan_cleanup(keep=1, force=True)
    assert forced.targets() == [f'{root}/blind/v1']
    assert forced.steps[0].details['dependents'] == [f'{root}/blind_view']
