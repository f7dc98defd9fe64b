"""The summary's label counts are kept with the table version they hold for: after inserts only the new rows are
counted and added, after updates and deletes the row versions made and ended since are read from the store and added
and subtracted (equal to a full count, to a plain ``group_by`` and to pandas / scikit-learn / statsmodels on the
rows); after a revert or a schema change, or over a column the store cannot compute, everything is counted again; a
fresh process (a restart) starts from the counts kept on disk, or counts in full without them, with the same figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pixeltable as pxt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pixeltable.functions import count
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from pxwidgets import MultiModelConsensus
from pxwidgets.functions.consensus import label_texts, raw_label_text
from pxwidgets.patterns.consensus import counts
from pxwidgets.tables.internals import table_id
from tests.support.consensus import module_dir

MODELS = ['a', 'b', 'c', 'd']
REPO = Path(__file__).resolve().parents[2]

home_dir = module_dir()


def rows(n: int, start: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(start, start + n):
        truth = int(rng.integers(0, 4))
        row: dict = {'idx': i, 'truth': None if i % 11 == 4 else truth}
        for k, m in enumerate(MODELS):
            right = rng.random() < 0.9 - 0.1 * k
            row[m] = None if (i + k) % 19 == 0 else (truth if right else int(rng.integers(0, 4)))
        out.append(row)
    return out


@pytest.fixture
def consensus(home_dir: str, request: pytest.FixtureRequest) -> MultiModelConsensus:
    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(MODELS, pxt.Int | None)}
    t = pxt.create_table(f'{home_dir}/{request.node.name}', schema)
    t.insert(rows(400, 0, seed=1))
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in MODELS})
    return c


def independent(c: MultiModelConsensus) -> dict:
    """The figures computed from the rows themselves, with scikit-learn and statsmodels."""
    t = c.table()
    rs = t.select(t.truth, *[t[m] for m in MODELS], consensus=t.consensus_label).collect()
    text = [{k: None if v is None else str(v) for k, v in row.items()} for row in rs]
    scored = [r for r in text if r['truth'] is not None]
    truth = [r['truth'] for r in scored]
    out: dict = {'rows': len(text)}
    for m in [*MODELS, 'consensus']:
        pred = ['\u2205' if r[m] is None else r[m] for r in scored]
        out[f'{m}.accuracy'] = accuracy_score(truth, pred)
        out[f'{m}.f1'] = f1_score(truth, pred, labels=sorted(set(truth)), average='macro')
    both = [r for r in text if r['a'] is not None and r['b'] is not None]
    out['kappa.a.b'] = cohen_kappa_score([r['a'] for r in both], [r['b'] for r in both])
    complete = [[r[m] for m in MODELS] for r in text if all(r[m] is not None for m in MODELS)]
    out['fleiss'] = fleiss_kappa(aggregate_raters(np.array(complete))[0])
    pred_d = ['\u2205' if r['d'] is None else r['d'] for r in scored]
    out['labels'] = sorted(set(truth) | set(pred_d), key=lambda s: (s == '\u2205', len(s), s))
    out['confusion.d'] = confusion_matrix(truth, pred_d, labels=out['labels'])
    return out


def figures(c: MultiModelConsensus) -> tuple[dict, str | None, int | None]:
    m = c.metrics()
    s = m.summary.set_index('model')
    out: dict = {'rows': int(s.loc['a', 'rows'])}
    for name in MODELS:
        out[f'{name}.accuracy'] = s.loc[name, 'accuracy']
        out[f'{name}.f1'] = s.loc[name, 'f1']
    out['consensus.accuracy'] = s.loc['consensus (majority)', 'accuracy']
    out['consensus.f1'] = s.loc['consensus (majority)', 'f1']
    assert m.kappa is not None
    out['kappa.a.b'] = m.kappa.loc['a', 'b']
    out['fleiss'] = m.fleiss
    return out, m.counting, m.version


def assert_same(ours: dict, expected: dict) -> None:
    for key, value in ours.items():
        assert value == pytest.approx(expected[key], abs=1e-12), key


def test_inserts_are_counted_incrementally_and_equal_a_full_count(consensus: MultiModelConsensus) -> None:
    first, how, version = figures(consensus)
    assert how == 'full' and version == consensus.table().get_versions(1)[0]['version']
    assert_same(first, independent(consensus))
    again, how, _ = figures(consensus)
    assert how == 'cached' and again == first
    t = consensus.table()
    t.insert(rows(150, 400, seed=2))
    t.insert(rows(60, 550, seed=3))  # two insert versions since the last count
    incremental, how, version = figures(consensus)
    assert how == 'incremental' and version == t.get_versions(1)[0]['version']
    assert incremental['rows'] == 610 and incremental != first
    expected = independent(consensus)
    assert_same(incremental, expected)
    matrix = consensus.confusion_matrix('d')  # summed from the kept counts
    assert list(matrix.columns) == expected['labels']
    assert (matrix.to_numpy() == expected['confusion.d']).all()
    counts.forget(t, on_disk=False)  # as in a new process: the counts are read back from disk
    kept, how, _ = figures(consensus)
    assert how == 'cached' and kept == incremental
    files = list(counts.store_dir().glob(f'{table_id(t)}-*.json'))
    assert len(files) == 1
    files[0].write_text('{"table": "not json')
    counts.forget(t, on_disk=False)  # an unreadable file is ignored
    full, how, _ = figures(consensus)
    assert how == 'full' and full == pytest.approx(incremental)
    counts.forget(t)
    assert not list(counts.store_dir().glob(f'{table_id(t)}-*.json'))
    assert figures(consensus)[1] == 'full'


def test_updates_and_deletes_are_applied_from_row_versions(consensus: MultiModelConsensus) -> None:
    before, _, _ = figures(consensus)
    t = consensus.table()
    t.where(t.idx < 40).update({'a': 3, 'truth': 3})  # a right for 40 rows: its accuracy changes
    after, how, _ = figures(consensus)
    assert how == 'incremental' and after['a.accuracy'] != before['a.accuracy']
    assert_same(after, independent(consensus))
    t.where(t.idx >= 300).delete()
    deleted, how, _ = figures(consensus)
    assert how == 'incremental' and deleted['rows'] == 300
    assert_same(deleted, independent(consensus))
    t.where(t.idx % 7 == 1).update({'b': 0, 'c': None})  # several versions since the last count: update,
    t.insert(rows(20, 1000, seed=4))  # insert,
    t.where((t.idx % 5 == 2) | (t.idx >= 1015)).delete()  # delete (of updated and of inserted rows)
    mixed, how, version = figures(consensus)
    assert how == 'incremental' and mixed['rows'] == 300 + 20 - 60 - 8  # 1002, 1007, 1012, 1015 … 1019
    assert_same(mixed, independent(consensus))
    t.revert()  # the same version number made again by another insert: not the version counted
    t.insert(rows(5, 2000, seed=7))
    assert t.get_versions(1)[0]['version'] == version
    again, how, _ = figures(consensus)
    assert how == 'full'
    assert_same(again, independent(consensus))
    t.revert()  # older than the version counted
    reverted, how, _ = figures(consensus)
    assert how == 'full'
    assert_same(reverted, independent(consensus))
    consensus.rebuild()  # a schema change (the consensus columns added again): the store cannot tell
    t = consensus.table()
    t.where(t.idx < 10).update({'d': 1})
    rebuilt, how, _ = figures(consensus)
    assert how == 'full'
    assert_same(rebuilt, independent(consensus))


def test_a_new_process_starts_from_the_kept_counts_and_agrees(consensus: MultiModelConsensus) -> None:
    consensus.table().insert(rows(30, 2000, seed=5))
    ours, _, _ = figures(consensus)
    code = f"""
        import json
        import pandas as pd
        from pxwidgets import MultiModelConsensus
        from pxwidgets.patterns.consensus import counts
        c = MultiModelConsensus.open({consensus.path!r})
        first = c.metrics()
        c.table().insert(json.loads({json.dumps(rows(25, 3000, seed=6))!r}))
        second = c.metrics()
        counts.forget(c.table())
        third = c.metrics()
        s = first.summary.set_index('model')
        try:
            pd.testing.assert_frame_equal(second.summary, third.summary, rtol=1e-12)
            same = True
        except AssertionError:
            same = False
        print(json.dumps({{'how': [first.counting, second.counting, third.counting], 'same': same,
                          'accuracy': float(s.loc['b', 'accuracy']), 'fleiss': first.fleiss,
                          'rows': int(second.summary['rows'].iloc[0])}}))
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    env['PYTHONWARNINGS'] = 'ignore'
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)
    proc = subprocess.run(
        [sys.executable, '-c', script], env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got['how'] == ['cached', 'incremental', 'full'] and got['same']  # kept on disk by this process
    assert got['accuracy'] == pytest.approx(ours['b.accuracy']) and got['fleiss'] == pytest.approx(ours['fleiss'])
    assert got['rows'] == ours['rows'] + 25
    reopened = MultiModelConsensus.open(consensus.path)  # this process: the other's insert is counted here too
    after, how, _ = figures(reopened)
    assert how == 'incremental' and after['rows'] == ours['rows'] + 25
    assert_same(after, independent(reopened))


# ---- the counts themselves, on a plain table: every kind of column the consensus groups by ---------------------

KEYS = ['txt', 's', 'flag', 'lt', 'a']
"""An unstored SQL cast (a raw truth's text), a string, a bool, a stored computed column (a label column), an int."""


def plain_table(path: str) -> pxt.Table:
    t = pxt.create_table(path, {'idx': pxt.Int, 'a': pxt.Int | None, 's': pxt.String | None, 'flag': pxt.Bool | None})
    t.add_computed_column(lt=label_texts(t.a))
    t.add_computed_column(txt=raw_label_text(t.a), stored=False)  # CAST(a AS TEXT) in SQL
    return t


def plain_rows(n: int, start: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {
            'idx': i,
            'a': None if rng.random() < 0.1 else int(rng.integers(0, 4)),
            's': [None, 'x', 'y'][int(rng.integers(0, 3))],
            'flag': [None, True, False][int(rng.integers(0, 3))],
        }
        for i in range(start, start + n)
    ]


def value_counts(t: pxt.Table, names: list[str]) -> dict[tuple, int]:
    """The counts of every combination, by pandas on the collected rows (None for a missing value)."""
    df = t.select(*[t[n] for n in names]).collect().to_pandas()
    if not len(df):
        return {}
    found = df.astype(object).value_counts(dropna=False)
    return {tuple(None if pd.isna(v) else v for v in key): int(n) for key, n in found.items()}


def group_by(t: pxt.Table, names: list[str]) -> dict[tuple, int]:
    """The counts of every combination, by a plain Pixeltable ``group_by``."""
    cols = {f'k{i}': t[n] for i, n in enumerate(names)}
    rs = t.group_by(*cols.values()).select(**cols, n=count(t.idx)).collect()
    return {tuple(r[k] for k in cols): int(r['n']) for r in rs}


def counted(t: pxt.Table, names: list[str]) -> counts.Counted:
    found = counts.combination_counts(t, [t[n] for n in names], names)
    assert found.counts == value_counts(t, names) == group_by(t, names)
    return found


def test_store_row_versions_give_the_counts_after_updates_deletes_and_inserts(home_dir: str) -> None:
    t = plain_table(f'{home_dir}/plain')
    t.insert(plain_rows(300, 0, seed=1))
    assert counted(t, KEYS).how == 'full'
    t.where(t.idx < 25).update({'a': 2, 's': 'z', 'flag': None})
    after = counted(t, KEYS)
    assert after.how == 'incremental' and after.rows_counted == 50  # 25 old row versions out, 25 new in
    assert counted(t, KEYS).how == 'cached'
    t.where(t.idx % 10 == 3).delete()
    after = counted(t, KEYS)
    assert after.how == 'incremental' and after.rows_counted == 30
    t.where(t.idx % 10 == 4).update({'a': None})
    t.insert(plain_rows(40, 300, seed=2))
    t.where(t.idx >= 330).update({'s': 'w'})  # rows inserted and updated since: only their last version counts
    t.where((t.idx % 10 == 5) | (t.idx == 335)).delete()
    after = counted(t, KEYS)
    assert after.how == 'incremental' and sum(after.counts.values()) == t.count()
    assert after.rows_counted == 30 * 2 + (40 - 4) + 30  # updated (out, in), inserted, deleted; 4 rows came and went
    view = pxt.create_view(f'{home_dir}/plain_view', t.where(t.idx < 200))
    view.add_computed_column(own=label_texts(view.a))
    assert counted(view, ['own', 's', 'a']).how == 'full'
    t.where(t.idx < 5).update({'a': 3})  # a view's columns of its base live in the base's store: counted again
    assert counted(view, ['own', 's', 'a']).how == 'full'
    assert counted(t, KEYS).how == 'incremental'  # the other updates since are read from the store
    t.where(t.idx < 8).update({'a': 0})
    t.revert()  # back to the version counted: its store rows are as they were
    assert counted(t, KEYS).how == 'cached'
    t.revert()  # older than the version counted
    assert counted(t, KEYS).how == 'full'
    t.add_computed_column(doubled=t.a * 2)  # a schema change
    t.where(t.idx < 8).update({'a': 1})
    assert counted(t, KEYS).how == 'full'
    pxt.drop_table(view)
    t.where(t.idx >= 0).delete()  # every row: nothing left to count
    assert counted(t, KEYS).counts == {}


VALUES = st.tuples(st.sampled_from([None, 0, 1, 2]), st.sampled_from([None, 'x', 'y']), st.sampled_from([None, True]))
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just('insert'), st.lists(VALUES, min_size=1, max_size=6)),
        st.tuples(st.just('update'), st.integers(2, 4), st.integers(0, 3), VALUES),
        st.tuples(st.just('delete'), st.integers(2, 5), st.integers(0, 4)),
        st.tuples(st.just('revert')),
        st.tuples(st.just('count')),
    ),
    min_size=1,
    max_size=7,
)
EXAMPLES = iter(range(10**6))


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_inserts_updates_deletes_and_reverts_keep_the_counts_equal_to_a_full_count(
    home_dir: str, steps: list[tuple]
) -> None:
    t = plain_table(f'{home_dir}/random_{next(EXAMPLES)}')
    t.insert(plain_rows(12, 0, seed=3))
    assert counted(t, KEYS).how == 'full'
    next_idx, reverted, kept = 12, False, True
    for step in [*steps, ('count',)]:
        if step[0] == 'insert':
            rows = [{'idx': next_idx + i, 'a': a, 's': s, 'flag': f} for i, (a, s, f) in enumerate(step[1])]
            t.insert(rows)
            next_idx += len(rows)
        elif step[0] == 'update':
            a, s, f = step[3]
            t.where(t.idx % step[1] == step[2]).update({'a': a, 's': s, 'flag': f})
        elif step[0] == 'delete':
            t.where(t.idx % step[1] == step[2]).delete()
        elif step[0] == 'revert':
            if len(t.get_versions()) > 4:  # never back over the columns' own versions
                t.revert()
                reverted = True
        else:
            found = counted(t, KEYS)  # equal to pandas and to a plain group_by
            if kept and not reverted and found.counts:  # only a revert or an empty table costs a full count
                assert found.how in ('incremental', 'cached'), steps
            reverted, kept = False, bool(found.counts)
