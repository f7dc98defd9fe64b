"""A kernel killed (SIGKILL) in the middle of each long write, then the catalog reopened: the state is reported as it
is, the documented recovery converges, and no source row is lost (issue 15, "Faults"; the README's reliability
section has the table of action × outcome).

Each write runs in a Python process of its own that builds what it needs first; slow UDFs (``tests/support/faults.py``)
touch a marker file when the write is under way, and the test kills the process right then. This test process has
never opened those tables: it reopens them as a new kernel would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

import tests.support.faults as faults

REPO = Path(__file__).resolve().parents[2]
ROWS = 40


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'faults_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this (reopening) process the slow UDFs are quick and mark nothing."""
    monkeypatch.setattr(faults, 'PAUSE', 0.0)
    monkeypatch.delenv('PXW_FAULT_MARKER', raising=False)


def kill_midway(code: str, tmp_path: Path, *, setup: str = '') -> None:
    """Run ``setup`` then ``code`` in a new Python process on this session's home; SIGKILL it once ``code``'s write
    is under way (the marker file exists), well before it could finish."""
    marker = tmp_path / f'marker-{uuid.uuid4().hex[:6]}'
    armed = f'import os\nos.environ["PXW_FAULT_MARKER"] = {str(marker)!r}\n'
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(setup) + armed + textwrap.dedent(code)
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')])}
    env.pop('PXW_FAULT_MARKER', None)
    proc = subprocess.Popen(
        [sys.executable, '-c', script], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f'the process ended before the fault (rc {proc.returncode}):\n{out}\n{err[-3000:]}')
        assert time.monotonic() < deadline, 'the write never started'
        time.sleep(0.05)
    time.sleep(0.6)  # inside the write: several slow rows / batches in
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, 'the write finished before it could be killed'


def test_kill_while_adding_a_stage(root: str, tmp_path: Path) -> None:
    from pxwidgets import ProgressiveRefinement
    from tests.support.faults import slow_double

    src = f'{root}/stage_src'
    kill_midway(
        f"""
        from pxwidgets import ProgressiveRefinement
        from tests.support.faults import slow_double
        p = ProgressiveRefinement(src := {src!r})
        p.add_stage('doubled', column=slow_double(pxt.get_table(src).n))
        """,
        tmp_path,
        setup=f"""
        t = pxt.create_table({src!r}, {{'n': pxt.Int}})
        t.insert({{'n': i}} for i in range({ROWS}))
        """,
    )
    p = ProgressiveRefinement.open(src)
    t = pxt.get_table(src)
    assert t.count() == ROWS  # no source row lost
    # the add was one Pixeltable operation: killed, it is rolled back as a whole; nothing half-built is left
    assert [s.name for s in p.stages] == ['stage_src'] and p.problems() == []
    assert 'doubled' not in t.columns()
    p.add_stage('doubled', column=slow_double(t.n))  # the recovery: add it again
    assert sorted(r['doubled'] for r in t.select(doubled=t.doubled).collect()) == [2 * i for i in range(ROWS)]


def test_kill_while_adding_a_cascade_level(root: str, tmp_path: Path) -> None:
    from pxwidgets import SemanticIndexCascade
    from pxwidgets.patterns.cascade.errors import LevelNameError
    from tests.support.faults import slow_embed

    docs_dir = tmp_path / 'docs'
    docs_dir.mkdir()
    files = []
    for i in range(4):
        path = docs_dir / f'doc{i}.html'
        paragraphs = ''.join(f'<p>Paragraph {j} of document {i} says something about loops.</p>' for j in range(6))
        path.write_text(f'<html><body><h2>Part {i}</h2>{paragraphs}</body></html>')
        files.append(str(path))
    docs = f'{root}/cascade_docs'
    kill_midway(
        f"""
        from pxwidgets import SemanticIndexCascade
        from tests.support.faults import slow_embed
        c = SemanticIndexCascade.open({root + '/casc'!r})
        c.add_level('paragraphs', 'paragraph', embedding=slow_embed)
        """,
        tmp_path,
        setup=f"""
        from pxwidgets import SemanticIndexCascade
        from tests.support.faults import slow_embed
        t = pxt.create_table({docs!r}, {{'doc': pxt.Document}})
        t.insert({{'doc': f}} for f in {files!r})
        c = SemanticIndexCascade(t, 'doc', name='casc')
        c.add_level('sections', 'section', embedding=slow_embed)
        """,
    )
    c = SemanticIndexCascade.open(f'{root}/casc')
    assert pxt.get_table(docs).count() == 4
    assert c.level_names == ['sections']  # the killed level is not searchable
    # its view was made, its index was not: a half-built level, listed as a problem
    assert [p.get('level') for p in c.problems()] == ['paragraphs']
    assert 'half-built' in c.problems()[0]['error']
    with pytest.raises(LevelNameError, match='half-built'):  # another definition under its name is refused
        c.add_level('paragraphs', 'sentence', embedding=slow_embed)
    c.add_level('paragraphs', 'paragraph', embedding=slow_embed)  # the same definition completes it
    assert c.level_names == ['sections', 'paragraphs']
    assert c.problems() == []
    assert SemanticIndexCascade.open(f'{root}/casc').level_names == ['sections', 'paragraphs']
    assert c.search('loops', k=2).levels[1].hits


