"""One consensus compares labels of one type: a model whose labels are numbers cannot join string labels (its votes
would never agree), unless the user maps them explicitly; the refusal writes nothing and the panel shows why."""

from __future__ import annotations

import pixeltable as pxt
import pytest

from pxwidgets import ConsensusGrid, MultiModelConsensus
from pxwidgets.functions.consensus import label_text, map_label
from pxwidgets.patterns.consensus import LabelTypeError
from tests.support.consensus import flaky_digit, module_dir

ANIMALS = ['cat', 'dog', 'cat', 'bird', 'dog', 'cat']


home_dir = module_dir()


def animals(path: str) -> pxt.Table:
    """Three string-label models (a, b, c), an Int column (idx) and a Bool one (flag)."""
    t = pxt.create_table(
        path, {'idx': pxt.Int, 'a': pxt.String, 'b': pxt.String, 'c': pxt.String, 'flag': pxt.Bool, 'truth': pxt.Int}
    )
    t.insert({'idx': i, 'a': x, 'b': x, 'c': 'cat', 'flag': i % 2 == 0, 'truth': i % 3} for i, x in enumerate(ANIMALS))
    return t


def version(t: pxt.Table) -> int:
    return int(t.get_metadata()['version'])


def test_a_number_model_is_refused_by_a_consensus_of_string_labels(home_dir: str) -> None:
    t = animals(f'{home_dir}/animals')
    c = MultiModelConsensus(t)
    c.add_models({'a': 'a', 'b': 'b', 'c': 'c'})
    v, columns = version(t), t.columns()
    with pytest.raises(LabelTypeError, match='number labels') as info:
        c.add_model('num', t.idx)
    assert info.value.code == 'label_type'
    assert info.value.details == {'model_label_type': 'number', 'consensus_label_type': 'string'}
    assert 'map_label' in str(info.value.hint)
    with pytest.raises(LabelTypeError, match='bool labels'):
        c.add_model('flag')  # an adopted Bool column
    with pytest.raises(LabelTypeError):  # a batch with one wrong model writes nothing of the batch
        c.add_models({'ok': label_text(t.c), 'num': t.idx})
    assert version(t) == v and t.columns() == columns and [m.name for m in c.models] == ['a', 'b', 'c']

    # the panel refuses it the same way and shows the reason
    reply = ConsensusGrid(c).handle_request('add', {'name': 'num', 'transform': 'idx'})
    assert reply['ok'] is False and reply['error']['code'] == 'label_type'
    assert 'number' in reply['error']['message'] and 'string' in reply['error']['message']
    assert version(t) == v

    # mapped explicitly by the user, the same column joins the vote and can agree with the others
    c.add_model('num', map_label(t.idx, {'0': 'cat', '1': 'dog', '2': 'cat'}, default='bird'))
    rows = t.order_by(t.idx).select(t.num_label, t.consensus_agreement).collect()
    assert list(rows['num_label']) == ['cat', 'dog', 'cat', 'bird', 'bird', 'bird']
    assert rows['consensus_agreement'][0] == 1.0  # cat, cat, cat, cat: the mapped model agrees


def test_the_ground_truth_sets_the_label_type_of_a_new_consensus(home_dir: str) -> None:
    t = animals(f'{home_dir}/truth')
    c = MultiModelConsensus(t, ground_truth='truth')
    v = version(t)
    with pytest.raises(LabelTypeError, match="ground truth 'truth'"):
        c.add_models({'a': 'a', 'b': 'b'})
    assert version(t) == v and c.models == []
    c.add_models({'num': t.idx % 3, 'flagged': 'idx'})  # numbers, like the truth
    assert [m.name for m in c.models] == ['num', 'flagged']


def test_labels_of_the_same_type_from_json_outputs_are_accepted(home_dir: str) -> None:
    t = animals(f'{home_dir}/json')
    c = MultiModelConsensus(t)
    c.add_model('a')
    with pytest.raises(LabelTypeError, match='number labels'):
        c.add_model('scored', flaky_digit(t.idx, t.truth))  # {'label': <int>, 'confidence': 0.5}, failing on row 0
    c.add_model('text', label_text(t.b))  # strings, as the consensus's
    assert [m.name for m in c.models] == ['a', 'text']


def test_pages_in_table_order_stay_in_insertion_order_after_updates(home_dir: str) -> None:
    """Rows move in Postgres's heap when they are updated (every update writes a new row version); the table order
    is Pixeltable's row order, so pages neither repeat nor skip rows."""
    n = 30
    t = pxt.create_table(f'{home_dir}/moved', {'idx': pxt.Int, 'a': pxt.String, 'b': pxt.String})
    t.insert({'idx': i, 'a': 'cat', 'b': 'cat'} for i in range(n))
    c = MultiModelConsensus(t, ground_truth=None)
    c.add_models({'a': 'a', 'b': 'b'})
    t.update({'b': 'dog'}, where=t.idx % 3 == 0)  # these rows now sit at the end of the heap
    seen = [row['models']['b']['label'] for offset in range(0, n, 7) for row in c.rows(offset=offset, limit=7)['rows']]
    assert seen == ['dog' if i % 3 == 0 else 'cat' for i in range(n)]
