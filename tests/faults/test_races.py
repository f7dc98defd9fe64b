"""Two processes writing one pattern at once (issue 15, races): each race ends consistent — reopened in this process
the pattern lists exactly what was written — or one side gets a clear conflict error and nothing half-written."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

REPO = Path(__file__).resolve().parents[2]
ROWS = 40
INSERTED = 10_000


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'races_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def _start(code: str) -> subprocess.Popen[str]:
    """A Python process on this session's Pixeltable home (it inherits PIXELTABLE_HOME)."""
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')])}
    env.pop('PXW_FAULT_MARKER', None)
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, '-c', script], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _race(codes: list[str], barrier: Path) -> list[list]:
    """Run each ``code`` in its own process, all starting their write at the same moment (a file barrier); each
    prints ``['ok']`` or ``[error class, message, whether it is a pxwidgets error]``."""
    barrier.mkdir()
    head = textwrap.dedent(
        f"""
        import json, os, pathlib, time
        from pxwidgets.errors import PxWidgetsError
        barrier = pathlib.Path({str(barrier)!r})
        (barrier / str(os.getpid())).touch()
        while len(list(barrier.iterdir())) < {len(codes)}:
            time.sleep(0.001)
        try:
        """
    )
    tail = textwrap.dedent(
        """
            print(json.dumps(['ok']))
        except Exception as exc:
            print(json.dumps([type(exc).__name__, str(exc), isinstance(exc, PxWidgetsError)]))
        """
    )
    wrapped = [head + textwrap.indent(textwrap.dedent(code), '    ') + tail for code in codes]
    procs = [_start(code) for code in wrapped]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f'process failed:\n{stdout}\n{stderr[-3000:]}'
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _conflicts_are_clear(results: list[list]) -> None:
    """A side that lost says so with a pxwidgets error and a message (never a bare Pixeltable or SQL error)."""
    for result in results:
        if result[0] != 'ok':
            assert result[2] is True and result[1], result


