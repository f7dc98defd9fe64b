"""CSV export through the panel's 'export_csv' command: chunk after chunk, the same text pandas writes for the same
query; progress, Cancel, and the row limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import TableBrowser
from pxwidgets.errors import CancelledError
from pxwidgets.panels.base import ProgressReporter
from pxwidgets.panels.exports import export_chunk
from pxwidgets.tables import Filter, PageQuery
from pxwidgets.tables.export import csv_chunks, export_csv
from tests.support.exports import HOSTILE, bare_formulas, download, expected_csv, export_request
from tests.support.tables import make_mixed_table


@pytest.fixture
def mixed(pxt_dir: str, tmp_path: Path) -> pxt.Table:
    return make_mixed_table(f'{pxt_dir}/mixed', tmp_path / 'media', n=17)


def pandas_csv(t: pxt.Table, where: Any, order: Any, asc: bool) -> str:
    """What pandas writes for the query: media as file URLs, JSON and arrays as JSON text, integers as integers."""
    q = t.where(where).order_by(order, asc=asc)
    cols = {c: t[c] for c in t.columns()}
    cols['image'] = t.image.fileurl
    df = q.select(**cols).collect().to_pandas()
    df['dets'] = df['dets'].map(lambda v: None if v is None else json.dumps(v))
    df['vec'] = df['vec'].map(lambda v: None if v is None else json.dumps(v.tolist()))
    for c in ('n', 'tenfold', 'width'):
        df[c] = df[c].astype('Int64')
    return str(df.to_csv(index=False))


def test_chunks_are_the_csv_pandas_writes(mixed: pxt.Table) -> None:
    browser = TableBrowser(mixed)
    request = export_request(('score', False), [{'column': 'n', 'op': '>', 'value': 1}], chunk_rows=4)
    text, replies = download(browser, request)
    assert text == pandas_csv(mixed, mixed.n > 1, mixed.score, asc=False)
    assert [r['rows'] for r in replies] == [4, 4, 4, 3]  # 15 rows, header once
    assert replies[-1]['done'] == replies[-1]['total'] == 15 and not replies[-1]['truncated']
    assert replies[0]['filename'].endswith('mixed.csv') and 'image' in replies[0]['columns']
    # the code shown for the same query in pandas
    page = browser.handle_request('page', request)['payload']
    assert '.where(t.n > 1).order_by(t.score, asc=False).collect().to_pandas()' in page['pandas_code']


def test_export_survives_rows_changing_between_chunks(mixed: pxt.Table, tmp_path: Path) -> None:
    query = PageQuery(order_by=('n', True))
    chunks = csv_chunks(mixed, query, chunk_rows=5)
    first = next(chunks)
    mixed.delete(mixed.n == 2)  # a row already written
    mixed.insert([{'image': str(tmp_path / 'media' / 'photo_000.jpg'), 'title': 'late', 'n': 100, 'score': 1.0}])
    rest = ''.join(c.data.decode() for c in chunks)
    ns = [line.split(',')[2] for line in (first.data.decode() + rest).splitlines()[1:]]
    assert ns == [*map(str, range(17)), '100']  # no row twice, none missing, the new one at its place


def test_cancel_stops_the_chunk(mixed: pxt.Table) -> None:
    progress = ProgressReporter(lambda _msg: None, 'r1')
    progress.cancelled.set()
    with pytest.raises(CancelledError):
        export_chunk(TableBrowser(mixed).path, {'filters': [], 'errors_only': False}, progress)


def test_row_limit_and_python_api(mixed: pxt.Table, tmp_path: Path) -> None:
    chunks = list(csv_chunks(mixed, PageQuery(filters=(Filter('n', '<', 15),)), chunk_rows=4, max_rows=10))
    assert [c.rows for c in chunks] == [4, 4, 2] and chunks[-1].truncated and chunks[-1].next is None
    written = export_csv(mixed, tmp_path / 'all.csv', PageQuery(order_by=('title', True)))
    assert written == 17 and (tmp_path / 'all.csv').read_text().count('\n') == 18


def test_hostile_text_is_quoted_and_never_a_formula(mixed: pxt.Table) -> None:
    for i, text in enumerate(HOSTILE):
        mixed.update({'title': text}, where=mixed.n == i)
    text, _ = download(TableBrowser(mixed), export_request(('title', True), [], chunk_rows=5))
    assert text == expected_csv(mixed, mixed.order_by(mixed.title).order_by(mixed.n))
    assert bare_formulas(text) == [] and "'+SUM(A1:A3)" in text and "'\tTab" in text
