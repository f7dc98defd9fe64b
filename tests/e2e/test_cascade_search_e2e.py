"""CascadeSearch in a real JupyterLab with Chromium, on a small cascade over four language-reference topics.

Once per module a throwaway notebook builds the cascade (section / paragraph / sentence levels, wordllama embeddings
so that it builds in seconds). The tests display a fresh panel and do what a user does: type a query and see hits at
every level and the best sentence highlighted in its section, click a section to drill into its sentences, refuse an
empty query, add a level by click, and evaluate on labelled queries. Expected values are asked of the kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    KERNEL_TIMEOUT_MS,
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    publish_panel_screenshot,
    run_cell,
    setup_notebook,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'cascade_search_e2e.ipynb'
DIR = 'cs_e2e'
QUERY = 'what happens when an exception is raised in the try clause'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from pxwidgets.demo.documents import reference_documents
from pxwidgets.tables.internals import table_version

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
pxt.create_dir({DIR!r})
docs = pxt.create_table('{DIR}/docs', {{'doc': pxt.Document}})
docs.insert([{{'doc': str(p)}} for p in reference_documents(topics=['try', 'for', 'with', 'raise'])])
cascade = pxw.SemanticIndexCascade(docs, 'doc', name='ref')
for name, unit in (('sections', 'section'), ('paragraphs', 'paragraph'), ('sentences', 'sentence')):
    cascade.add_level(name, unit, embedding='wordllama')
QUERIES = [
    {{'query': 'what happens when an exception is raised', 'relevant': ['try', 'raise']}},
    {{'query': 'repeat a block for every item of a list', 'relevant': ['for']}},
    {{'query': 'release a resource when leaving a block', 'relevant': ['with']}},
]


def versions():
    return {{lv.path: table_version(pxt.get_table(lv.path)) for lv in cascade.levels}}
"""


@pytest.fixture(scope='module')
def cascade_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='cascade-search')
    yield page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def nb(cascade_notebook: Page, lab_page: Page) -> Page:
    return lab_page


def k(page: Page, expression: str, code: str = '') -> Any:
    return kernel_eval(page, code, expression)


def new_panel(page: Page, name: str) -> Locator:
    var = f'cs_{name.replace("-", "_")}'
    cell = run_cell(page, f'{var} = pxw.CascadeSearch(cascade, queries=QUERIES, k=3)\n{var}', name)
    panel = cell.get_by_test_id('pxw-cascade-search')
    expect(panel).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(panel.get_by_test_id('pxw-cs-doc-count')).to_have_text('4 documents', timeout=WIDGET_TIMEOUT_MS)
    panel.scroll_into_view_if_needed()
    return panel


def test_search_every_level_see_the_sentence_in_context_and_drill(nb: Page) -> None:
    page = nb
    panel = new_panel(page, 'search')
    panel.get_by_test_id('pxw-cs-query').fill(QUERY)
    panel.get_by_test_id('pxw-cs-query').press('Enter')
    levels = k(page, '[lv.name for lv in cascade.levels]')
    for level in levels:
        column = panel.get_by_test_id(f'pxw-cs-level-{level}')
        expect(column.get_by_test_id('pxw-cs-hit')).to_have_count(3, timeout=WIDGET_TIMEOUT_MS)
    truth = k(
        page,
        '{"levels": {x.level: [h.id for h in x.hits] for x in r.levels}, "fused": [h.id for h in r.fused], '
        '"best": cascade.context(r.fused[0])["best"]["text"]}',
        code=f'r = cascade.search({QUERY!r}, k=3)',
    )
    for level in levels:
        ids = panel.get_by_test_id(f'pxw-cs-level-{level}').get_by_test_id('pxw-cs-hit')
        assert ids.evaluate_all('els => els.map((e) => e.dataset.id)') == truth['levels'][level]
    fused = panel.get_by_test_id('pxw-cs-fused').get_by_test_id('pxw-cs-hit')
    assert fused.evaluate_all('els => els.map((e) => e.dataset.id)') == truth['fused']
    expect(panel.get_by_test_id('pxw-cs-merged').get_by_test_id('pxw-cs-hit').first).to_be_visible()
    # the best sentence, highlighted inside its paragraph inside its section (as text, not HTML)
    best = panel.get_by_test_id('pxw-cs-context').get_by_test_id('pxw-cs-mark-best')
    expect(best).to_have_text(truth['best'])
    expect(panel.get_by_test_id('pxw-cs-context').get_by_test_id('pxw-cs-mark-paragraphs')).to_contain_text(
        truth['best']
    )
    assert panel.get_by_test_id('pxw-cs-context-text').evaluate('el => el.querySelectorAll("script, img").length') == 0
    expect(panel.get_by_test_id('pxw-cs-timing')).to_contain_text('query embedded 1×')
    # click a section: its sentences, ranked by the same query
    section = panel.get_by_test_id('pxw-cs-level-sections').get_by_test_id('pxw-cs-hit').first
    section_id = section.get_attribute('data-id')
    assert section_id is not None
    section.click()
    drill = panel.get_by_test_id('pxw-cs-drill')
    expect(drill).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    drilled = drill.get_by_test_id('pxw-cs-hit')
    _, doc, start, end = section_id.split(':')
    want = k(
        page,
        '[h.id for h in inside]',
        code=(
            'from pxwidgets.patterns.cascade import Hit\n'
            f'inside = cascade.drill(Hit("sections", {doc!r}, "", "", "", "", {start}, {end}, 0.0, 0, {QUERY!r}), '
            '"sentences", k=3)'
        ),
    )
    expect(drilled).to_have_count(len(want), timeout=WIDGET_TIMEOUT_MS)
    assert drilled.evaluate_all('els => els.map((e) => e.dataset.id)') == want
    publish_panel_screenshot(panel, 'cascade_search')


