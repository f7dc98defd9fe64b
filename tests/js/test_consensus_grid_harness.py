"""ConsensusGrid's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/consensus_grid.json): rows with models and consensus, paging, the disagreement filter, one row
opened large, a model filter, the summary tab, and a model name the kernel refuses."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness, recorded

FIRST = {'filter': 'all', 'order': 'table', 'asc': True, 'offset': 0, 'limit': 25, 'count': False}  # then its count


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('consensus_grid')
    expect(h.by_id('pxw-cg-row')).to_have_count(25)
    return h


def test_first_page_shows_each_model_the_consensus_and_the_truth(h: Harness) -> None:
    assert h.requests('state') == [{}]
    assert h.requests('rows') == [FIRST]
    rows = recorded('consensus_grid', 'rows', FIRST)['reply']['rows']
    first = h.by_id('pxw-cg-row').first
    for model in ('hand', 'logreg'):
        expect(first.get_by_test_id(f'pxw-cg-cell-{model}')).to_contain_text(rows[0]['models'][model]['label'])
    expect(first.get_by_test_id('pxw-cg-truth')).to_have_text(rows[0]['truth'])
    tie = rows[0]['consensus']
    assert tie['tie']  # the models disagree on the first digit: a tie, shown as such
    expect(first.get_by_test_id('pxw-cg-consensus')).to_have_text('tie ' + ' / '.join(tie['tied']))
    expect(first.get_by_test_id('pxw-cg-cell-hand')).to_have_class(re.compile('pxw-cg-dissent'))
    expect(h.by_id('pxw-cg-row').nth(1).get_by_test_id('pxw-cg-consensus')).to_have_text(rows[1]['consensus']['label'])
    assert first.locator('img').get_attribute('src', timeout=1000).startswith('blob:')  # the thumbnail's buffer
    expect(h.by_id('pxw-cg-page-info')).to_contain_text('1–25 of 40')
    prev = h.page.get_by_role('button', name=re.compile(r'^(‹ Prev|Previous page)$'))
    after = h.page.get_by_role('button', name=re.compile(r'^(Next ›|Next page)$'))
    expect(prev).to_be_disabled()

    after.click()
    expect(h.by_id('pxw-cg-page-info')).to_contain_text('26–40 of 40')
    assert h.last('rows') == {**FIRST, 'offset': 25}
    expect(h.by_id('pxw-cg-row')).to_have_count(15)
    expect(after).to_be_disabled()


def test_disagreements_filter_and_a_row_opened_large(h: Harness) -> None:
    h.by_id('pxw-cg-filter').select_option('disagreements')
    disagree = {**FIRST, 'filter': 'disagreements'}
    reply = recorded('consensus_grid', 'rows', disagree)['reply']
    expect(h.by_id('pxw-cg-row')).to_have_count(len(reply['rows']))
    assert h.last('rows') == disagree
    assert h.page.evaluate('window.__model.get("filter")') == 'disagreements'
    ties = h.by_id('pxw-cg-consensus').all_inner_texts()
    assert ties and all(t.startswith('tie ') for t in ties)
    expect(h.by_id('pxw-cg-model')).to_be_hidden()

    h.by_id('pxw-cg-row').first.click()
    assert h.wait_requests('row', 1) == {'filter': 'disagreements', 'order': 'table', 'asc': True, 'index': 0}
    detail = h.by_id('pxw-cg-detail')
    expect(detail).to_be_visible()
    row = recorded('consensus_grid', 'row')['reply']['row']
    facts = h.by_id('pxw-cg-detail-facts')
    expect(facts).to_contain_text(f'tie between {json.dumps(row["consensus"]["tied"], separators=(",", ":"))}')
    expect(facts).to_contain_text(f'truth {row["truth"]}')
    assert (h.by_id('pxw-cg-large-img').get_attribute('src') or '').startswith('blob:')
    h.by_id('pxw-cg-detail-close').click()
    expect(detail).to_be_hidden()


def test_a_model_filter_asks_for_that_model(h: Harness) -> None:
    h.by_id('pxw-cg-filter').select_option('model_wrong')
    expect(h.by_id('pxw-cg-model')).to_be_visible()
    wrong = {**FIRST, 'filter': 'model_wrong', 'model': 'hand'}
    h.wait_requests('rows', 2)
    assert h.last('rows') == wrong
    reply = recorded('consensus_grid', 'rows', wrong)['reply']
    expect(h.by_id('pxw-cg-row')).to_have_count(len(reply['rows']))
    for i, r in enumerate(reply['rows'][:5]):
        expect(h.by_id('pxw-cg-row').nth(i).get_by_test_id('pxw-cg-cell-hand')).not_to_contain_text(r['truth'])


def test_summary_tab_shows_metrics_and_the_best_model(h: Harness) -> None:
    h.by_id('pxw-tab-summary').click()
    assert h.wait_requests('summary', 1) == {}
    summary = recorded('consensus_grid', 'summary')['reply']
    expect(h.by_id('pxw-cg-best')).to_have_text(f'★ best model: {summary["best"]} ({summary["best_metric"]})')
    expect(h.by_id('pxw-cg-metric-row')).to_have_count(len(summary['metrics']))
    expect(h.by_id('pxw-cg-metric-row').first).to_contain_text(summary['metrics'][0]['model'])


def test_a_refused_model_name_shows_the_kernels_message(h: Harness) -> None:
    h.by_id('pxw-tab-models').click()
    h.wait_requests('transforms', 1)
    h.by_id('pxw-cg-transform').select_option('classify_digit')
    expect(h.by_id('pxw-cg-model-entry')).to_have_count(2)
    h.by_id('pxw-cg-preview').click()
    expect(h.by_id('pxw-cg-preview-row')).to_have_count(5)
    h.by_id('pxw-cg-new-name').fill('idx')
    h.by_id('pxw-cg-add').click()
    h.shows_recorded_error('add', code='invalid_name')
    expect(h.by_id('pxw-cg-model-entry')).to_have_count(2)


def test_download_csv_of_the_filtered_rows_and_their_pandas_code(h: Harness) -> None:
    h.by_id('pxw-cg-filter').select_option('disagreements')
    page = recorded('consensus_grid', 'rows', {**FIRST, 'filter': 'disagreements'})['reply']
    expect(h.by_id('pxw-cg-row')).to_have_count(len(page['rows']))
    h.by_id('pxw-cg-export-pandas').click()
    expect(h.by_id('pxw-cg-export-code')).to_contain_text(
        'df = t.where(t.consensus_agreement < 1.0).collect().to_pandas()'
    )
    with h.page.expect_download() as info:
        h.by_id('pxw-cg-export-csv').click()
    entry = recorded('consensus_grid', 'export_csv')
    assert h.last('export_csv') == {'filter': 'disagreements', 'order': 'table', 'asc': True, 'after': None, 'done': 0}
    assert info.value.suggested_filename == entry['reply']['filename'] == 'harness_digits-disagreements.csv'
    assert Path(info.value.path()).read_bytes() == base64.b64decode(entry['buffers'][0])  # the kernel's CSV, as is
    done = entry['reply']['done']
    expect(h.by_id('pxw-cg-export-status')).to_have_text(f'Downloaded {done} rows as harness_digits-disagreements.csv.')
