"""A consensus over plain label columns (ints, strings, bools of the ground truth's type) stores no label column: SQL
compares the models' output columns themselves, the labels as text are computed when read. Every filter, count and
metric equals the same computed with pandas / scikit-learn on the labels as text; a model whose labels need a stored
column turns the others' label columns into stored ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pixeltable as pxt
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix

from pxwidgets import MultiModelConsensus
from pxwidgets.functions.consensus import label_of, weighted
from tests.support.consensus import module_dir

MODELS = ['a', 'b', 'c', 'd']
N = 300

home_dir = module_dir()


def rows(n: int, seed: int = 5) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        truth = int(rng.integers(0, 4))
        row: dict = {'idx': i, 'truth': None if i % 10 == 3 else truth}
        for k, m in enumerate(MODELS):
            right = rng.random() < 0.9 - 0.1 * k
            row[m] = None if (i + k) % 17 == 0 else (truth if right else int(rng.integers(0, 4)))
        out.append(row)
    return out


@pytest.fixture(scope='module')
def built(home_dir: str) -> MultiModelConsensus:
    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(MODELS, pxt.Int | None)}
    t = pxt.create_table(f'{home_dir}/raw', schema)
    t.insert(rows(N))
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in MODELS})
    return c


def frame(c: MultiModelConsensus) -> pd.DataFrame:
    t = c.table()
    cols = {m: t[f'{m}_label'] for m in MODELS}
    rs = t.order_by(t.idx).select(t.idx, truth=t.consensus_truth, consensus=t.consensus_label, **cols).collect()
    return rs.to_pandas().astype(object).where(lambda d: d.notna(), None)


def test_no_label_column_is_stored_and_labels_read_as_text(built: MultiModelConsensus) -> None:
    columns = built.table().get_metadata()['columns']
    assert all(columns[f'{m}_label']['is_stored'] is False for m in MODELS)
    assert columns['consensus_label']['is_stored'] and columns['consensus_agreement']['is_stored']
    state = built.state()
    assert [state.sql_label(m) for m in state.models] == MODELS
    df = frame(built)
    source = rows(N)
    assert list(df['a']) == [None if r['a'] is None else str(r['a']) for r in source]
    assert built.columns()['label'] == 'consensus_label' and built.columns()['tie'] == 'consensus_tie'
    code = built.to_code()  # the plain code builds the same layout: label columns unstored, scalars from the outputs
    assert 't.add_computed_column(a_label=label_texts(t.a), stored=False' in code
    assert 'majority_agreement([t.a, t.b, t.c, t.d])' in code


def test_filters_and_counts_agree_with_pandas(built: MultiModelConsensus) -> None:
    df = frame(built)
    truth = df['truth'].notna()
    wrong_b = truth & ((df['b'] != df['truth']) | df['b'].isna())
    assert built.count('model_wrong', model='b') == int(wrong_b.sum())
    page = built.rows('model_wrong', model='b', limit=200)
    assert [r['index'] for r in page['rows']][:3] == [0, 1, 2]  # positions in the filtered rows
    assert sorted(r['models']['b']['label'] or '' for r in page['rows']) == sorted(
        v or '' for v in df.loc[wrong_b, 'b']
    )
    differ = df['a'].notna() & df['c'].notna() & (df['a'] != df['c'])
    assert built.count('models_differ', model='a', other='c') == int(differ.sum())
    wrong = truth & ((df['consensus'] != df['truth']) | df['consensus'].isna())
    assert built.count('consensus_wrong') == int(wrong.sum())
    t = built.table()
    ties = t.select(t.consensus_tie).collect()['consensus_tie']
    assert built.count('ties') == sum(bool(v) for v in ties) > 0
    cell = df[(df['truth'] == '2') & (df['d'] == '1')]
    assert built.count('confusion', model='d', actual='2', predicted='1') == len(cell) > 0
    assert built.count('confusion', model='d', actual='2', predicted='cat') == 0  # no int reads as 'cat'


def test_metrics_agree_with_scikit_learn(built: MultiModelConsensus) -> None:
    df = frame(built)
    scored = df[df['truth'].notna()]
    summary = built.summary().set_index('model')
    for m in MODELS:
        pred = scored[m].map(lambda v: '\u2205' if v is None else v)
        assert summary.loc[m, 'accuracy'] == pytest.approx(accuracy_score(scored['truth'], pred))
    weights = next(col.data['weights'] for col in built.state().columns if col.part == 'accuracy_weighted')
    labels = [[None if pd.isna(r[m]) else r[m] for m in MODELS] for r in scored.to_dict('records')]
    acc = [weighted(row, MODELS, [weights[m] for m in MODELS])['label'] for row in labels]
    expected = accuracy_score(scored['truth'], ['\u2205' if v is None else v for v in acc])
    assert summary.loc['consensus (accuracy-weighted)', 'accuracy'] == pytest.approx(expected)
    matrix = built.confusion_matrix('c')
    pred_c = scored['c'].map(lambda v: '\u2205' if v is None else v)
    assert (matrix.to_numpy() == confusion_matrix(scored['truth'], pred_c, labels=list(matrix.columns))).all()


def test_a_model_with_json_output_stores_every_label_column(home_dir: str) -> None:
    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, 'a': pxt.Int | None, 'b': pxt.Int | None, 'j': pxt.Json}
    t = pxt.create_table(f'{home_dir}/mixed', schema)
    t.insert(
        {'idx': r['idx'], 'truth': r['truth'], 'a': r['a'], 'b': r['b'], 'j': {'label': r['c'], 'confidence': 0.7}}
        for r in rows(60, seed=9)
    )
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({'a': 'a', 'b': 'b'})
    assert t.get_metadata()['columns']['a_label']['is_stored'] is False
    assert c.state().truth_is_raw
    c.add_model('j')
    columns = t.get_metadata()['columns']
    assert all(columns[f'{m}_label']['is_stored'] for m in ('a', 'b', 'j'))
    assert columns['consensus_truth']['is_stored'] and not c.state().truth_is_raw  # stored with the labels
    truths = t.where(t.consensus_truth != None).select(t.truth, t.consensus_truth).collect()  # noqa: E711
    assert all(str(r['truth']) == r['consensus_truth'] for r in truths) and len(truths) > 0
    state = c.state()
    assert [state.sql_label(m) for m in state.models] == ['a_label', 'b_label', 'j_label']
    df = t.select(t.a_label, t.j_label).collect().to_pandas()
    differ = df['a_label'].notna() & df['j_label'].notna() & (df['a_label'] != df['j_label'])
    assert c.count('models_differ', model='a', other='j') == int(differ.sum())
    reopened = MultiModelConsensus.open(c.path)
    assert [m.name for m in reopened.models] == ['a', 'b', 'j'] and reopened.columns() == c.columns()


def test_the_truth_text_is_unstored_and_filters_run_in_sql(built: MultiModelConsensus) -> None:
    """Two stored columns per build (label, agreement): the truth's text is ``raw_label_text`` of the truth, which
    Pixeltable computes in SQL; filters, cells and metrics against it equal pandas' on the text."""
    t = built.table()
    columns = t.get_metadata()['columns']
    assert columns['consensus_truth']['is_stored'] is False
    stored = [n for n in built.state().owned_columns() if columns[n]['is_stored']]
    assert sorted(stored) == ['consensus_agreement', 'consensus_label']
    assert built.state().truth_is_raw
    df = frame(built)
    source = rows(N)
    assert list(df['truth']) == [None if r['truth'] is None else str(r['truth']) for r in source]
    cell = df[(df['truth'] == '3') & (df['b'] == '0')]
    page = built.rows('confusion', model='b', actual='3', predicted='0', limit=200)
    assert page['total'] == len(cell) > 0 and {r['truth'] for r in page['rows']} == {'3'}
    assert '(t.truth == 3)' in page['code']
    missing = df[(df['truth'] == '1') & df['a'].isna()]
    assert built.count('confusion', model='a', actual='1', predicted='\u2205') == len(missing) > 0
    assert built.count('confusion', model='a', actual='cat', predicted='1') == 0  # no int truth reads as 'cat'
    code = built.to_code()
    assert 't.add_computed_column(consensus_truth=raw_label_text(t.truth), stored=False' in code
    reopened = MultiModelConsensus.open(built.path)
    assert reopened.state().truth_is_raw and reopened.count('consensus_wrong') == built.count('consensus_wrong')


