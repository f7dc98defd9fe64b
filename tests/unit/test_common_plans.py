"""Confirmed plans: executed only while the catalog still matches; a failure midway says exactly what was done."""

from __future__ import annotations

import pixeltable as pxt
import pytest

from pxwidgets.errors import PlanChangedError, PxWidgetsError
from pxwidgets.patterns import ProgressiveRefinement
from pxwidgets.patterns.common.plans import PartialExecutionError, Plan, Step, execute


def _numbers(pxt_dir: str) -> pxt.Table:
    t = pxt.create_table(f'{pxt_dir}/nums', {'n': pxt.Int})
    t.insert([{'n': i} for i in range(5)])
    return t


def test_a_plan_is_refused_when_the_pipeline_changed_after_it_was_made(pxt_dir: str) -> None:
    t = _numbers(pxt_dir)
    p = ProgressiveRefinement(t)
    p.add_stage('double', column=t.n * 2)
    plan = p.plan_drop('double')
    assert plan.targets() == ['double']
    p.add_stage('big', where=t.double > 4, after='double')  # someone adds a dependent stage meanwhile
    version = t.get_metadata()['version']
    with pytest.raises(PlanChangedError) as refused:
        p.drop_stage('double', cascade=True, expect=plan.token)
    assert 'nothing was done' in refused.value.message
    assert [s['target'] for s in refused.value.details['plan']['steps']] == ['big', 'double']
    assert t.get_metadata()['version'] == version
    assert {s.name for s in p.stages} == {'nums', 'double', 'big'}
    # the new plan, confirmed, goes through
    new_plan = p.plan_drop('double')
    assert p.drop_stage('double', cascade=True, expect=new_plan) == ['big', 'double']
    assert [s.name for s in p.stages] == ['nums']


def test_a_failure_midway_reports_what_was_and_was_not_done(pxt_dir: str) -> None:
    t = _numbers(pxt_dir)
    t.add_computed_column(a=t.n + 1)
    t.add_computed_column(b=t.n + 2)

    def make() -> Plan:
        return Plan(
            'drop a, then a missing column, then b',
            [
                Step('drop_column', 'nums.a', 'drop column a', run=lambda: t.drop_column('a')),
                Step('drop_column', 'nums.zz', 'drop column zz', run=lambda: t.drop_column('zz')),
                Step('drop_column', 'nums.b', 'drop column b', run=lambda: t.drop_column('b')),
            ],
            state={'columns': ['a', 'b']},
        )

    with pytest.raises(PartialExecutionError) as failed:
        execute(make().token, make)
    err = failed.value
    assert [s.target for s in err.done] == ['nums.a']
    assert err.failed.target == 'nums.zz'
    assert [s.target for s in err.not_done] == ['nums.b']
    assert 'Done: drop column a' in err.message and 'Not done: drop column b' in err.message
    assert err.details['failed']['target'] == 'nums.zz'
    assert set(t.columns()) == {'n', 'b'}  # exactly what the report says


def test_preconditions_are_checked_before_the_first_write(pxt_dir: str) -> None:
    t = _numbers(pxt_dir)
    t.add_computed_column(a=t.n + 1)
    version = t.get_metadata()['version']

    def refuse() -> None:
        raise PxWidgetsError('b is protected')

    def make() -> Plan:
        return Plan(
            'drop two',
            [
                Step('drop_column', 'nums.a', 'drop a', run=lambda: t.drop_column('a')),
                Step('drop_column', 'nums.b', 'drop b', run=lambda: None, check=refuse),
            ],
        )

    with pytest.raises(PxWidgetsError, match='protected'):
        execute(make(), make)
    assert t.get_metadata()['version'] == version
    assert 'a' in t.columns()


def test_plan_text_and_json() -> None:
    plan = Plan('clean up', [Step('drop_view', 'x/v1', 'drop view x/v1')], warnings=['v1 has 3 rows'])
    assert plan.describe() == 'clean up:\n  1. drop view x/v1\n  ! v1 has 3 rows'
    data = plan.to_json()
    assert data['token'] == plan.token and data['steps'][0]['target'] == 'x/v1'
    assert Plan('clean up', []).describe() == 'clean up: nothing to do.'
    step = Step('x', 't', 'd')
    assert Plan('a', [step], state={'v': 1}).token != Plan('a', [step], state={'v': 2}).token
