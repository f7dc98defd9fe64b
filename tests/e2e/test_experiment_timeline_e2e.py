"""ExperimentTimeline in a real JupyterLab with Chromium, on a real (small, offline) face-detection experiment.

Once per module a throwaway notebook runs ``et_e2e/faces`` three times (OpenCV's Haar face cascade over six demo
photos, ``min_neighbors`` 2, 5 and 9). The tests display the panel and click what a user clicks: pick two runs and
compare them, promote one and clean up through the confirmation strip, and, on one run's table, see a bad update's
row diff and revert it. Expected values are asked of the kernel, never copied from the notebook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    publish_panel_screenshot,
    run_cell,
    setup_notebook,
    wait_kernel_value,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'experiment_timeline_e2e.ipynb'
DIR = 'et_e2e'
NAME = f'{DIR}/faces'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from pxwidgets.demo.face_experiment import build_faces, face_metrics

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
pxt.create_dir({DIR!r})
exp = pxw.VersionedExperiment({NAME!r}, build_faces, metrics=face_metrics, keep=2)
for mn in (2, 5, 9):
    exp.run(min_neighbors=mn, n_photos=6)


def runs():
    return [[r.version, r.status, r.latest, r.promoted, r.dropped, r.metrics.get('faces')] for r in exp.runs()]
"""


@pytest.fixture(scope='module')
def experiment_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='experiment-timeline')
    yield page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def nb(experiment_notebook: Page, lab_page: Page) -> Page:
    return lab_page


def k(page: Page, expression: str, code: str = '') -> Any:
    return kernel_eval(page, code, expression)


def new_timeline(page: Page, name: str, source: str = 'exp') -> Locator:
    cell = run_cell(page, f'{name} = pxw.ExperimentTimeline({source})\n{name}', name)
    panel = cell.get_by_test_id('pxw-experiment-timeline')
    expect(panel).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    panel.scroll_into_view_if_needed()
    return panel


def test_runs_chart_and_a_comparison_with_marked_cells(nb: Page) -> None:
    page = nb
    panel = new_timeline(page, 'et_compare')
    runs = k(page, 'runs()')
    assert [r[0] for r in runs] == [1, 2, 3] and runs[2][2] is True  # v3 is latest
    for version, _, _, _, _, faces in runs:
        expect(panel.get_by_test_id(f'pxw-et-metric-{version}-faces')).to_have_text(str(faces))
    expect(panel.get_by_test_id('pxw-et-latest')).to_have_text('latest v3')
    expect(panel.get_by_test_id('pxw-et-run-3')).to_contain_text('★ latest')
    expect(panel.get_by_test_id('pxw-et-chart')).to_have_attribute('data-traces', '1', timeout=WIDGET_TIMEOUT_MS)
    expect(panel.get_by_test_id('pxw-et-chart').locator('.scatterlayer .point')).to_have_count(3)

    publish_panel_screenshot(panel, 'experiment_timeline')

    # pick v1 and v3, compare
    compare = panel.get_by_test_id('pxw-et-compare')
    expect(compare).to_be_disabled()
    panel.get_by_test_id('pxw-et-pick-1').check()
    panel.get_by_test_id('pxw-et-pick-3').check()
    expect(panel.get_by_test_id('pxw-et-pick-note')).to_have_text('v1 → v3')
    compare.click()
    expect(panel.get_by_test_id('pxw-tab-compare')).to_have_attribute('aria-selected', 'true')
    c = k(
        page,
        "(lambda c: {'delta': c.metrics['faces']['delta'], 'differing': c.tables.differing, "
        "'by': c.tables.differing_by_column})(exp.compare(1, 3))",
    )
    assert c['differing'] > 0
    expect(panel.get_by_test_id('pxw-et-delta-faces')).to_contain_text(f'{c["delta"]:+d}')
    rows = panel.get_by_test_id('pxw-et-diff-row')
    expect(rows).to_have_count(min(c['differing'], 20), timeout=WIDGET_TIMEOUT_MS)
    expect(panel.get_by_test_id('pxw-et-count-changed')).to_have_text(f'changed {c["differing"]}')
    # every differing row marks the cells that changed: n_faces among them, its before and after side by side
    changed = panel.locator('[data-testid="pxw-et-changed-cell"][data-column="n_faces"]')
    expect(changed).to_have_count(c['by']['n_faces'])
    expect(changed.first.locator('.pxw-et-before')).to_be_visible()
    expect(changed.first.locator('.pxw-et-after')).to_be_visible()
    images = panel.locator('td[data-column="image"] img')
    expect(images).to_have_count(min(c['differing'], 20))
    page.wait_for_function(
        'imgs => imgs.every((i) => i.complete && i.naturalWidth > 0)', arg=images.element_handles(), timeout=15_000
    )
    wait_kernel_value(page, 'et_compare.selected', [1, 3])
    publish_panel_screenshot(panel, 'experiment_timeline_compare')


