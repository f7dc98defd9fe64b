"""Evaluation beside the consensus: confusion matrices whose cells are row filters, per-class precision / recall / F1
(checked against scikit-learn), and suspect labels (checked against cleanlab called directly)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pixeltable as pxt
import pytest
from cleanlab.count import num_label_issues
from cleanlab.rank import get_label_quality_scores
from sklearn.metrics import classification_report, confusion_matrix

from pxwidgets import MultiModelConsensus
from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.consensus import NoGroundTruthError, NotEnoughModelsError
from tests.support.consensus import module_dir

ACCURACY = {'a': 0.9, 'b': 0.85, 'c': 0.8, 'd': 0.7}
CLASSES = 5
N = 800
FLIPPED = 0.05

home_dir = module_dir()


def model_rows(n: int, seed: int = 3) -> tuple[list[dict], set[int]]:
    """Five classes, four models (right with their accuracy, more confident when right) and a ground truth with 5 %
    of its labels flipped on purpose; returns the rows and the flipped rows' indices."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, CLASSES, n)
    flipped = set(rng.choice(n, int(n * FLIPPED), replace=False).tolist())
    rows = []
    for i in range(n):
        given = (true[i] + rng.integers(1, CLASSES)) % CLASSES if i in flipped else true[i]
        row: dict = {'idx': i, 'truth': int(given)}
        for m, acc in ACCURACY.items():
            right = rng.random() < acc
            label = int(true[i]) if right else int((true[i] + rng.integers(1, CLASSES)) % CLASSES)
            conf = float(rng.uniform(0.6, 0.99) if right else rng.uniform(0.3, 0.7))
            row[m] = None if i % 97 == ord(m) % 5 else {'label': label, 'confidence': conf}
        rows.append(row)
    return rows, flipped


@pytest.fixture(scope='module')
def built(home_dir: str) -> MultiModelConsensus:
    rows, _ = model_rows(N)
    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(ACCURACY, pxt.Json | None)}
    t = pxt.create_table(f'{home_dir}/eval', schema)
    t.insert(rows)
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in ACCURACY})
    return c


def frame(c: MultiModelConsensus) -> pd.DataFrame:
    t = c.table()
    cols = {m: t[f'{m}_label'] for m in ACCURACY} | {f'{m}_conf': t[f'{m}_conf'] for m in ACCURACY}
    rs = t.order_by(t.idx).select(t.idx, truth=t.consensus_truth, consensus=t.consensus_label, **cols).collect()
    return rs.to_pandas().astype(object).where(lambda d: d.notna(), None)


def version(c: MultiModelConsensus) -> int:
    return int(pxt.get_table(c.path).get_metadata()['version'])


def test_confusion_matrix_and_class_report_match_scikit_learn(built: MultiModelConsensus) -> None:
    df = frame(built)
    pred = df['b'].map(lambda v: '\u2205' if v is None else v)
    labels = sorted(set(df['truth']) | set(pred), key=lambda s: (s == '\u2205', len(s), s))
    expected = confusion_matrix(df['truth'], pred, labels=labels)
    matrix = built.confusion_matrix('b')
    assert matrix.index.name == 'truth' and list(matrix.columns) == labels
    assert (matrix.to_numpy() == expected).all()
    report = built.class_report('b').set_index('class')
    truth_classes = sorted(set(df['truth']))
    sk = classification_report(df['truth'], pred, labels=truth_classes, output_dict=True, zero_division=0)
    assert list(report.index) == truth_classes
    for cls in truth_classes:
        for key, col in (('precision', 'precision'), ('recall', 'recall'), ('f1-score', 'f1'), ('support', 'support')):
            assert report.loc[cls, col] == pytest.approx(sk[cls][key])
    # against the consensus (ties left out), for a model
    scored = df[df['consensus'].notna()]
    against = built.confusion_matrix('d', 'consensus')
    pred_d = scored['d'].map(lambda v: '\u2205' if v is None else v)
    cl = list(against.columns)
    assert (against.to_numpy() == confusion_matrix(scored['consensus'], pred_d, labels=cl)).all()


