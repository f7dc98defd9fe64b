"""ConsensusGrid in a real JupyterLab with Chromium, on real digit classifiers with ground truth.

A throwaway notebook builds ``cg_e2e/digits`` (80 test digits, ground truth, a hand-made label column) with a
consensus of a scikit-learn classifier and the adopted column. The test opens the grid, filters to disagreements, opens
a row, adds a third model by clicking (previewed first), and checks that its column, the summary and the kernel's
catalog all changed. Expected values are asked of the kernel, never copied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    KERNEL_TIMEOUT_MS,
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    notebook_json,
    open_and_run,
    publish_panel_screenshot,
    run_cell,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'consensus_grid_e2e.ipynb'
DIR = 'cg_e2e'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from tests.support.consensus import digits_table

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
pxt.create_dir({DIR!r})
t = digits_table('{DIR}/digits', 80)
c = pxw.MultiModelConsensus(t, 'image', ground_truth='label')
c.add_model('logreg', 'classify_digit', params={{'model': 'logreg'}})
c.add_model('hand')


def disagreements():
    return t.where(t.consensus_agreement < 1.0).count()
"""


@pytest.fixture(scope='module')
def consensus_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    (jupyter_lab.root / NOTEBOOK).write_text(json.dumps(notebook_json(SETUP), indent=1))
    # the kernel imports tests.support: it runs with the repository on its path
    (jupyter_lab.root / 'tests').symlink_to(jupyter_lab_repo() / 'tests', target_is_directory=True)
    open_and_run(shared_page, jupyter_lab, NOTEBOOK, label='consensus-grid')
    yield shared_page
    jupyter_lab.shutdown_kernels()


def jupyter_lab_repo() -> Any:
    from tests.e2e.lab import REPO

    return REPO


def k(page: Page, expression: str) -> Any:
    return kernel_eval(page, '', expression)


def grid_rows(grid: Locator) -> Locator:
    return grid.get_by_test_id('pxw-cg-grid').locator('tbody tr.pxw-cg-row')


def test_filter_open_a_row_add_a_model_and_see_the_summary(consensus_notebook: Page, lab_page: Page) -> None:
    page = lab_page
    cell = run_cell(page, 'grid = pxw.ConsensusGrid(c)\ngrid', 'grid')
    grid = cell.get_by_test_id('pxw-consensus-grid')
    expect(grid).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    grid.scroll_into_view_if_needed()

    # every row, a page at a time, one column per model
    expect(grid_rows(grid)).to_have_count(25, timeout=WIDGET_TIMEOUT_MS)
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text('1–25 of 80')
    expect(grid.locator('thead th')).to_contain_text(
        ['#', 'image', 'logreg', 'hand', 'consensus', 'agreement', 'truth']
    )

    # disagreements only: filtered in the kernel's database; each shown row has dissenting cells marked
    n = k(page, 'disagreements()')
    assert 0 < n < 80
    grid.get_by_test_id('pxw-cg-filter').select_option('disagreements')
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text(f'of {n} ')
    expect(grid_rows(grid)).to_have_count(min(n, 25))
    expect(grid_rows(grid).first.locator('.pxw-cg-dissent')).to_have_count(2)  # two models that disagree: a tie
    expect(grid_rows(grid).first.get_by_test_id('pxw-cg-consensus')).to_contain_text('tie')
    expect(grid.get_by_test_id('pxw-panel-rows').get_by_test_id('pxw-code')).to_contain_text(
        'consensus_agreement < 1.0'
    )
    assert k(page, 'grid.filter') == 'disagreements'

    # a row, large
    grid_rows(grid).first.click()
    expect(grid.get_by_test_id('pxw-cg-detail')).to_be_visible()
    expect(grid.get_by_test_id('pxw-cg-large-img')).to_be_visible()
    expect(grid.get_by_test_id('pxw-cg-detail-facts')).to_contain_text('tie between')

    # add a model by clicking: preview on a few rows first (nothing written), then add
    version = k(page, "t.get_metadata()['version']")
    grid.get_by_test_id('pxw-tab-models').click()
    expect(grid.get_by_test_id('pxw-cg-model-entry')).to_have_count(2)
    grid.get_by_test_id('pxw-cg-transform').select_option('classify_digit')
    grid.get_by_test_id('pxw-param-model').select_option('knn')
    grid.get_by_test_id('pxw-cg-preview').click()
    expect(grid.get_by_test_id('pxw-cg-preview-row')).to_have_count(5, timeout=WIDGET_TIMEOUT_MS)
    assert k(page, "t.get_metadata()['version']") == version
    grid.get_by_test_id('pxw-cg-new-name').fill('knn')
    grid.get_by_test_id('pxw-cg-add').click()
    expect(grid.get_by_test_id('pxw-cg-added')).to_have_text('Added knn.', timeout=KERNEL_TIMEOUT_MS)
    expect(grid.get_by_test_id('pxw-cg-model-entry')).to_have_count(3)
    assert k(page, '[m.name for m in c.models]') == ['logreg', 'hand', 'knn']
    assert 'knn_label' in k(page, 't.columns()')

    # the grid has the new model's column, filtered again over three models
    grid.get_by_test_id('pxw-tab-rows').click()
    expect(grid.locator('thead th')).to_contain_text(['#', 'image', 'logreg', 'hand', 'knn', 'consensus'])
    n3 = k(page, 'disagreements()')
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text(f'of {n3} ')
    expect(grid_rows(grid).first.get_by_test_id('pxw-cg-cell-knn')).not_to_be_empty()

    # the summary: three models, the kernel's best model, a kappa heatmap over three models
    grid.get_by_test_id('pxw-tab-summary').click()
    best = k(page, 'c.best_model()')
    expect(grid.get_by_test_id('pxw-cg-best')).to_contain_text(f'best model: {best}', timeout=WIDGET_TIMEOUT_MS)
    metrics = grid.get_by_test_id('pxw-cg-metric-row')
    expect(metrics).to_have_count(len(k(page, "list(c.summary()['model'])")))
    expect(metrics.filter(has_text=re.compile(r'^knn'))).to_have_count(1)
    expect(grid.get_by_test_id('pxw-cg-kappa')).to_have_attribute('data-traces', '1', timeout=WIDGET_TIMEOUT_MS)
    expect(grid.get_by_test_id('pxw-cg-leaderboard')).to_have_attribute('data-traces', '1')
    expect(grid.get_by_test_id('pxw-cg-summary-facts')).to_contain_text("Fleiss' κ")

    # the picture for the README: the disagreements with a row open
    grid.get_by_test_id('pxw-tab-rows').click()
    grid.get_by_test_id('pxw-cg-detail-close').click()
    expect(grid.get_by_test_id('pxw-cg-detail')).to_be_hidden()
    grid_rows(grid).first.click()
    expect(grid.get_by_test_id('pxw-cg-detail')).to_contain_text('knn')  # the row as three models see it
    publish_panel_screenshot(grid, 'consensus_grid')


