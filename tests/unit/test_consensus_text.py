"""Free-text answers: agreement by normalised exact match, or by meaning (wordllama embeddings, offline)."""

from __future__ import annotations

import pixeltable as pxt
import pytest

from pxwidgets import MultiModelConsensus
from pxwidgets.errors import InvalidRequestError
from tests.support.consensus import module_dir

ANSWERS = [
    # (a, b, c)
    ('The cat sat on the mat.', 'the cat sat on the mat', 'A cat is sitting on the mat'),
    ('Paris is the capital of France', 'paris is the capital of france!', 'Dogs bark loudly at night'),
    ('red', 'blue', 'green'),
]


home_dir = module_dir()


def answers_table(path: str) -> pxt.Table:
    t = pxt.create_table(path, {'q': pxt.Int, 'a': pxt.String, 'b': pxt.String, 'c': pxt.String})
    t.insert({'q': i, 'a': a, 'b': b, 'c': c} for i, (a, b, c) in enumerate(ANSWERS))
    return t


def votes(c: MultiModelConsensus) -> list[dict]:
    t = c.table()
    return list(t.order_by(t.q).select(t.consensus).collect()['consensus'])


def test_exact_match_after_normalising(home_dir: str) -> None:
    c = MultiModelConsensus(answers_table(f'{home_dir}/exact'), kind='text')
    c.add_models({'a': 'a', 'b': 'b', 'c': 'c'})
    assert c.kind == 'text'
    first, second, third = votes(c)
    assert first['label'] == 'the cat sat on the mat' and first['dissent'] == ['c']  # case and punctuation ignored
    assert second['label'] == 'paris is the capital of france' and second['agreement'] == pytest.approx(2 / 3)
    assert third['tie'] and third['label'] is None


def test_agreement_by_meaning(home_dir: str) -> None:
    t = answers_table(f'{home_dir}/meaning')
    c = MultiModelConsensus(t, kind='text', options={'text_match': 'embedding', 'similarity_threshold': 0.8})
    c.add_models({'a': 'a', 'b': 'b', 'c': 'c'})
    first, second, third = votes(c)
    assert first['groups'] == [['a', 'b', 'c']] and first['agreement'] == 1.0  # a paraphrase agrees by meaning
    assert second['groups'] == [['a', 'b'], ['c']] and second['dissent'] == ['c']
    assert third['tie']
    assert c.rows('disagreements')['total'] == 2
    reopened = MultiModelConsensus.open(t)
    assert reopened.options['text_match'] == 'embedding'
    assert 'text_vote(' in c.to_code()


def test_bad_options_are_refused(home_dir: str) -> None:
    t = answers_table(f'{home_dir}/bad')
    for options in ({'text_match': 'fuzzy'}, {'similarity_threshold': 2.0}, {'min_votes': 0}, {'nope': 1}):
        with pytest.raises(InvalidRequestError):
            MultiModelConsensus(t, kind='text', options=options)
