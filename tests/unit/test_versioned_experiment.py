"""VersionedExperiment on real Pixeltable: runs, latest, failures, bad names, reopening, concurrent processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.versioned import (
    ExperimentNameError,
    NotAnExperimentError,
    SetupFailedError,
    SetupMissingError,
    UnknownVersionError,
    VersionedExperiment,
)
from tests.support.versioned import build_numbers, count_rows, fail_midway, outside, return_nothing

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'vx_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(scope='module')
def exp(root: str) -> VersionedExperiment:
    """Three successful runs, then a failed one."""
    e = VersionedExperiment(f'{root}/exp', build_numbers, keep=2)
    for threshold in (0.3, 0.5, 0.7):
        e.run(threshold=threshold)
    return e


def test_runs_are_versions_with_params_metrics_and_latest(exp: VersionedExperiment, root: str) -> None:
    df = exp.versions()
    assert list(df['version']) == [1, 2, 3]
    assert list(df['status']) == ['ok', 'ok', 'ok']
    assert list(df['param.threshold']) == [0.3, 0.5, 0.7]
    # 20 values i/20: > 0.3 → 13 rows, > 0.5 → 9, > 0.7 → 5
    assert list(df['metric.flagged']) == [13, 9, 5]
    assert list(df['latest']) == [False, False, True]
    assert all(d > 0 for d in df['duration_s'])
    run = exp.get(2)
    assert run.result == f'{root}/exp/v2/items' and run.tables == [f'{root}/exp/v2/items']
    assert run.table.where(run.table.flag == True).count() == 9  # noqa: E712
    assert exp.latest().version == 3  # type: ignore[union-attr]
    # the registry is a Pixeltable table of the experiment, with the role key
    registry = pxt.get_table(f'{root}/exp/runs')
    md = registry.get_metadata()['custom_metadata']['pxwidgets']['roles']['versioned.experiment']
    assert md['keep'] == 2 and md['setup'] == 'tests.support.versioned:build_numbers'
    assert registry.count() == 3


def test_a_failed_setup_never_becomes_latest_and_lists_its_tables(root: str) -> None:
    e = VersionedExperiment(f'{root}/failing', build_numbers)
    e.run(threshold=0.5)
    e.setup = fail_midway
    with pytest.raises(SetupFailedError) as info:
        e.run(threshold=0.9)
    err = info.value
    assert err.version == 2 and 'the model file is missing' in err.error
    assert err.partial_tables == [f'{root}/failing/v2/half']
    assert err.details['partial_tables'] == [f'{root}/failing/v2/half']
    assert e.latest().version == 1  # type: ignore[union-attr]
    failed = e.get(2)
    assert failed.status == 'failed' and failed.tables == [f'{root}/failing/v2/half'] and not failed.latest
    assert 'RuntimeError: the model file is missing' in (failed.error or '')
    # returning no table is a failure too, and so is a table outside the run's directory
    e.setup = return_nothing
    with pytest.raises(SetupFailedError, match='must return') as info2:
        e.run()
    assert info2.value.partial_tables == [f'{root}/failing/v3/forgotten']
    e.setup = outside
    with pytest.raises(SetupFailedError, match='outside'):
        e.run(target=f'{root}/failing/v1/items')
    assert e.latest().version == 1  # type: ignore[union-attr]
    assert [r.status for r in e.runs()] == ['ok', 'failed', 'failed', 'failed']
    # the failed runs' partial tables are what cleanup drops; the latest stays
    plan = e.plan_cleanup(keep=1)
    assert plan.targets() == [f'{root}/failing/v2', f'{root}/failing/v3', f'{root}/failing/v4']
    assert plan.steps[0].details['tables'] == [f'{root}/failing/v2/half']


def test_metrics_function_and_bad_metrics(root: str) -> None:
    e = VersionedExperiment(f'{root}/metrics', build_numbers, metrics=count_rows)
    run = e.run(threshold=0.5, n=7)
    assert run.metrics == {'flagged': 3, 'share': 3 / 7, 'rows': 7}
    with pytest.raises(InvalidRequestError, match='JSON'):
        e.run(threshold=object())


def test_bad_names_change_nothing(root: str) -> None:
    pxt.create_table(f'{root}/plain', {'x': pxt.Int})
    with pytest.raises(ExperimentNameError, match='existing table'):
        VersionedExperiment(f'{root}/plain', build_numbers)
    pxt.create_dir(f'{root}/busy')
    pxt.create_table(f'{root}/busy/mine', {'x': pxt.Int})
    with pytest.raises(ExperimentNameError, match='not part of an experiment'):
        VersionedExperiment(f'{root}/busy', build_numbers)
    assert pxt.list_tables(f'{root}/busy') == [f'{root}/busy/mine']
    pxt.create_dir(f'{root}/fake')
    pxt.create_table(f'{root}/fake/runs', {'x': pxt.Int})  # named like a registry, but it is none
    with pytest.raises(ExperimentNameError, match='fake/runs, which are not part of an experiment'):
        VersionedExperiment(f'{root}/fake', build_numbers)
    with pytest.raises(NotAnExperimentError):
        VersionedExperiment.open(f'{root}/nothing_here')
    with pytest.raises(InvalidRequestError, match='keep'):
        VersionedExperiment(f'{root}/k', build_numbers, keep=0)


def test_unknown_versions(exp: VersionedExperiment) -> None:
    with pytest.raises(UnknownVersionError, match='no version 9'):
        exp.get(9)
    with pytest.raises(UnknownVersionError):
        exp.compare(1, 9)
    with pytest.raises(InvalidRequestError):
        exp.get('2')  # type: ignore[arg-type]


def test_compare_two_runs(exp: VersionedExperiment) -> None:
    c = exp.compare(1, 2)
    assert c.params == {'threshold': {'a': 0.3, 'b': 0.5, 'same': False}}
    assert c.metrics['flagged'] == {'a': 13, 'b': 9, 'delta': -4}
    assert c.tables is not None
    assert c.tables.key == ['id', 'value'] and c.tables.compared == ['flag']
    assert (c.tables.rows_a, c.tables.rows_b, c.tables.differing) == (20, 20, 4)
    assert sorted(c.rows['id']) == [7, 8, 9, 10]  # values 0.35..0.5 are > 0.3 but not > 0.5
    assert set(c.rows['changed']) == {'flag'}
    assert c.to_json()['tables']['differing_by_column'] == {'flag': 4}


def _run_python(code: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')])
    env['PYTHONWARNINGS'] = 'ignore'
    env.update(env_extra or {})
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, '-c', script], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _result(proc: subprocess.Popen[str]) -> object:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, f'process failed:\n{out}\n{err}'
    return json.loads(out.strip().splitlines()[-1])


def test_two_processes_never_share_a_version_number(root: str, tmp_path: Path) -> None:
    name = f'{root}/race'
    VersionedExperiment(name, build_numbers)  # created here; both processes open it
    code = f"""
        import json, os, pathlib, time
        from pxwidgets.patterns.versioned import VersionedExperiment
        e = VersionedExperiment.open({name!r})
        barrier = pathlib.Path({str(tmp_path)!r})
        (barrier / str(os.getpid())).touch()
        while len(list(barrier.iterdir())) < 2:  # start claiming together
            time.sleep(0.01)
        got = [e.run(threshold=0.5, n=5).version for _ in range(3)]
        print(json.dumps(got))
    """
    procs = [_run_python(code), _run_python(code)]
    first, second = (_result(p) for p in procs)
    assert isinstance(first, list) and isinstance(second, list)
    assert sorted(first + second) == [1, 2, 3, 4, 5, 6], (first, second)
    e = VersionedExperiment.open(name)
    runs = e.runs()
    assert [r.version for r in runs] == [1, 2, 3, 4, 5, 6]
    assert all(r.status == 'ok' and r.result == f'{name}/v{r.version}/items' for r in runs)
    assert e.latest().version == 6  # type: ignore[union-attr]


def test_reopen_in_a_fresh_process(exp: VersionedExperiment, root: str) -> None:
    seen = _result(
        _run_python(f"""
        import json
        from pxwidgets.patterns.versioned import VersionedExperiment
        e = VersionedExperiment.open({root + '/exp'!r})
        before = [[r.version, r.status, r.params, r.metrics, r.latest] for r in e.runs()]
        new = e.run(threshold=0.9)  # the setup function is found again by its module path
        print(json.dumps({{'before': before, 'new': [new.version, new.metrics['flagged'], new.latest],
                          'keep': e.keep}}))
    """)
    )
    assert isinstance(seen, dict)
    assert seen['before'] == [
        [1, 'ok', {'threshold': 0.3}, {'flagged': 13, 'share': 0.65}, False],
        [2, 'ok', {'threshold': 0.5}, {'flagged': 9, 'share': 0.45}, False],
        [3, 'ok', {'threshold': 0.7}, {'flagged': 5, 'share': 0.25}, True],
    ]
    assert seen['new'] == [4, 1, True] and seen['keep'] == 2
    assert exp.latest().version == 4  # type: ignore[union-attr]


def test_a_notebook_setup_needs_to_be_passed_again(root: str) -> None:
    def local_setup(path: str) -> pxt.Table:
        return pxt.create_table(f'{path}/t', {'x': pxt.Int})

    e = VersionedExperiment(f'{root}/nb', local_setup)
    e.run()
    reopened = VersionedExperiment.open(f'{root}/nb')
    assert reopened.setup is None and reopened.latest().version == 1  # type: ignore[union-attr]
    with pytest.raises(SetupMissingError):
        reopened.run()
