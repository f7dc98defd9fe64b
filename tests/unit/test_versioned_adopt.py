"""VersionedExperiment.adopt on a catalog made with plain Pixeltable (faces_v1, faces_v2, … and exp/v1/…), and tags.

Every refusal is checked to leave the catalog exactly as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pixeltable as pxt
import pytest

from pxwidgets.patterns import catalog
from pxwidgets.patterns.versioned import AdoptionError, TagError, UnknownVersionError, VersionedExperiment
from tests.support.versioned import build_numbers

REPO = Path(__file__).resolve().parents[2]


def _by_hand(path: str, threshold: float, n: int = 20) -> pxt.Table:
    """What a user versioning by hand writes: a table, rows, a computed column with this version's threshold."""
    t = pxt.create_table(path, {'id': pxt.Int, 'value': pxt.Float})
    t.insert([{'id': i, 'value': i / n} for i in range(n)])
    t.add_computed_column(flag=t.value > threshold)
    return t


def _catalog(root: str) -> list[str]:
    return sorted(pxt.list_tables(root, recursive=True)) + sorted(pxt.list_dirs(root, recursive=True))


def test_tables_named_v1_v2_are_adopted_as_runs(pxt_dir: str) -> None:
    for v, threshold in ((1, 0.3), (2, 0.5), (4, 0.7)):  # v3 was dropped by hand long ago: a gap is still a series
        _by_hand(f'{pxt_dir}/faces_v{v}', threshold)
    pxt.create_table(f'{pxt_dir}/unrelated', {'x': pxt.Int})
    exp = VersionedExperiment.adopt(f'{pxt_dir}/faces', params={1: {'threshold': 0.3}, f'{pxt_dir}/faces_v2': {}})
    runs = exp.runs()
    assert [r.version for r in runs] == [1, 2, 4]
    assert all(r.status == 'ok' and r.adopted and r.in_place for r in runs)
    assert [r.params for r in runs] == [{'threshold': 0.3}, {}, {}]
    assert [r.metrics for r in runs] == [{}, {}, {}]
    assert [r.result for r in runs] == [f'{pxt_dir}/faces_v{v}' for v in (1, 2, 4)]
    assert exp.latest().version == 4  # type: ignore[union-attr]
    assert runs[0].started_at is not None
    # the tables stay where they were; the experiment's own directory holds only its registry
    assert pxt.list_tables(f'{pxt_dir}/faces', recursive=True) == [f'{pxt_dir}/faces/runs']

    # compare: rows matched on the inputs (id, value), flag compared — against pandas
    c = exp.compare(1, 2)
    a = pxt.get_table(f'{pxt_dir}/faces_v1').collect().to_pandas()  # type: ignore[union-attr]
    b = pxt.get_table(f'{pxt_dir}/faces_v2').collect().to_pandas()  # type: ignore[union-attr]
    merged = a.merge(b, on=['id', 'value'], suffixes=('_a', '_b'))
    assert c.tables is not None and c.tables.key == ['id', 'value']
    assert c.tables.differing == int((merged['flag_a'] != merged['flag_b']).sum()) == 4

    # adopting again records nothing twice; a new hand-made version is picked up
    _by_hand(f'{pxt_dir}/faces_v5', 0.9)
    again = VersionedExperiment.adopt(f'{pxt_dir}/faces')
    assert [r.version for r in again.runs()] == [1, 2, 4, 5]
    # the catalog of patterns lists it without inventing dropped run directories (its runs live outside it)
    listed = catalog(pxt_dir)
    row = listed[listed.kind == 'experiment'].iloc[0]
    assert row.path == f'{pxt_dir}/faces' and row.details['runs'] == 4 and row.problems == []

    # promote, then cleanup drops the hand-made tables that nothing protects
    exp.promote(2)
    plan = exp.plan_cleanup(keep=1)
    assert [s.details['tables'] for s in plan.steps] == [[f'{pxt_dir}/faces_v1'], [f'{pxt_dir}/faces_v4']]
    exp.cleanup(keep=1, expect=plan)
    left = sorted(pxt.list_tables(pxt_dir, recursive=False))
    assert left == [f'{pxt_dir}/faces_v2', f'{pxt_dir}/faces_v5', f'{pxt_dir}/unrelated']
    assert [r.version for r in exp.runs(include_dropped=False)] == [2, 5]

    # a new run goes into the experiment's directory, numbered after the adopted ones
    exp.setup = build_numbers
    run = exp.run(threshold=0.2)
    assert run.version == 6 and run.result == f'{pxt_dir}/faces/v6/items' and not run.adopted


