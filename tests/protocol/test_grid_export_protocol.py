"""'Download CSV' on every grid, without a browser: StageBuilder (a stage's rows with its filters, errors-only and
sort) and ConsensusGrid (a filter and an order, incl. a confusion cell). Each CSV is compared with what pandas writes
for the same filtered query in plain Pixeltable, with hostile text (formula starts, quotes, commas, newlines) in it;
Cancel stops an export between chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import ConsensusGrid, MultiModelConsensus, StageBuilder
from pxwidgets.errors import CancelledError
from pxwidgets.panels.base import ProgressReporter
from tests.support.exports import HOSTILE, bare_formulas, download, expected_csv, export_request
from tests.support.tables import make_mixed_table

# ---- StageBuilder ---------------------------------------------------------------------------------------------------


@pytest.fixture
def stages(pxt_dir: str, tmp_path: Path) -> StageBuilder:
    t = make_mixed_table(f'{pxt_dir}/photos', tmp_path / 'media', n=14)
    t.update({'title': HOSTILE[0]}, where=t.n == 4)
    for i, text in enumerate(HOSTILE):
        t.update({'title': text}, where=t.n == i + 5)
    pxt.create_view(f'{pxt_dir}/wide', t.where(t.n > 2))
    return StageBuilder(t)


def test_stage_rows_export_is_the_csv_pandas_writes(stages: StageBuilder, pxt_dir: str) -> None:
    graph = stages.handle_request('graph')['payload']
    view = next(n['id'] for n in graph['nodes'] if n['table'] == f'{pxt_dir}/wide')
    request = export_request(('title', False), [{'column': 'n', 'op': '<', 'value': 13}], stage=view, chunk_rows=3)
    text, replies = download(stages, request)
    w = pxt.get_table(f'{pxt_dir}/wide')
    assert text == expected_csv(w, w.where(w.n < 13).order_by(w.title, asc=False).order_by(w.n))
    assert "'=1+2" in text and "'@A1" in text and '"a,""b""\nc"' in text  # escaped, quoted: one cell each
    assert bare_formulas(text) == [] and bare_formulas('x\n=1+2\n') == ['=1+2']
    assert [r['rows'] for r in replies] == [3, 3, 3, 1] and replies[-1]['done'] == replies[-1]['total'] == 10
    assert replies[0]['filename'] == f'{pxt_dir}_wide.csv'
    assert '.where(t.n < 13).order_by(t.title, asc=False).collect().to_pandas()' in replies[0]['pandas_code']

    # errors only: the rows whose computed column failed (odd n), in table order
    text, replies = download(stages, {**request, 'filters': [], 'order_by': None, 'errors_only': True, 'chunk_rows': 4})
    assert text == expected_csv(w, w.where(w.tenfold.errortype != None).order_by(w.n))  # noqa: E711
    assert replies[-1]['done'] == 6  # n = 3, 5, 7, 9, 11, 13


def test_unknown_stage_and_bad_fields_are_refused(stages: StageBuilder) -> None:
    reply = stages.handle_request('export_csv', {'stage': 'nope', 'filters': [], 'errors_only': False})
    assert not reply['ok']
    reply = stages.handle_request('export_csv', {'stage': 'photos', 'filters': [], 'errors_only': False, 'done': -1})
    assert not reply['ok'] and 'done' in reply['error']['message']


# ---- ConsensusGrid --------------------------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def consensus(pxt_home: object) -> ConsensusGrid:
    """Two 'models' (stored label columns, adopted) over text notes, with hostile labels and notes."""
    import uuid

    d = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(d)
    t = pxt.create_table(
        f'{d}/notes', {'idx': pxt.Int, 'note': pxt.String, 'a': pxt.String, 'b': pxt.String, 'truth': pxt.String}
    )
    labels = ['cat', '=cmd|calc', '-1', 'dog,"x"']
    t.insert(
        {
            'idx': i,
            'note': HOSTILE[i % len(HOSTILE)],
            'a': labels[i % 4],
            'b': labels[(i // 3) % 4],
            'truth': labels[i % 4] if i % 5 else labels[(i + 1) % 4],
        }
        for i in range(23)
    )
    c = MultiModelConsensus(t, 'note', ground_truth='truth')
    c.add_models({'a': 'a', 'b': 'b'})
    return ConsensusGrid(c)


@pytest.mark.parametrize(
    ('query', 'where', 'order'),
    [
        ({'filter': 'disagreements', 'order': 'agreement', 'asc': True}, lambda t: t.a != t.b, 'agreement'),
        ({'filter': 'model_wrong', 'model': 'a'}, lambda t: (t.truth != None) & (t.a != t.truth), None),  # noqa: E711
        (
            {'filter': 'confusion', 'model': 'b', 'reference': 'truth', 'actual': '-1', 'predicted': '=cmd|calc'},
            lambda t: (t.truth == '-1') & (t.b == '=cmd|calc'),
            None,
        ),
        ({'filter': 'all', 'order': 'agreement', 'asc': False}, None, 'agreement-desc'),
    ],
)
def test_consensus_export_is_the_csv_pandas_writes(
    consensus: ConsensusGrid, query: dict[str, Any], where: Any, order: str | None
) -> None:
    t = pxt.get_table(consensus.table)
    q: Any = t if where is None else t.where(where(t))
    if order:
        q = q.order_by(t.consensus_agreement, asc=order == 'agreement')
    expected = expected_csv(t, q.order_by(t.idx))
    text, replies = download(consensus, {**query, 'offset': 25, 'limit': 25, 'chunk_rows': 4})
    assert text == expected and replies[-1]['done'] >= 1
    assert replies[-1]['done'] == replies[-1]['total'] == len(q.select(t.idx).collect())
    assert "'=cmd|calc" in text and bare_formulas(text) == []
    name = query['filter']
    assert replies[0]['filename'] == consensus.table.replace('/', '_') + ('.csv' if name == 'all' else f'-{name}.csv')
    # the code shown with the page is the export's: the same rows as a DataFrame
    page = consensus.handle_request('rows', {**query, 'limit': 5})['payload']
    assert page['pandas_code'] in replies[0]['pandas_code'] and '.collect().to_pandas()' in page['pandas_code']
    assert replies[0]['pandas_code'].startswith(f'import pixeltable as pxt\n\nt = pxt.get_table({consensus.table!r})')


def test_consensus_export_refuses_what_the_grid_refuses(consensus: ConsensusGrid) -> None:
    reply = consensus.handle_request('export_csv', {'filter': 'model_wrong', 'model': 'nobody'})
    assert not reply['ok'] and 'nobody' in reply['error']['message']


def test_cancel_stops_an_export_between_chunks(consensus: ConsensusGrid) -> None:
    """A Cancel click (the shell sends it for the running request) makes the next chunk raise, not answer."""
    progress = ProgressReporter(lambda _msg: None, 'r1')
    first = consensus._export_csv({'filter': 'all', 'chunk_rows': 5}, progress)
    assert first[0]['next'] is not None and first[0]['rows'] == 5
    progress.cancelled.set()
    with pytest.raises(CancelledError):
        consensus._export_csv({'filter': 'all', 'chunk_rows': 5, 'after': first[0]['next'], 'done': 5}, progress)
    reply = consensus.handle_request('export_csv', {'filter': 'all', 'chunk_rows': 5})
    assert reply['ok']  # a new export starts afresh


def test_consensus_python_api_writes_the_same_file(consensus: ConsensusGrid, tmp_path: Path) -> None:
    text, replies = download(consensus, {'filter': 'disagreements', 'order': 'agreement'})
    written = consensus.consensus.export_csv(tmp_path / 'd.csv', 'disagreements', order='agreement')
    assert (tmp_path / 'd.csv').read_bytes().decode() == text and written == replies[-1]['done'] > 0