def test_kill_while_adding_consensus_models(root: str, tmp_path: Path) -> None:
    from pxwidgets import MultiModelConsensus
    from tests.support.faults import slow_label

    path = f'{root}/votes'
    kill_midway(
        f"""
        from pxwidgets import MultiModelConsensus
        from tests.support.faults import slow_label
        c = MultiModelConsensus.open({path!r})
        t = pxt.get_table({path!r})
        c.add_models({{'slow': slow_label(t.n)}})
        """,
        tmp_path,
        setup=f"""
        from pxwidgets import MultiModelConsensus
        t = pxt.create_table({path!r}, {{'n': pxt.Int, 'a': pxt.String, 'b': pxt.String}})
        t.insert({{'n': i, 'a': 'even' if i % 2 == 0 else 'odd', 'b': 'even'}} for i in range({ROWS}))
        MultiModelConsensus(t, 'n').add_models({{'a': 'a', 'b': 'b'}})
        """,
    )
    c = MultiModelConsensus.open(path)
    t = pxt.get_table(path)
    assert t.count() == ROWS
    assert [m.name for m in c.models] == ['a', 'b']  # the killed model is not listed, nor half its columns
    assert not [col for col in t.columns() if col.startswith('slow')]
    c.add_models({'slow': slow_label(t.n)})
    assert [m.name for m in c.models] == ['a', 'b', 'slow']
    assert c.rows(filter='disagreements', limit=200)['total'] == ROWS // 2


def test_kill_while_refreshing_an_evaluation(root: str, tmp_path: Path) -> None:
    from pxwidgets.patterns.incremental import IncrementalEvaluation

    path = f'{root}/preds'
    kill_midway(
        f"""
        from pxwidgets.patterns.incremental import IncrementalEvaluation
        from pxwidgets.patterns.incremental.store import Store
        from tests.support.faults import pause_after
        t = pxt.get_table({path!r})
        t.insert({{'id': 100 + i, 'ts': ts0 + datetime.timedelta(minutes=20 * i), 'pred': i % 3, 'label': i % 2}}
                 for i in range(12))
        pause_after(Store, 'replace_windows')  # windows written, the refresh's state not yet saved
        IncrementalEvaluation.open(t).refresh()
        """,
        tmp_path,
        setup=f"""
        import datetime
        from pxwidgets.patterns.incremental import IncrementalEvaluation
        ts0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
        schema = {{'id': pxt.Int, 'ts': pxt.Timestamp, 'pred': pxt.Int, 'label': pxt.Int | None}}
        t = pxt.create_table({path!r}, schema, primary_key='id')
        t.insert({{'id': i, 'ts': ts0 + datetime.timedelta(minutes=10 * i), 'pred': i % 3, 'label': i % 3}}
                 for i in range(30))
        IncrementalEvaluation(t, 'pred', 'label', 'ts', window='1h').refresh()
        """,
    )
    ev = IncrementalEvaluation.open(path)
    assert pxt.get_table(path).count() == 42  # the 12 rows inserted before the refresh stand
    ev.refresh()  # the recovery: a plain refresh
    columns = ['bucket', 'rows', 'labeled', 'accuracy']
    converged = ev.to_pandas()[columns].to_dict('records')
    ev.refresh(force=True)  # every window recomputed from the rows: the truth
    assert ev.to_pandas()[columns].to_dict('records') == converged
    assert sum(w['rows'] for w in converged) == 42