def test_download_csv_of_the_disagreements(consensus_notebook: Page, lab_page: Page, tmp_path: Path) -> None:
    """'Download CSV' saves every disagreement (not one page), least agreement first, as the kernel's query gives."""
    page = lab_page
    cell = run_cell(page, 'export_grid = pxw.ConsensusGrid(c)\nexport_grid', 'export-grid')
    grid = cell.get_by_test_id('pxw-consensus-grid')
    expect(grid_rows(grid)).to_have_count(25, timeout=WIDGET_TIMEOUT_MS)
    grid.get_by_test_id('pxw-cg-filter').select_option('disagreements')
    grid.get_by_test_id('pxw-cg-order').select_option('agreement-asc')
    n = k(page, 'disagreements()')
    expect(grid.get_by_test_id('pxw-cg-page-info')).to_contain_text(f'of {n} ')
    grid.get_by_test_id('pxw-cg-export-pandas').click()
    expect(grid.get_by_test_id('pxw-cg-export-code')).to_contain_text(
        'df = t.where(t.consensus_agreement < 1.0).order_by(t.consensus_agreement, asc=True).collect().to_pandas()'
    )

    with page.expect_download(timeout=KERNEL_TIMEOUT_MS) as info:
        grid.get_by_test_id('pxw-cg-export-csv').click()
    download = info.value
    dest = tmp_path / download.suggested_filename
    download.save_as(dest)
    assert download.suggested_filename == 'cg_e2e_digits-disagreements.csv'
    frame = pd.read_csv(dest)
    expected = k(
        page,
        '[int(i) for i in t.where(t.consensus_agreement < 1.0).order_by(t.consensus_agreement).order_by(t.idx)'
        ".select(t.idx).collect()['idx']]",
    )
    assert len(frame) == n  # every matching row, not the page on screen
    assert list(frame['idx']) == expected
    assert list(frame.columns) == k(page, 't.columns()')  # every column of the table
    assert frame['image'].str.startswith('file://').all()  # media as their file URLs
    expect(grid.get_by_test_id('pxw-cg-export-status')).to_have_text(
        f'Downloaded {n} rows as cg_e2e_digits-disagreements.csv.'
    )