def test_two_processes_adding_models_to_one_consensus(root: str, tmp_path: Path) -> None:
    from pxwidgets import MultiModelConsensus

    path = f'{root}/votes'
    t = pxt.create_table(path, {'n': pxt.Int, 'a': pxt.String, 'b': pxt.String, 'c': pxt.String})
    t.insert({'n': i, 'a': 'even' if i % 2 == 0 else 'odd', 'b': 'even', 'c': 'odd'} for i in range(ROWS))
    MultiModelConsensus(t, 'n').add_models({'a': 'a'})
    add = 'from pxwidgets import MultiModelConsensus\nMultiModelConsensus.open({path!r}).add_models({{{m!r}: {m!r}}})'
    results = _race([add.format(path=path, m='b'), add.format(path=path, m='c')], tmp_path / 'barrier')
    _conflicts_are_clear(results)
    added = sorted(m for m, r in zip(['b', 'c'], results, strict=True) if r[0] == 'ok')
    assert added, results  # at least one side got through

    c = MultiModelConsensus.open(path)
    assert sorted(m.name for m in c.models) == sorted(['a', *added]), results  # every success listed, no loser half
    assert pxt.get_table(path).count() == ROWS
    # the consensus reads every listed model: with 'b' (always even) and 'c' (always odd) the odd rows disagree
    total = c.rows(filter='disagreements', limit=200)['total']
    assert total == (ROWS if added == ['b', 'c'] else ROWS // 2)
    # a side refused can retry and then lands
    for m in {'b', 'c'} - set(added):
        c.add_models({m: m})
    assert sorted(m.name for m in MultiModelConsensus.open(path).models) == ['a', 'b', 'c']


def test_two_processes_adding_levels_to_one_cascade(root: str, tmp_path: Path) -> None:
    from pxwidgets import SemanticIndexCascade
    from tests.support.faults import slow_embed

    docs_dir = tmp_path / 'docs'
    docs_dir.mkdir()
    files = []
    for i in range(3):
        path = docs_dir / f'doc{i}.html'
        paragraphs = ''.join(f'<p>Paragraph {j} of document {i}. It says something about loops.</p>' for j in range(3))
        path.write_text(f'<html><body><h2>Part {i}</h2>{paragraphs}</body></html>')
        files.append(str(path))
    docs = pxt.create_table(f'{root}/race_docs', {'doc': pxt.Document})
    docs.insert({'doc': f} for f in files)
    SemanticIndexCascade(docs, 'doc', name='race_casc')
    cascade = f'{root}/race_casc'
    add = (
        'from pxwidgets import SemanticIndexCascade\nfrom tests.support.faults import slow_embed\n'
        'SemanticIndexCascade.open({path!r}).add_level({name!r}, {unit!r}, embedding=slow_embed)'
    )
    levels = {'paragraphs': 'paragraph', 'sentences': 'sentence'}
    results = _race(
        [add.format(path=cascade, name=name, unit=unit) for name, unit in levels.items()], tmp_path / 'barrier'
    )
    _conflicts_are_clear(results)
    added = sorted(name for name, r in zip(levels, results, strict=True) if r[0] == 'ok')
    assert added, results

    c = SemanticIndexCascade.open(cascade)
    assert c.problems() == []  # no half-built level
    assert sorted(c.level_names) == added
    for name in added:  # each listed level is complete: units of every document, searchable
        assert c.search('loops', k=2, levels=[name]).levels[0].hits
    for name in sorted(set(levels) - set(added)):  # a refused side retries and lands
        c.add_level(name, levels[name], embedding=slow_embed)
    assert sorted(SemanticIndexCascade.open(cascade).level_names) == sorted(levels)


def test_refreshing_an_evaluation_while_another_process_inserts(root: str, tmp_path: Path) -> None:
    """A dashboard's refresh loop runs while another process inserts 10k rows in batches: every refresh succeeds
    or says why; afterwards one refresh makes the windows exactly those of a full recomputation (no row lost)."""
    from pxwidgets import DriftDashboard
    from pxwidgets.patterns.incremental import IncrementalEvaluation

    path = f'{root}/preds'
    ts0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    t = pxt.create_table(
        path, {'id': pxt.Int, 'ts': pxt.Timestamp, 'pred': pxt.Int, 'label': pxt.Int | None}, primary_key='id'
    )
    t.insert({'id': i, 'ts': ts0 + datetime.timedelta(minutes=i), 'pred': i % 3, 'label': i % 2} for i in range(200))
    IncrementalEvaluation(t, 'pred', 'label', 'ts', window='1h').refresh()
    dashboard = DriftDashboard(path, auto_refresh=False)

    writer = _start(
        f"""
        import datetime
        t = pxt.get_table({path!r})
        ts0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        for b in range({INSERTED // 1000}):
            t.insert({{'id': 1000 + i, 'ts': ts0 + datetime.timedelta(minutes=i), 'pred': i % 3,
                       'label': (i * 7) % 3}} for i in range(b * 1000, (b + 1) * 1000))
        """
    )
    replies: list[dict] = []
    while writer.poll() is None:  # the panel's own refresh command, as the browser sends it
        message = {'type': 'request', 'id': len(replies), 'kind': 'refresh', 'payload': {}}
        dashboard._dispatch(message, lambda msg, bufs: 'ok' in msg and replies.append(msg), run_inline=True)
        time.sleep(0.2)
    _, stderr = writer.communicate()
    assert writer.returncode == 0, stderr[-3000:]
    assert len(replies) >= 2
    for reply in replies:  # each refresh succeeded, or lost the race with a structured error (never 'internal')
        assert reply['ok'] or reply['error']['code'] != 'internal', reply
    assert any(r['ok'] for r in replies)

    assert t.count() == 200 + INSERTED
    evaluation = IncrementalEvaluation.open(t)
    evaluation.refresh()
    after = evaluation.to_pandas().reset_index(drop=True)
    assert int(after['rows'].sum()) == 200 + INSERTED  # every row in a window
    evaluation.refresh(force=True)
    full = IncrementalEvaluation.open(t).to_pandas().reset_index(drop=True)
    assert after[['bucket', 'rows', 'labeled', 'accuracy']].equals(full[['bucket', 'rows', 'labeled', 'accuracy']])


@pytest.mark.parametrize('keeps', [(1, 1), (1, 3)], ids=['same-plan', 'different-plans'])
def test_two_timelines_cleaning_up_one_experiment(root: str, tmp_path: Path, keeps: tuple[int, int]) -> None:
    """Two processes, each with its own ExperimentTimeline, confirm a cleanup plan at the same moment (the same plan,
    or plans keeping a different number of versions): every version a successful side planned ends dropped whole
    (directory gone and marked dropped in the registry), every other version is intact, and a side that lost says
    so with a structured error (the plan changed under it), having written nothing."""
    from pxwidgets import VersionedExperiment
    from tests.support.versioned import build_numbers

    name = f'{root}/exp_cleanup_{keeps[1]}'
    exp = VersionedExperiment(name, build_numbers, keep=1)
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.9):
        exp.run(threshold=threshold, n=10)
    plans = [exp.plan_cleanup(keep=keep) for keep in keeps]
    planned = [{int(s.details['version']) for s in plan.steps} for plan in plans]
    assert planned[0] == {1, 2, 3, 4} and planned[1] == ({1, 2, 3, 4} if keeps[1] == 1 else {1, 2})

    execute = """
        from pxwidgets.panels.experiment_timeline import ExperimentTimeline
        panel = ExperimentTimeline({name!r})
        replies = []
        request = {{'type': 'request', 'id': 1, 'kind': 'execute',
                   'payload': {{'action': 'cleanup', 'keep': {keep}, 'token': {token!r}}}}}
        panel._dispatch(request, lambda msg, bufs: 'ok' in msg and replies.append(msg), run_inline=True)
        reply = replies[-1]
        if not reply['ok']:
            code, message = reply['error']['code'], reply['error']['message']
            raise (PxWidgetsError if code != 'internal' else RuntimeError)(code + ': ' + message)
        """
    codes = [execute.format(name=name, keep=k, token=p.token) for k, p in zip(keeps, plans, strict=True)]
    results = _race(codes, tmp_path / 'barrier')
    _conflicts_are_clear(results)
    assert any(r[0] == 'ok' for r in results), results
    for result in results:  # a loser was refused before writing: its plan no longer matched the catalog
        assert result[0] == 'ok' or result[1].startswith('plan_changed: '), results

    after = VersionedExperiment.open(name)
    runs = {r.version: r for r in after.runs()}
    assert sorted(runs) == [1, 2, 3, 4, 5], runs  # no run lost, none unrecorded
    dropped = set().union(*(p for p, r in zip(planned, results, strict=True) if r[0] == 'ok'))
    dirs = {d.rsplit('/', 1)[-1] for d in pxt.list_dirs(name, recursive=False)}
    for version, run in runs.items():  # each version whole: dropped and gone, or kept with its rows
        if version in dropped:
            assert run.dropped and f'v{version}' not in dirs, (version, run, dirs, results)
        else:
            assert not run.dropped and f'v{version}' in dirs, (version, run, dirs, results)
            assert pxt.get_table(f'{name}/v{version}/items').count() == 10
    assert runs[5].latest
    assert after.plan_cleanup(keep=max(keeps) if len(dropped) < 4 else 1).empty  # nothing left half-done