def test_bool_and_string_truths_read_as_their_labels_in_sql(home_dir: str) -> None:
    for name, col_type, make in (
        ('bools', pxt.Bool, lambda v: v % 2 == 0),
        ('strings', pxt.String, lambda v: f'c{v}'),
    ):
        schema = {'idx': pxt.Int, 'truth': col_type | None, **dict.fromkeys(MODELS, col_type | None)}
        t = pxt.create_table(f'{home_dir}/{name}', schema)
        source = rows(80, seed=11)
        t.insert(
            {'idx': r['idx'], **{k: None if r[k] is None else make(r[k]) for k in ['truth', *MODELS]}} for r in source
        )
        c = MultiModelConsensus(t, ground_truth='truth')
        c.add_models({m: m for m in MODELS})
        assert c.state().truth_is_raw
        df = frame(c)
        assert list(df['truth']) == [label_of(None if r['truth'] is None else make(r['truth'])) for r in source]
        wrong = df['truth'].notna() & ((df['consensus'] != df['truth']) | df['consensus'].isna())
        assert c.count('consensus_wrong') == int(wrong.sum())
        actual = str(df['truth'].dropna().iloc[0])
        cell = df[(df['truth'] == actual) & (df['a'] == actual)]
        assert c.count('confusion', model='a', actual=actual, predicted=actual) == len(cell) > 0
        matrix = c.confusion_matrix('a')
        scored = df[df['truth'].notna()]
        pred = scored['a'].map(lambda v: '\u2205' if v is None else v)
        assert (matrix.to_numpy() == confusion_matrix(scored['truth'], pred, labels=list(matrix.columns))).all()