def test_a_confusion_cell_opens_exactly_its_rows(built: MultiModelConsensus) -> None:
    df = frame(built)
    cell = df[(df['truth'] == '2') & (df['c'] == '4')]
    assert len(cell) > 0
    page = built.rows('confusion', model='c', actual='2', predicted='4', limit=200)
    assert page['total'] == len(cell) == int(built.confusion_matrix('c').loc['2', '4'])
    assert sorted(r['models']['c']['label'] for r in page['rows']) == ['4'] * len(cell)
    assert {r['truth'] for r in page['rows']} == {'2'}
    assert '(t.consensus_truth ==' in page['code']
    missing = df[(df['truth'] == '1') & df['a'].isna()]
    assert built.count('confusion', model='a', actual='1', predicted='\u2205') == len(missing)
    against = built.rows('confusion', model='d', reference='consensus', actual='0', predicted='3', limit=200)
    expected = df[(df['consensus'] == '0') & (df['d'] == '3')]
    assert against['total'] == len(expected)


def test_an_empty_confusion_cell_says_so(built: MultiModelConsensus) -> None:
    before = version(built)
    with pytest.raises(InvalidRequestError, match="No rows: where the ground truth is '2', a never predicted '77'"):
        built.rows('confusion', model='a', actual='2', predicted='77')
    with pytest.raises(InvalidRequestError, match='needs a cell'):
        built.rows('confusion', model='a', actual='2')
    assert version(built) == before


def expected_probabilities(df: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """The averaged class probabilities, computed here with numpy (one model at a time, over all rows)."""
    k = len(classes)
    total = np.zeros((len(df), k))
    answered = np.zeros(len(df))
    for m in ACCURACY:
        has = df[m].notna().to_numpy() & df[f'{m}_conf'].notna().to_numpy()
        conf = df[f'{m}_conf'].fillna(0.0).to_numpy(dtype=float)
        onehot = np.zeros((len(df), k))
        idx = [classes.index(v) if v is not None else 0 for v in df[m]]
        onehot[np.arange(len(df)), idx] = 1.0
        probs = onehot * conf[:, None] + (1 - onehot) * ((1 - conf) / (k - 1))[:, None]
        total += probs * has[:, None]
        answered += has
    return total / answered[:, None]


def test_suspect_labels_match_cleanlab(built: MultiModelConsensus) -> None:
    found = built.find_suspects()
    df = frame(built)
    classes = sorted(set(df['truth']), key=lambda s: (len(s), s))
    labels = np.array([classes.index(v) for v in df['truth']])
    probs = expected_probabilities(df, classes)
    assert found['issues'] == num_label_issues(labels, probs) > 0
    assert found['scored'] == N
    t = built.table()
    quality = t.order_by(t.idx).select(q=t.consensus_label_quality).collect()['q']
    assert np.allclose(quality, get_label_quality_scores(labels, probs, method='self_confidence'))
    page = built.rows('suspects', limit=200)
    assert page['total'] == found['issues']
    ranked = np.argsort(get_label_quality_scores(labels, probs, method='self_confidence'), kind='stable')
    top = [r['index'] for r in page['rows']]
    assert top == list(range(len(top)))
    # the first suspect is cleanlab's lowest-quality row: its truth disagrees with most models
    first = page['rows'][0]
    assert first['truth'] == df['truth'][ranked[0]]
    _, flipped = model_rows(N)
    hits = sum(1 for i in ranked[: found['issues']] if i in flipped)
    assert hits / found['issues'] > 0.5  # most suspects are the labels flipped on purpose


def test_suspects_need_two_models_with_probabilities(home_dir: str) -> None:
    rows, _ = model_rows(60, seed=5)
    for r in rows:
        r['b'] = None if r['b'] is None else r['b']['label']  # b gives labels without a confidence
    t = pxt.create_table(
        f'{home_dir}/weak', {'idx': pxt.Int, 'truth': pxt.Int | None, 'a': pxt.Json | None, 'b': pxt.Json | None}
    )
    t.insert([{k: r[k] for k in ('idx', 'truth', 'a', 'b')} for r in rows])
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({'a': 'a', 'b': 'b'})
    before = version(c)
    with pytest.raises(NotEnoughModelsError, match='at least two models') as info:
        c.find_suspects()
    assert 'without a confidence: b' in str(info.value)
    with pytest.raises(NotEnoughModelsError):
        c.rows('suspects')
    assert version(c) == before and 'consensus_label_quality' not in c.table().columns()
    u = pxt.create_table(f'{home_dir}/untrue', {'a': pxt.Json, 'b': pxt.Json})
    u.insert([{'a': {'label': 1, 'confidence': 0.9}, 'b': {'label': 2, 'confidence': 0.8}}])
    nt = MultiModelConsensus(u)
    nt.add_models({'a': 'a', 'b': 'b'})
    with pytest.raises(NoGroundTruthError, match='need a ground-truth column'):
        nt.find_suspects()