def test_promote_and_cleanup_show_the_plan_and_wait_for_confirmation(nb: Page) -> None:
    page = nb
    panel = new_timeline(page, 'et_cleanup')
    # promote v2: a plan in the confirmation strip, nothing done until Confirm
    panel.get_by_test_id('pxw-et-promote-2').click()
    dialog = panel.get_by_test_id('pxw-drop-dialog')
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text('mark version 2 as promoted')
    assert k(page, 'exp.get(2).promoted') is False
    panel.get_by_test_id('pxw-drop-confirm').click()
    expect(panel.get_by_test_id('pxw-et-run-2')).to_contain_text('◆ promoted')
    wait_kernel_value(page, 'exp.get(2).promoted', True)

    # clean up keeping 1: the plan names v1 only (v2 promoted, v3 latest); Cancel drops nothing
    panel.get_by_test_id('pxw-et-keep').fill('1')
    panel.get_by_test_id('pxw-et-cleanup').click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text('drop version 1')
    expect(dialog).not_to_contain_text('drop version 2')
    expect(panel.get_by_test_id('pxw-et-kept')).to_contain_text('v2 stays: it is promoted')
    panel.get_by_test_id('pxw-drop-cancel').click()
    expect(dialog).to_be_hidden()
    assert [r[4] for r in k(page, 'runs()')] == [False, False, False]
    # a refused action: keep 0 is explained in the panel and changes nothing
    panel.get_by_test_id('pxw-et-keep').fill('0')
    panel.get_by_test_id('pxw-et-cleanup').click()
    expect(panel.get_by_test_id('pxw-error-message')).to_contain_text('keep must be an integer of at least 1')
    assert [r[4] for r in k(page, 'runs()')] == [False, False, False]
    # now for real
    panel.get_by_test_id('pxw-et-keep').fill('1')
    panel.get_by_test_id('pxw-et-cleanup').click()
    expect(dialog).to_contain_text('drop version 1')
    panel.get_by_test_id('pxw-drop-confirm').click()
    expect(panel.get_by_test_id('pxw-et-status-1')).to_have_text('dropped')
    assert [r[4] for r in k(page, 'runs()')] == [True, False, False]
    assert k(page, f'sorted(pxt.list_dirs({NAME!r}))') == [f'{NAME}/v2', f'{NAME}/v3']


def test_a_tables_bad_update_its_row_diff_and_revert(nb: Page) -> None:
    page = nb
    k(
        page,
        'None',
        "photos = exp.get(3).table\ngood = photos.get_metadata()['version']\n"
        "photos.update({'caption': 'TODO'}, where=photos.n_faces == 0)",
    )
    good = k(page, 'good')
    todo = k(page, "photos.where(photos.caption == 'TODO').count()")
    assert todo > 0
    panel = new_timeline(page, 'et_table', 'photos')
    expect(panel.get_by_test_id('pxw-et-count')).to_have_text(f'version {good + 1}')
    panel.get_by_test_id(f'pxw-et-pick-{good}').check()
    panel.get_by_test_id(f'pxw-et-pick-{good + 1}').check()
    panel.get_by_test_id('pxw-et-compare').click()
    expect(panel.get_by_test_id('pxw-et-diff-row')).to_have_count(todo, timeout=WIDGET_TIMEOUT_MS)
    expect(panel.get_by_test_id('pxw-et-by-column')).to_have_text(f'caption: {todo}')
    cells = panel.locator('[data-testid="pxw-et-changed-cell"][data-column="caption"] .pxw-et-after')
    expect(cells).to_have_count(todo)
    expect(cells.first).to_have_text(re.compile('TODO'))
    # revert to the good version: the plan first, then the rows are back
    panel.get_by_test_id('pxw-tab-timeline').click()
    panel.get_by_test_id(f'pxw-et-revert-{good}').click()
    dialog = panel.get_by_test_id('pxw-drop-dialog')
    expect(dialog).to_contain_text(f'undo version {good + 1} ({todo} updates)')
    assert k(page, "photos.where(photos.caption == 'TODO').count()") == todo
    panel.get_by_test_id('pxw-drop-confirm').click()
    expect(panel.get_by_test_id('pxw-et-count')).to_have_text(f'version {good}')
    fresh = "(lambda t: t.where(t.caption == 'TODO').count())(pxt.get_table(exp.get(3).result))"
    assert k(page, fresh) == 0
