"""MultiModelConsensus on real Pixeltable: digits with three real classifiers, a hand-made column and ground truth."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pixeltable as pxt
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from pxwidgets import MultiModelConsensus
from pxwidgets.demo.classifiers import classify_digit
from pxwidgets.errors import InvalidParameterError, NotebookUDFError, PlanChangedError
from pxwidgets.patterns.consensus import (
    ConfirmationRequiredError,
    MixedKindsError,
    ModelInUseError,
    ModelNameError,
    ModelNotFoundError,
    NoGroundTruthError,
    NotEnoughModelsError,
)
from tests.support.consensus import digit_records, digits_table, fake_boxes, first_model_wins, flaky_digit, module_dir
from tests.unit.test_progressive_helpers import notebook_udf, run_fresh

MODELS = ['logreg', 'knn', 'hand']


home_dir = module_dir()


@pytest.fixture(scope='module')
def built(home_dir: str) -> MultiModelConsensus:
    """60 digits; knn added by hand with plain Pixeltable before the consensus existed; 'hand' a stored column."""
    t = digits_table(f'{home_dir}/digits', 60)
    t.add_computed_column(knn=classify_digit(t.image, model='knn'))  # made without pxwidgets
    c = MultiModelConsensus(t, 'image', ground_truth='label')
    c.add_model('logreg', 'classify_digit', params={'model': 'logreg'})
    # adopt the existing column of that name, and a plain stored Int column: checked together, one rebuild
    c.add_models({'knn': 'knn', 'hand': 'hand'})
    return c


def labels_of(c: MultiModelConsensus) -> dict[str, list]:
    t = c.table()
    cols = {m: t[f'{m}_label'] for m in MODELS} | {'truth': t.consensus_truth, 'consensus': t.consensus_label}
    rs = t.order_by(t.idx).select(**cols, tie=t.consensus_tie, agreement=t.consensus_agreement).collect()
    return {k: list(rs[k]) for k in [*cols, 'tie', 'agreement']}


def version(c: MultiModelConsensus) -> int:
    return int(pxt.get_table(c.path).get_metadata()['version'])


def version_of(t: pxt.Table) -> int:
    return int(t.get_metadata()['version'])


def test_models_and_columns(built: MultiModelConsensus) -> None:
    assert [m.name for m in built.models] == MODELS
    logreg, knn, hand = built.models
    assert not logreg.adopted and logreg.seconds_per_row is not None and logreg.seconds_per_row > 0
    assert knn.adopted and knn.seconds_per_row is None and knn.computed
    assert hand.adopted and not hand.computed and hand.confidence_column is None
    assert logreg.confidence_column == 'logreg_conf' and knn.confidence_column == 'knn_conf'
    assert built.kind == 'labels'
    assert built.columns()['label'] == 'consensus_label'
    assert {'weighted_label', 'accuracy_weighted_label', 'tie', 'agreement'} <= set(built.columns())


def test_every_row_holds_the_majority_vote(built: MultiModelConsensus) -> None:
    data = labels_of(built)
    ties = 0
    for i in range(60):
        votes = Counter(data[m][i] for m in MODELS)
        (top, n), *rest = votes.most_common()
        if rest and rest[0][1] == n:
            ties += 1
            assert data['consensus'][i] is None and data['tie'][i] is True
        else:
            assert data['consensus'][i] == top and data['tie'][i] is False
            assert data['agreement'][i] == pytest.approx(n / 3)
    assert ties == sum(data['tie'])


def test_metrics_equal_sklearn_and_statsmodels_on_the_raw_labels(built: MultiModelConsensus) -> None:
    data = labels_of(built)
    m = built.metrics()
    summary = m.summary.set_index('model')
    scored = [i for i in range(60) if data['truth'][i] is not None]
    assert len(scored) < 60  # missing ground truth is allowed and left out
    for model in MODELS:
        truth = [data['truth'][i] for i in scored]
        pred = [data[model][i] for i in scored]
        p, r, f, _ = precision_recall_fscore_support(
            truth, pred, labels=sorted(set(truth)), average='macro', zero_division=0
        )
        row = summary.loc[model]
        assert row['scored_rows'] == len(scored)
        assert row['accuracy'] == pytest.approx(accuracy_score(truth, pred))
        assert (row['precision'], row['recall'], row['f1']) == pytest.approx((p, r, f))
    for a in MODELS:
        for b in MODELS:
            if a != b:
                assert m.kappa is not None
                assert m.kappa.loc[a, b] == pytest.approx(cohen_kappa_score(data[a], data[b]))
    table, _ = aggregate_raters(np.array([[data[x][i] for x in MODELS] for i in range(60)]))
    assert m.fleiss == pytest.approx(fleiss_kappa(table, method='fleiss'))
    assert m.fleiss_rows == 60
    majority = summary.loc['consensus (majority)']
    truth = [data['truth'][i] for i in scored]
    cons = [data['consensus'][i] or '\u2205' for i in scored]  # a tie counts as wrong
    assert majority['accuracy'] == pytest.approx(accuracy_score(truth, cons))
    assert m.groups < 60  # computed from distinct label combinations, not rows


def test_confusion_matrix_and_best_model(built: MultiModelConsensus) -> None:
    data = labels_of(built)
    scored = [i for i in range(60) if data['truth'][i] is not None]
    cm = built.confusion_matrix('hand')
    truth = [data['truth'][i] for i in scored]
    pred = [data['hand'][i] for i in scored]
    labels = list(cm.columns)
    assert cm.to_numpy().tolist() == confusion_matrix(truth, pred, labels=labels).tolist()
    summary = built.summary().set_index('model')
    best = built.best_model('accuracy')
    assert summary.loc[best, 'accuracy'] == summary.loc[MODELS, 'accuracy'].max()
    assert best != 'hand'  # hand is wrong on every 4th row
    for fig in (
        built.leaderboard_figure(),
        built.kappa_figure(),
        built.cost_quality_figure(),
        built.confusion_figure('knn'),
    ):
        assert fig.data  # each figure has a trace
    assert list(built.kappa_figure().data[0].x) == MODELS


def test_filters_are_database_predicates(built: MultiModelConsensus) -> None:
    data = labels_of(built)
    rows = range(60)
    expected = {
        'disagreements': sum(1 for i in rows if data['agreement'][i] < 1.0),
        'ties': sum(data['tie']),
        'consensus_wrong': sum(
            1 for i in rows if data['truth'][i] is not None and data['consensus'][i] != data['truth'][i]
        ),
    }
    for flt, n in expected.items():
        page = built.rows(flt, limit=200)
        assert page['total'] == n == len(page['rows']), flt
    wrong = built.rows('model_wrong', model='hand', limit=200)
    assert wrong['total'] == sum(
        1 for i in rows if data['truth'][i] is not None and data['hand'][i] != data['truth'][i]
    )
    assert all(r['models']['hand']['label'] != r['truth'] for r in wrong['rows'])
    differ = built.rows('models_differ', model='hand', other='knn', limit=5)
    assert differ['total'] == sum(1 for i in rows if data['hand'][i] != data['knn'][i])
    assert all(r['models']['hand']['label'] != r['models']['knn']['label'] for r in differ['rows'])
    assert 'where(t.consensus_agreement < 1.0)' in built.rows('disagreements', limit=1)['code']
    ordered = built.rows(order='agreement', limit=60)['rows']
    agreements = [r['consensus']['agreement'] for r in ordered]
    assert agreements == sorted(agreements)
    first = ordered[0]
    assert first['image'] is not None and first['image'].width == 64
    assert set(first['models']) == set(MODELS)


def test_a_confidence_weighted_vote_uses_confidences(built: MultiModelConsensus) -> None:
    t = built.table()
    rs = t.select(t.consensus_weighted, t.logreg_conf, t.knn_conf).collect()
    for w, lc, kc in zip(rs['consensus_weighted'], rs['logreg_conf'], rs['knn_conf'], strict=True):
        # 'hand' has no confidence: it votes with weight 0
        assert sum(w['scores'].values()) == pytest.approx(lc + kc)


def test_new_rows_get_every_consensus_column(built: MultiModelConsensus) -> None:
    before = built.summary().set_index('model')
    t = built.table()
    t.insert(digit_records(12, offset=60))
    assert t.count() == 72
    rs = t.where(t.idx >= 60).select(t.logreg_label, t.consensus, t.consensus_agreement).collect()
    assert all(v is not None for v in rs['logreg_label'])
    assert all(v['n_valid'] == 3 for v in rs['consensus'])
    after = built.summary().set_index('model')
    assert after.loc['logreg', 'rows'] == 72 and before.loc['logreg', 'rows'] == 60
    assert after.loc['logreg', 'scored_rows'] > before.loc['logreg', 'scored_rows']


def test_open_in_a_fresh_process(built: MultiModelConsensus) -> None:
    seen = run_fresh(f"""
        import json
        from pxwidgets import MultiModelConsensus
        c = MultiModelConsensus.open({built.path!r})
        s = c.summary().set_index('model')
        print(json.dumps({{'models': [m.name for m in c.models], 'kind': c.kind, 'truth': c.ground_truth,
                          'input': c.input, 'acc': float(s.loc['knn', 'accuracy']), 'best': c.best_model()}}))
    """)
    summary = built.summary().set_index('model')
    assert seen['models'] == MODELS and seen['kind'] == 'labels'
    assert seen['truth'] == 'label' and seen['input'] == 'image'
    assert seen['acc'] == pytest.approx(summary.loc['knn', 'accuracy'])
    assert seen['best'] == built.best_model()


def test_open_refuses_a_table_without_consensus(built: MultiModelConsensus, home_dir: str) -> None:
    pxt.create_table(f'{home_dir}/plain', {'x': pxt.Int}, if_exists='replace')
    with pytest.raises(ModelNotFoundError):
        MultiModelConsensus.open(f'{home_dir}/plain')
    with pytest.raises(ModelNotFoundError, match='consensus'):
        MultiModelConsensus.open(built.path, name='other')


def test_bad_input_is_refused_and_the_table_version_is_unchanged(built: MultiModelConsensus) -> None:
    t = built.table()
    v = version(built)
    with pytest.raises(MixedKindsError, match='detections'):
        built.add_model('boxes', fake_boxes(t.idx))
    with pytest.raises(ModelNameError, match='already has a column'):
        built.add_model('idx', 'classify_digit')  # collides with a column
    with pytest.raises(ModelNameError, match='already has a model'):
        built.add_model('knn', 'classify_digit')
    with pytest.raises(ModelNameError):
        built.add_model('stored', 'classify_digit')  # an add_computed_column keyword
    with pytest.raises(ModelNameError, match='ground truth'):
        built.add_model('label')
    with pytest.raises(ModelNotFoundError):
        built.add_model('nope', 'no_such_transform')
    with pytest.raises(InvalidParameterError, match='model'):
        built.add_model('svc', 'classify_digit', params={'model': 'gpt'})
    with pytest.raises(NotebookUDFError, match='kernel restart'):
        built.add_model('nb', notebook_udf())  # stored as __main__.double_it: refused
    with pytest.raises(ConfirmationRequiredError) as info:
        built.remove_model('hand')
    assert info.value.details['plan']['steps']
    assert version(built) == v


def test_a_single_model_and_no_ground_truth(home_dir: str) -> None:
    t = digits_table(f'{home_dir}/single', 12)
    c = MultiModelConsensus(t, 'image', name='solo')
    c.add_model('logreg', 'classify_digit', params={'model': 'logreg'})
    with pytest.raises(NotEnoughModelsError, match='at least 2'):
        c.kappa()
    with pytest.raises(NotEnoughModelsError):
        c.rows('disagreements')
    assert c.columns() == {}  # no consensus columns until a second model
    with pytest.raises(NoGroundTruthError):
        c.confusion_matrix('logreg', 'truth')
    c.add_model('hand')
    summary = c.summary().set_index('model')
    assert summary.loc['logreg', 'reference'] == 'consensus'  # scored against the consensus without ground truth
    with pytest.raises(NoGroundTruthError):
        c.rows('consensus_wrong')


def test_a_failing_model_shows_its_errors_and_the_consensus_uses_the_rest(home_dir: str) -> None:
    t = digits_table(f'{home_dir}/flaky', 30)
    c = MultiModelConsensus(t, 'image', ground_truth='label', name='vote')
    c.add_model('hand')
    c.add_model('flaky', flaky_digit(t.idx, t.label))
    failing = [i for i in range(30) if i % 7 == 0]
    page = c.rows('model_failed', model='flaky', limit=50)
    assert page['total'] == len(failing)
    assert all('flaky model failed' in r['models']['flaky']['error']['errormsg'] for r in page['rows'])
    row = t.where(t.idx == 7).select(t.vote).collect()[0]['vote']
    assert row['missing'] == ['flaky'] and row['n_valid'] == 1 and row['agreement'] == 1.0
    summary = c.summary().set_index('model')
    assert summary.loc['flaky', 'failed_rows'] == len(failing)
    # no output where it failed, nor where its label input is missing (Pixeltable does not call it on None)
    unanswered = [i for i in range(30) if i % 7 == 0 or i % 9 == 4]
    assert summary.loc['flaky', 'coverage'] == pytest.approx(1 - len(unanswered) / 30)


def test_consensus_fn_and_remove_model_by_confirmed_plan(home_dir: str) -> None:
    t = digits_table(f'{home_dir}/remove', 20)
    t.add_computed_column(reads_hand=t.hand + 1)  # a user's column that reads a model column
    c = MultiModelConsensus(t, 'image', ground_truth='label')
    v = version_of(t)
    with pytest.raises(ModelNameError, match='idx'):  # one bad model in a batch: nothing of the batch is written
        c.add_models({'logreg': ('classify_digit', {'model': 'logreg'}), 'idx': 'classify_digit'})
    assert version_of(t) == v and c.models == []
    c.add_models(
        {
            'logreg': ('classify_digit', {'model': 'logreg'}),
            'hand': 'hand',
            'nb': ('classify_digit', {'model': 'naive_bayes'}),
        }
    )
    assert [m.name for m in c.models] == ['logreg', 'hand', 'nb']
    c.rebuild(consensus_fn=first_model_wins)
    rs = t.select(t.consensus_custom_label, t.logreg_label).collect()
    assert list(rs['consensus_custom_label']) == list(rs['logreg_label'])
    assert 'consensus (custom)' in set(c.summary()['model'])

    plan = c.plan_remove_model('logreg')
    assert 'drop column logreg of model logreg' in plan.describe()
    assert plan.steps[-1].action == 'rebuild'
    t.add_computed_column(extra=t.idx * 2)  # the catalog changes: the confirmed plan is stale
    v = version(c)
    with pytest.raises(PlanChangedError):
        c.remove_model('logreg', expect=plan)
    assert version(c) == v
    c.remove_model('logreg', expect=c.plan_remove_model('logreg'))
    assert [m.name for m in c.models] == ['hand', 'nb']
    assert 'logreg' not in t.columns() and 'logreg_label' not in t.columns()
    assert c.columns()['vote'] == 'consensus'
    assert t.select(t.consensus).collect()[0]['consensus']['n_models'] == 2
    assert 'custom' in c.columns()  # the consensus_fn survives a rebuild
    t.add_computed_column(reads_nb=t.nb_label)  # a user's column that reads a column of the model
    t.add_computed_column(reads_vote=t.consensus_agreement * 2)  # and one that reads the consensus
    v = version(c)
    with pytest.raises(ModelInUseError, match='reads_nb reads nb_label') as info:
        c.plan_remove_model('nb')
    assert info.value.details['dependents'] == ['reads_nb', 'reads_vote']
    with pytest.raises(ModelInUseError, match='reads_vote'):
        c.add_model('svc', 'classify_digit', params={'model': 'logreg'})
    assert version(c) == v and 'svc' not in t.columns()
    t.drop_column('reads_vote')
    plan = c.plan_remove_model('hand')  # adopted: its column stays, and reads_hand with it
    assert plan.warnings and 'kept' in plan.warnings[0]
    c.remove_model('hand', expect=plan.token)
    assert 'hand' in t.columns() and 'reads_hand' in t.columns() and 'hand_label' not in t.columns()
    assert c.columns() == {}  # one model left: no consensus until another is added