def test_a_consensus_built_before_with_a_stored_truth_text_reads_the_same(home_dir: str) -> None:
    """Catalogs made before the truth's text was unstored keep working: the stored ``label_texts`` column is read."""
    from pxwidgets.functions.consensus import label_texts

    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(MODELS, pxt.Int | None)}
    t = pxt.create_table(f'{home_dir}/before', schema)
    t.insert(rows(120, seed=13))
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in MODELS})
    expected = {
        'wrong': c.count('consensus_wrong'),
        'cell': c.count('confusion', model='b', actual='2', predicted='2'),
        'summary': c.summary(),
        'matrix': c.confusion_matrix('a'),
    }
    metadata = c.state().facts['consensus_truth'].custom_metadata
    t.drop_column('consensus_truth')  # the layout of earlier versions: the truth's text stored
    t.add_computed_column(consensus_truth=label_texts(t.truth), custom_metadata=metadata, on_error='ignore')
    reopened = MultiModelConsensus.open(c.path)
    assert not reopened.state().truth_is_raw and reopened.state().truth_column == 'consensus_truth'
    assert reopened.count('consensus_wrong') == expected['wrong'] > 0
    assert reopened.count('confusion', model='b', actual='2', predicted='2') == expected['cell'] > 0
    pd.testing.assert_frame_equal(reopened.summary(), expected['summary'])
    pd.testing.assert_frame_equal(reopened.confusion_matrix('a'), expected['matrix'])
    assert "(t.consensus_truth == '2')" in reopened.rows('confusion', model='b', actual='2', predicted='2')['code']
