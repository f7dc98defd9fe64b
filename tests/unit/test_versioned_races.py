"""Experiments declared and run by several processes on one Pixeltable home at once (issue 15, finding 2)."""

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

from pxwidgets.patterns.versioned import VersionedExperiment

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 3
ROUNDS = 4


@pytest.fixture(scope='module')
def root(pxt_home: Path) -> Iterator[str]:
    name = f'vr_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def _start(code: str) -> subprocess.Popen[str]:
    """A Python process on this session's Pixeltable home (it inherits PIXELTABLE_HOME)."""
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')])}
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, '-c', script], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_three_processes_declaring_the_same_new_experiment_all_get_it(root: str, tmp_path: Path) -> None:
    """Each round, three processes declare one new experiment at the same moment: none is refused, and the
    experiment they all get is one registry with the runs of all three."""
    names = [f'{root}/exp{i}' for i in range(ROUNDS)]
    code = f"""
        import json, os, pathlib, time
        from pxwidgets.patterns.versioned import VersionedExperiment
        from tests.support.versioned import build_numbers
        out = []
        for i, name in enumerate({names!r}):
            barrier = pathlib.Path({str(tmp_path)!r}) / str(i)
            barrier.mkdir(exist_ok=True)
            (barrier / str(os.getpid())).touch()
            while len(list(barrier.iterdir())) < {PROCESSES}:  # declare together
                time.sleep(0.001)
            try:
                e = VersionedExperiment(name, build_numbers, keep=2)
                out.append(['ok', e.run(threshold=0.5, n=3).version if i == 0 else None])
            except Exception as exc:
                out.append([type(exc).__name__, str(exc)])
        print(json.dumps(out))
    """
    procs = [_start(code) for _ in range(PROCESSES)]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f'process failed:\n{stdout}\n{stderr}'
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    refused = [r for result in results for r in result if r[0] != 'ok']
    assert refused == []
    assert sorted(result[0][1] for result in results) == [1, 2, 3]  # one version each, never shared
    for name in names:
        e = VersionedExperiment.open(name)
        assert e.keep == 2
        assert pxt.list_tables(name, recursive=False) == [f'{name}/runs']
    assert [r.version for r in VersionedExperiment.open(names[0]).runs()] == [1, 2, 3]