def test_kill_during_an_experiment_run(root: str, tmp_path: Path) -> None:
    from pxwidgets.patterns.versioned import VersionedExperiment

    name = f'{root}/exp_run'
    kill_midway(
        f"""
        from pxwidgets.patterns.versioned import VersionedExperiment
        from tests.support.faults import slow_setup
        VersionedExperiment.open({name!r}, slow_setup).run(n=7)
        """,
        tmp_path,
        setup=f"""
        from pxwidgets.patterns.versioned import VersionedExperiment
        from tests.support.faults import quick_setup, slow_setup
        VersionedExperiment({name!r}, quick_setup, keep=1).run(n=3)
        """,
    )
    exp = VersionedExperiment.open(name)
    runs = {r.version: r for r in exp.runs()}
    assert runs[1].status == 'ok' and runs[1].latest
    assert runs[2].status == 'abandoned' and not runs[2].latest  # its process is gone: never latest
    assert exp.latest() is not None and exp.latest().version == 1  # type: ignore[union-attr]
    plan = exp.plan_cleanup(keep=1)
    assert f'{name}/v2' in ' '.join(plan.targets())  # the recovery: cleanup drops what the dead run left
    exp.cleanup(keep=1, expect=plan)
    assert pxt.get_table(f'{name}/v1/items').count() == 3
    assert not [p for p in pxt.list_tables(name, recursive=True) if p.startswith(f'{name}/v2/')]


def test_kill_during_a_cleanup(root: str, tmp_path: Path) -> None:
    from pxwidgets.patterns.versioned import VersionedExperiment

    name = f'{root}/exp_clean'
    kill_midway(
        f"""
        from pxwidgets.patterns.versioned import VersionedExperiment
        from tests.support.faults import pause_after
        exp = VersionedExperiment.open({name!r})
        plan = exp.plan_cleanup(keep=1)
        pause_after(pxt, 'drop_dir')  # one version dropped, the others not yet
        exp.cleanup(keep=1, expect=plan)
        """,
        tmp_path,
        setup=f"""
        from pxwidgets.patterns.versioned import VersionedExperiment
        from tests.support.faults import quick_setup
        exp = VersionedExperiment({name!r}, quick_setup, keep=1)
        for n in (1, 2, 3, 4):
            exp.run(n=n)
        """,
    )
    exp = VersionedExperiment.open(name)
    runs = exp.runs()
    assert [r.version for r in runs if r.latest] == [4]
    assert pxt.get_table(f'{name}/v4/items').count() == 4  # the kept version is whole
    plan = exp.plan_cleanup(keep=1)
    exp.cleanup(keep=1, expect=plan)  # the recovery: plan again, confirm, converge
    assert exp.plan_cleanup(keep=1).empty
    left = sorted(p for p in pxt.list_tables(name, recursive=True) if '/v' in p)
    assert left == [f'{name}/v4/items']


def test_kill_during_a_revert(root: str, tmp_path: Path) -> None:
    from pxwidgets.patterns.versioned import TableVersions

    path = f'{root}/reverted'
    kill_midway(
        f"""
        from pxwidgets.patterns.common.plans import execute
        from pxwidgets.patterns.versioned import TableVersions
        from tests.support.faults import pause_after
        tv = TableVersions({path!r})
        plan = tv.plan_revert(1)
        pause_after(type(pxt.get_table({path!r})), 'revert')  # one version undone, the next not yet
        execute(plan, lambda: tv.plan_revert(1))
        """,
        tmp_path,
        setup=f"""
        t = pxt.create_table({path!r}, {{'id': pxt.Int, 'v': pxt.String}})
        t.insert({{'id': i, 'v': 'good'}} for i in range({ROWS}))  # version 1
        t.update({{'v': 'bad'}}, where=t.id < 10)  # 2
        t.insert({{'id': 100 + i, 'v': 'late'}} for i in range(5))  # 3
        t.delete(where=t.id == 0)  # 4
        """,
    )
    t = pxt.get_table(path)
    version = t.get_metadata()['version']
    assert version in (1, 2, 3)  # whole versions undone, none half undone
    tv = TableVersions(path)
    if version > 1:
        plan = tv.plan_revert(1)  # the recovery: plan the rest, confirm
        from pxwidgets.patterns.common.plans import execute

        execute(plan, lambda: tv.plan_revert(1))
    rows = t.select(t.id, t.v).order_by(t.id).collect()
    assert [(r['id'], r['v']) for r in rows] == [(i, 'good') for i in range(ROWS)]  # version 1 exactly, no row lost