def test_directories_v1_v2_are_adopted_in_place_and_reopen_after_a_restart(pxt_dir: str) -> None:
    name = f'{pxt_dir}/exp'
    for v, threshold in ((1, 0.4), (2, 0.6)):
        pxt.create_dir(f'{name}/v{v}', parents=True)
        base = _by_hand(f'{name}/v{v}/items', threshold)
        pxt.create_view(f'{name}/v{v}/flagged', base.where(base.flag == True))  # noqa: E712
    with pytest.raises(AdoptionError, match='several tables') as info:
        VersionedExperiment.adopt(name)
    assert 'result=' in (info.value.hint or '')
    assert not VersionedExperiment.exists(name)
    exp = VersionedExperiment.adopt(name, result='items', metrics={1: {'flagged': 11}, 2: {'flagged': 7}})
    runs = exp.runs()
    assert [(r.version, r.result, r.tables, r.in_place) for r in runs] == [
        (1, f'{name}/v1/items', [f'{name}/v1/flagged', f'{name}/v1/items'], False),
        (2, f'{name}/v2/items', [f'{name}/v2/flagged', f'{name}/v2/items'], False),
    ]
    assert exp.compare(1, 2).metrics['flagged'] == {'a': 11, 'b': 7, 'delta': -4}
    exp.tag(1, 'baseline')
    # a fresh process (a kernel restart) opens it: runs, adoption, tags, and a cleanup that keeps the tagged one
    code = f"""
        import json
        from pxwidgets.patterns.versioned import VersionedExperiment
        e = VersionedExperiment.open({name!r})
        plan = e.plan_cleanup(keep=1)
        print(json.dumps({{'runs': [[r.version, r.adopted, r.tags] for r in e.runs()], 'steps': len(plan.steps),
                          'kept': e.kept(keep=1), 'baseline': e.get('baseline').version}}))
    """
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS='ignore')
    proc = subprocess.run(
        [sys.executable, '-c', 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen['runs'] == [[1, True, ['baseline']], [2, True, []]]
    assert seen['steps'] == 0 and seen['baseline'] == 1
    assert seen['kept'] == [
        {'version': 1, 'reason': "it is tagged 'baseline'"},
        {'version': 2, 'reason': 'it is the latest version'},
    ]


def test_refusals_write_nothing(pxt_dir: str) -> None:
    _by_hand(f'{pxt_dir}/faces_v1', 0.3)
    _by_hand(f'{pxt_dir}/faces_v2', 0.5)
    other = pxt.create_table(f'{pxt_dir}/faces_v3', {'id': pxt.Int, 'label': pxt.String})  # another schema
    other.insert([{'id': 1, 'label': 'x'}])
    pxt.create_table(f'{pxt_dir}/masks_v1', {'id': pxt.Int})
    pxt.create_table(f'{pxt_dir}/notes', {'id': pxt.Int})
    before = _catalog(pxt_dir)

    with pytest.raises(AdoptionError, match='other input columns') as info:
        VersionedExperiment.adopt(f'{pxt_dir}/faces')
    assert 'missing value' in info.value.message and 'extra label' in info.value.message
    with pytest.raises(AdoptionError, match='do not form one series'):
        VersionedExperiment.adopt(f'{pxt_dir}/mixed', [f'{pxt_dir}/faces_v1', f'{pxt_dir}/masks_v1'])
    with pytest.raises(AdoptionError, match='no version number'):
        VersionedExperiment.adopt(f'{pxt_dir}/mixed', [f'{pxt_dir}/faces_v1', f'{pxt_dir}/notes'])
    with pytest.raises(AdoptionError, match='Found no versions'):
        VersionedExperiment.adopt(f'{pxt_dir}/nothing')
    with pytest.raises(AdoptionError, match='not one of the versions'):
        VersionedExperiment.adopt(f'{pxt_dir}/f', f'{pxt_dir}/faces_v[12]', params={7: {'x': 1}})
    assert _catalog(pxt_dir) == before

    # adopted once, the same tables cannot go into a second experiment
    VersionedExperiment.adopt(f'{pxt_dir}/first', f'{pxt_dir}/faces_v[12]')
    before = _catalog(pxt_dir)
    with pytest.raises(AdoptionError, match='Already part of another experiment') as taken:
        VersionedExperiment.adopt(f'{pxt_dir}/second', [f'{pxt_dir}/faces_v2'])
    assert taken.value.details['taken'] == {f'{pxt_dir}/faces_v2': f'{pxt_dir}/first'}
    assert _catalog(pxt_dir) == before
    # check_schema=False adopts a different schema anyway; compare then says why it matched no rows
    mixed = VersionedExperiment.adopt(f'{pxt_dir}/loose', [f'{pxt_dir}/faces_v3'], check_schema=False)
    assert [r.version for r in mixed.runs()] == [3]


def test_tags_name_one_version_and_survive_reopening(pxt_dir: str) -> None:
    exp = VersionedExperiment(f'{pxt_dir}/t', build_numbers, keep=1)
    for threshold in (0.3, 0.5, 0.7):
        exp.run(threshold=threshold)
    exp.tag(1, 'baseline')
    exp.tag(2, 'prod')
    version_before = pxt.get_table(f'{pxt_dir}/t/runs').get_metadata()['version']  # type: ignore[union-attr]
    with pytest.raises(TagError, match='already on version 1') as info:
        exp.tag(3, 'baseline')
    assert info.value.details == {'tag': 'baseline', 'version': 1} and 'move=True' in (info.value.hint or '')
    for bad in ('latest', '1st', 'a b', ''):
        with pytest.raises(TagError):
            exp.tag(3, bad)
    assert pxt.get_table(f'{pxt_dir}/t/runs').get_metadata()['version'] == version_before  # type: ignore[union-attr]
    exp.tag(3, 'baseline', move=True)
    reopened = VersionedExperiment.open(f'{pxt_dir}/t')
    assert reopened.tags() == {'prod': 2, 'baseline': 3}
    assert reopened.get('prod').version == 2
    assert reopened.compare('prod', 'baseline').params['threshold'] == {'a': 0.5, 'b': 0.7, 'same': False}
    # tagged versions are kept by cleanup; untagged, they may go
    assert [s.details['version'] for s in reopened.plan_cleanup(keep=1).steps] == [1]
    reopened.untag('prod')
    assert [s.details['version'] for s in reopened.plan_cleanup(keep=1).steps] == [1, 2]
    with pytest.raises(UnknownVersionError, match="no tag 'prod'"):
        reopened.get('prod')
    df = pd.DataFrame([r.to_json() for r in reopened.runs()])
    assert list(df['tags']) == [[], [], ['baseline']]


def test_tags_on_a_registry_made_before_tags_existed(pxt_dir: str) -> None:
    exp = VersionedExperiment(f'{pxt_dir}/old', build_numbers)
    exp.run()
    registry = pxt.get_table(f'{pxt_dir}/old/runs')
    registry.drop_column('tags')  # type: ignore[union-attr]
    assert VersionedExperiment.open(f'{pxt_dir}/old').get(1).tags == []
    assert VersionedExperiment.open(f'{pxt_dir}/old').tag(1, 'prod').tags == ['prod']