def test_refusals_add_a_level_and_evaluate(nb: Page) -> None:
    page = nb
    panel = new_panel(page, 'levels')
    before = k(page, 'versions()')
    panel.get_by_test_id('pxw-cs-query').fill('   ')
    panel.get_by_test_id('pxw-cs-search').click()
    expect(panel.get_by_test_id('pxw-error-message')).to_contain_text('The query is empty.', timeout=WIDGET_TIMEOUT_MS)
    panel.get_by_test_id('pxw-tab-levels').click()
    panel.get_by_test_id('pxw-cs-new-name').fill('sentences')
    panel.get_by_test_id('pxw-cs-new-unit').select_option('paragraph')
    panel.get_by_test_id('pxw-cs-add').click()
    expect(panel.get_by_test_id('pxw-error-message')).to_contain_text('another definition', timeout=WIDGET_TIMEOUT_MS)
    assert k(page, 'versions()') == before
    panel.get_by_test_id('pxw-cs-new-name').fill('windows')
    panel.get_by_test_id('pxw-cs-new-unit').select_option('window')
    panel.get_by_test_id('pxw-cs-new-size').fill('40')
    panel.get_by_test_id('pxw-cs-new-overlap').fill('10')
    panel.get_by_test_id('pxw-cs-new-embedding').select_option('wordllama')
    panel.get_by_test_id('pxw-cs-add').click()
    expect(panel.get_by_test_id('pxw-cs-added')).to_contain_text('Level windows added', timeout=KERNEL_TIMEOUT_MS)
    units = k(page, 'len(cascade.units("windows"))')
    expect(panel.get_by_test_id('pxw-cs-level-row-windows')).to_contain_text(f'{units}')
    assert k(page, 'cascade.level("windows").splitter') == {'unit': 'window', 'size': 40, 'overlap': 10}
    panel.get_by_test_id('pxw-tab-evaluation').click()
    panel.get_by_test_id('pxw-cs-evaluate').click()
    expect(panel.get_by_test_id('pxw-cs-eval-chart')).to_have_attribute('data-traces', '3', timeout=KERNEL_TIMEOUT_MS)
    rows = panel.get_by_test_id('pxw-cs-eval-table').locator('tbody tr')
    expect(rows).to_have_count(len(k(page, 'cascade.level_names')) + 2)
    mrr = k(page, 'round(cascade.evaluate(QUERIES, k=5).scores["fused"].mrr, 3)')
    expect(panel.get_by_test_id('pxw-cs-eval-row-fused').locator('td').nth(2)).to_have_text(f'{mrr:.3f}')
    k(page, 'None', code='cascade.drop_level("windows", expect=cascade.plan_drop_level("windows"))')
