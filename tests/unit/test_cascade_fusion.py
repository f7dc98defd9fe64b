"""Fusions on hand-made hits: LlamaIndex's relative-score and distribution-based formulas, weights, fusion over
documents, and cross-validation that never judges a query with a fusion chosen on it."""

from __future__ import annotations

import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.cascade.choice import cross_validate
from pxwidgets.patterns.cascade.fusion import DOCUMENT, Fusion, fuse
from pxwidgets.patterns.cascade.hits import Hit


def _hit(level: str, doc: str, score: float, rank: int) -> Hit:
    return Hit(level, doc, doc, '', doc, 'section', 0, 10, score, rank)


def test_relative_score_is_min_max_normalised_and_weighted() -> None:
    a = [_hit('a', 'x', 0.9, 1), _hit('a', 'y', 0.5, 2), _hit('a', 'z', 0.1, 3)]
    b = [_hit('b', 'z', 0.8, 1), _hit('b', 'x', 0.2, 2)]
    fused = fuse({'a': a, 'b': b}, None, Fusion('relative_score', {'a': 1.0, 'b': 2.0}, at=DOCUMENT))
    # a: x 1, y 0.5, z 0; b: z 1, x 0 -> x 1, y 0.5, z 2
    assert [(h.doc_key, round(h.score, 6)) for h in fused] == [('z', 2.0), ('x', 1.0), ('y', 0.5)]


def test_dist_score_clips_at_three_standard_deviations() -> None:
    scores = [0.9, 0.5, 0.1]
    hits = [_hit('a', d, s, i) for i, (d, s) in enumerate(zip('xyz', scores, strict=True), 1)]
    fused = fuse({'a': hits}, None, Fusion('dist_score', at=DOCUMENT))
    mean, std = sum(scores) / 3, (sum((s - sum(scores) / 3) ** 2 for s in scores) / 3) ** 0.5
    lo, hi = mean - 3 * std, mean + 3 * std
    assert [round(h.score, 6) for h in fused] == [round((s - lo) / (hi - lo), 6) for s in scores]


def test_rrf_weights_and_zero_weight_leaves_a_level_out() -> None:
    a = [_hit('a', 'x', 0.9, 1), _hit('a', 'y', 0.5, 2)]
    b = [_hit('b', 'y', 0.8, 1)]
    assert [h.doc_key for h in fuse({'a': a, 'b': b}, None, Fusion('rrf', at=DOCUMENT))] == ['y', 'x']
    assert [h.doc_key for h in fuse({'a': a, 'b': b}, None, Fusion('rrf', {'b': 0}, at=DOCUMENT))] == ['x', 'y']
    with pytest.raises(InvalidRequestError):
        Fusion('borda')
    with pytest.raises(InvalidRequestError):
        Fusion('rrf', {'a': -1})


def test_cross_validation_judges_each_query_with_a_fusion_chosen_without_it() -> None:
    # level a finds the answer on queries 0-5, level b on 6-7, never both: every fold's training queries are mostly
    # a-queries, so its b-queries are judged by an a-weighted fusion and miss
    per_query, relevants = [], []
    for i in range(8):
        good, bad = ('a', 'b') if i < 6 else ('b', 'a')
        lists = {good: [_hit(good, 'r', 0.9, 1)], bad: [_hit(bad, 'w', 0.95, 1)]}
        per_query.append({'a': lists['a'], 'b': lists['b']})  # one level order: ties cannot favour the answer
        relevants.append({'r'})
    choice = cross_validate(per_query, [None] * 8, relevants, 1, ['a', 'b'], folds=4)
    assert choice.folds == 4 and len(choice.per_fold) == 4
    held = choice.held_out['chosen']
    assert held.queries == 8 and held.ndcg == pytest.approx(6 / 8) and held.mrr == pytest.approx(6 / 8)
    assert [row[:1] for row in choice.rankings['chosen']] == [['r']] * 6 + [['w']] * 2
    assert choice.chosen.weight('a') > choice.chosen.weight('b')
    assert set(choice.held_out) == {'rrf', 'relative_score', 'dist_score', 'chosen'}  # no BM25 list: no hybrid
