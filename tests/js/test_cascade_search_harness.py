"""CascadeSearch's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/cascade_search.json): a search with hits per level, the fused ranking and the best sentence in
context, drilling from a section to its sentences, one document only, and an empty query refused by the kernel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness, recorded

QUERY = 'what happens when an exception is raised'
SEARCH = {'query': QUERY, 'k': 3, 'documents': None}


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('cascade_search')
    expect(h.by_id('pxw-cs-doc-count')).to_be_visible()
    return h


def search(h: Harness, query: str = QUERY) -> None:
    h.by_id('pxw-cs-query').fill(query)
    h.by_id('pxw-cs-search').click()


def test_search_shows_each_level_the_fused_ranking_and_the_best_sentence(h: Harness) -> None:
    info = recorded('cascade_search', 'info')['reply']
    expect(h.by_id('pxw-cs-doc-count')).to_have_text(f'{len(info["documents"])} documents')
    search(h)
    assert h.wait_requests('search', 1) == SEARCH
    reply = recorded('cascade_search', 'search', SEARCH)['reply']
    for level in reply['levels']:
        column = h.by_id(f'pxw-cs-level-{level["level"]}')
        expect(column.get_by_test_id('pxw-cs-hit')).to_have_count(len(level['hits']))
        scores = [f'{hit["score"]:.3f}' for hit in level['hits']]
        assert column.get_by_test_id('pxw-cs-score').all_inner_texts() == scores
    expect(h.by_id('pxw-cs-fused').get_by_test_id('pxw-cs-hit')).to_have_count(len(reply['fused']))
    expect(h.by_id('pxw-cs-merged').get_by_test_id('pxw-cs-hit')).to_have_count(len(reply['merged']))
    # the best sentence, marked inside its section's text
    best = reply['context']['best']
    expect(h.by_id('pxw-cs-mark-best')).to_have_text(best['text'])
    expect(h.by_id('pxw-cs-context-doc')).to_have_text(reply['context']['doc_title'] or reply['context']['doc_key'])
    assert h.page.evaluate('window.__model.get("query")') == QUERY  # the kernel's trait update


def test_a_section_hit_drills_into_its_sentences_and_a_sentence_shows_its_context(h: Harness) -> None:
    search(h)
    expect(h.by_id('pxw-cs-level-sections').get_by_test_id('pxw-cs-hit')).to_have_count(3)
    h.by_id('pxw-cs-level-sections').get_by_test_id('pxw-cs-hit').first.click()
    sent = h.wait_requests('drill', 1)
    section = recorded('cascade_search', 'search', SEARCH)['reply']['levels'][0]['hits'][0]
    assert sent == {
        'hit': {k: section[k] for k in ('level', 'doc_key', 'start', 'end', 'query')},
        'level': 'sentences',
        'k': 3,
    }
    drilled = recorded('cascade_search', 'drill', sent)['reply']
    box = h.by_id('pxw-cs-drill')
    expect(box).to_be_visible()
    expect(box.get_by_test_id('pxw-cs-hit')).to_have_count(len(drilled['hits']))
    assert set(box.get_by_test_id('pxw-cs-hit').evaluate_all('els => els.map(e => e.dataset.doc)')) == {'try'}
    box.get_by_test_id('pxw-cs-hit').nth(1).click()
    sent = h.wait_requests('context', 1)
    assert sent['hit']['level'] == 'sentences' and sent['hit']['start'] == drilled['hits'][1]['start']
    expect(h.by_id('pxw-cs-mark-best')).to_have_text(drilled['hits'][1]['text'])


def test_one_document_only_and_an_empty_query(h: Harness) -> None:
    h.by_id('pxw-cs-doc').select_option('for')
    search(h)
    assert h.wait_requests('search', 1) == {**SEARCH, 'documents': ['for']}
    expect(h.by_id('pxw-cs-level-sentences').get_by_test_id('pxw-cs-hit')).to_have_count(3)
    docs = h.by_id('pxw-cs-columns').get_by_test_id('pxw-cs-hit').evaluate_all('els => els.map(e => e.dataset.doc)')
    assert set(docs) == {'for'}
    h.by_id('pxw-cs-doc').select_option('')
    search(h, '   ')
    error = h.shows_recorded_error('search', 2, code='invalid_query')
    expect(h.by_id('pxw-error-hint')).to_have_text(error['hint'])
    expect(h.by_id('pxw-cs-level-sentences').get_by_test_id('pxw-cs-hit')).to_have_count(3)  # the results stay


def test_levels_fill_their_document_counts_and_the_finder_asks_the_kernel(h: Harness) -> None:
    # first paint counts nothing; the levels' counts arrive from level_counts, asked right after info
    info = recorded('cascade_search', 'info')['reply']
    assert all(lv['units'] is None and lv['documents'] is None for lv in info['levels'])
    assert h.wait_requests('level_counts', 1) == {}
    counted = recorded('cascade_search', 'level_counts')['reply']['levels']
    for lv in counted:
        cells = h.by_id(f'pxw-cs-level-row-{lv["name"]}').locator('td')
        expect(cells.nth(3)).to_have_text(f'{lv["units"]:,}')
        expect(cells.nth(4)).to_have_text(f'{lv["documents"]:,}')
    # the document filter lists what the kernel found, not a filter of a list held in the page
    h.by_id('pxw-cs-doc-find').fill('try')
    assert h.wait_requests('documents', 1) == {'search': 'try'}
    found = recorded('cascade_search', 'documents', {'search': 'try'})['reply']['documents']
    options = h.by_id('pxw-cs-doc').locator('option')
    expect(options).to_have_count(1 + len(found))
    assert options.evaluate_all('els => els.map(e => e.value)') == ['', *[d['key'] for d in found]]
