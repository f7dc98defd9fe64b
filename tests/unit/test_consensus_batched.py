"""The consensus columns built by batched UDFs hold exactly what the per-row vote gives: labels, ties, agreement,
dissenters (from the vote computed on read) and both weighted votes, on rows with missing labels and many ties."""

from __future__ import annotations

import numpy as np
import pixeltable as pxt
import pytest

from pxwidgets import MultiModelConsensus
from pxwidgets.functions.consensus import BATCH_SIZE, majority, weighted
from tests.support.consensus import module_dir

MODELS = ['a', 'b', 'c', 'd']
N = BATCH_SIZE + 300  # more than one batch, the last one partial

home_dir = module_dir()


@pytest.fixture(scope='module')
def built(home_dir: str) -> MultiModelConsensus:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(N):
        row: dict = {'idx': i, 'truth': None if i % 11 == 0 else int(rng.integers(0, 3))}
        for m in MODELS:
            # three classes and four models: many ties; every 13th row of a model missing
            label = None if (i + MODELS.index(m)) % 13 == 0 else int(rng.integers(0, 3))
            row[m] = None if label is None else {'label': label, 'confidence': float(rng.random())}
        rows.append(row)
    t = pxt.create_table(
        f'{home_dir}/votes', {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(MODELS, pxt.Json | None)}
    )
    t.insert(rows)
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in MODELS})
    return c


def test_stored_columns_equal_the_per_row_vote(built: MultiModelConsensus) -> None:
    t = built.table()
    cols = {m: t[f'{m}_label'] for m in MODELS} | {f'{m}_conf': t[f'{m}_conf'] for m in MODELS}
    rs = (
        t.order_by(t.idx)
        .select(
            **cols,
            label=t.consensus_label,
            agreement=t.consensus_agreement,
            tie=t.consensus_tie,
            vote=t.consensus,
            conf_label=t.consensus_weighted_label,
            acc_label=t.consensus_accuracy_weighted_label,
        )
        .collect()
    )
    weights = next(col.data['weights'] for col in built.state().columns if col.part == 'accuracy_weighted')
    ties = 0
    for row in rs:
        labels = [row[m] for m in MODELS]
        confs = [row[f'{m}_conf'] for m in MODELS]
        expected = majority(labels, MODELS, confs)
        assert row['label'] == expected['label']
        assert row['tie'] is expected['tie']
        assert (
            row['agreement'] == pytest.approx(expected['agreement'])
            if expected['agreement'] is not None
            else (row['agreement'] is None)
        )
        # the full vote, computed when read: tied labels and dissenters as the per-row vote reports them
        assert row['vote']['tied'] == expected['tied'] and row['vote']['dissent'] == expected['dissent']
        assert row['conf_label'] == weighted(labels, MODELS, confs)['label']
        assert row['acc_label'] == weighted(labels, MODELS, [weights[m] for m in MODELS])['label']
        ties += expected['tie']
    assert len(rs) == N and ties > 50  # the data exercises ties


def test_the_vote_is_not_stored_and_the_scalars_sql_reads_are(built: MultiModelConsensus) -> None:
    columns = built.table().get_metadata()['columns']
    assert columns['consensus']['is_stored'] is False
    assert columns['consensus_accuracy_weighted']['is_stored'] is False
    for part in ('label', 'agreement', 'weighted_label'):  # what SQL filters, sorts and groups by
        assert columns[f'consensus_{part}']['is_stored'] is True
    for part in ('tie', 'accuracy_weighted_label'):  # read from the label and agreement / per label combination
        assert columns[f'consensus_{part}']['is_stored'] is False
    code = built.to_code()
    assert 'majority_label([t.a_label' in code and 'stored=False' in code


def test_filters_and_count_agree_with_pandas(built: MultiModelConsensus) -> None:
    t = built.table()
    df = t.select(*[t[f'{m}_label'] for m in MODELS]).collect().to_pandas()
    disagree = int((df.nunique(axis=1, dropna=True) > 1).sum())  # missing labels do not disagree
    assert built.count('disagreements') == disagree
    page = built.rows('disagreements', limit=5, count=False)
    assert page['total'] is None and len(page['rows']) == 5
    for r in page['rows']:
        assert r['consensus']['agreement'] < 1.0
