"""PatternHub in a real JupyterLab with Chromium: the patterns of a small catalog, two of them opened inside the hub
(a StageBuilder and a ConsensusGrid, each rendered over a proxy model multiplexed through the hub's comm), clicks in
one that reach its Python object, the other keeping its state, and the list refreshing by itself when the catalog
changes. Expected values are asked of the kernel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    REPO,
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    notebook_json,
    open_and_run,
    publish_panel_screenshot,
    run_cell,
    wait_kernel_value,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'pattern_hub_e2e.ipynb'
DIR = 'hub_e2e'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from tests.support.consensus import digits_table

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
pxt.create_dir({DIR!r})
items = pxt.create_table('{DIR}/items', {{'n': pxt.Int, 'word': pxt.String}})
items.insert([{{'n': i, 'word': f'word {{i}}'}} for i in range(12)])
p = pxw.ProgressiveRefinement(items)
p.add_stage('double', column=items.n * 2)
p.add_stage('big', where=items.n > 5)
t = digits_table('{DIR}/digits', 30)
c = pxw.MultiModelConsensus(t, 'image', ground_truth='label')
t.add_computed_column(guess=t.idx % 10)
c.add_model('hand')
c.add_model('guess', 'guess')
"""


@pytest.fixture(scope='module')
def hub_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    (jupyter_lab.root / NOTEBOOK).write_text(json.dumps(notebook_json(SETUP), indent=1))
    tests_link = jupyter_lab.root / 'tests'  # the kernel imports tests.support: it runs with the repository's tests
    if not tests_link.exists():
        tests_link.symlink_to(REPO / 'tests', target_is_directory=True)
    open_and_run(shared_page, jupyter_lab, NOTEBOOK, label='pattern-hub')
    yield shared_page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def nb(hub_notebook: Page, lab_page: Page) -> Page:
    return lab_page


def k(page: Page, expression: str, code: str = '') -> Any:
    return kernel_eval(page, code, expression)


def pattern_row(hub: Locator, kind: str, path: str) -> Locator:
    return hub.locator(f'[data-testid="pxw-hub-pattern"][data-kind="{kind}"][data-path="{path}"]')


def child(hub: Locator, panel: str) -> Locator:
    return hub.locator(f'[data-testid="pxw-hub-child"][data-panel="{panel}"]')


def test_hub_lists_patterns_and_opens_two_inside_it(nb: Page) -> None:
    page = nb
    cell = run_cell(page, f'hub = pxw.PatternHub({DIR!r}, poll_seconds=1)\nhub', 'hub')
    hub = cell.get_by_test_id('pxw-pattern-hub')
    expect(hub).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    hub.scroll_into_view_if_needed()
    expected = k(
        page, f'sorted((r.kind, r.path) for r in __import__("pxwidgets").patterns.catalog({DIR!r}).itertuples())'
    )
    assert expected == [('consensus', f'{DIR}/digits'), ('pipeline', f'{DIR}/items')]
    expect(hub.get_by_test_id('pxw-hub-pattern')).to_have_count(2)
    pipeline_row = pattern_row(hub, 'pipeline', f'{DIR}/items')
    expect(pipeline_row.get_by_test_id('pxw-hub-summary')).to_have_text('3 stages: items → double → big')
    expect(pattern_row(hub, 'consensus', f'{DIR}/digits').get_by_test_id('pxw-hub-summary')).to_have_text(
        '2 models: hand, guess'
    )

    # open both inside the hub
    pipeline_row.get_by_test_id('pxw-hub-open').click()
    builder = child(hub, 'StageBuilder')
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(3, timeout=WIDGET_TIMEOUT_MS)
    pattern_row(hub, 'consensus', f'{DIR}/digits').get_by_test_id('pxw-hub-open').click()
    grid = child(hub, 'ConsensusGrid')
    expect(grid.get_by_test_id('pxw-consensus-grid')).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(grid.locator('[data-testid="pxw-cg-grid"] tbody tr.pxw-cg-row').first).to_be_visible(
        timeout=WIDGET_TIMEOUT_MS
    )
    assert k(page, 'sorted(type(c).__name__ for c in hub.children.values())') == ['ConsensusGrid', 'StageBuilder']

    # click in the StageBuilder: its rows come through the hub, its trait reaches its Python object
    builder.locator('[data-testid="pxw-stage-node"][data-stage="big"]').click()
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('big')
    n_big = k(page, f"pxt.get_table('{DIR}/big').count()")
    expect(builder.get_by_test_id('pxw-page-info')).to_have_text(f'rows 1–{n_big} of {n_big}')
    wait_kernel_value(
        page, "next(c for c in hub.children.values() if type(c).__name__ == 'StageBuilder').selected", 'big'
    )
    # the ConsensusGrid kept its own state meanwhile; a filter set there reaches its own object only
    grid.get_by_test_id('pxw-cg-filter').select_option('disagreements')
    wait_kernel_value(
        page, "next(c for c in hub.children.values() if type(c).__name__ == 'ConsensusGrid').filter", 'disagreements'
    )
    assert k(page, "next(c for c in hub.children.values() if type(c).__name__ == 'StageBuilder').selected") == 'big'
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('big')
    # folding a child keeps its state (for a compact picture: the list, the folded grid, the StageBuilder)
    grid.get_by_test_id('pxw-hub-child-collapse').click()
    expect(grid.get_by_test_id('pxw-consensus-grid')).to_be_hidden()
    publish_panel_screenshot(hub, 'pattern-hub')
    grid.get_by_test_id('pxw-hub-child-collapse').click()
    expect(grid.get_by_test_id('pxw-cg-filter')).to_have_value('disagreements')

    # the lineage tab: the consensus reads digits, the pipeline reads items
    hub.get_by_test_id('pxw-tab-lineage').click()
    expect(hub.get_by_test_id('pxw-hub-node')).to_have_count(4)

    # a change to the catalog made in Python shows up by itself (the fingerprint is polled)
    hub.get_by_test_id('pxw-tab-patterns').click()
    k(page, 'None', f"v = pxt.get_table('{DIR}/digits'); pxt.create_view('{DIR}/odd_digits', v.where(v.idx % 2 == 1))")
    expect(hub.get_by_test_id('pxw-hub-pattern')).to_have_count(3, timeout=WIDGET_TIMEOUT_MS)
    expect(pattern_row(hub, 'pipeline', f'{DIR}/digits')).to_be_visible()

    # closing a child closes its Python panel
    builder.get_by_test_id('pxw-hub-child-close').click()
    expect(child(hub, 'StageBuilder')).to_have_count(0)
    wait_kernel_value(page, 'sorted(type(c).__name__ for c in hub.children.values())', ['ConsensusGrid'])
