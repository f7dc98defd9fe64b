"""DriftDashboard in a real JupyterLab with Chromium, on a small incremental evaluation of the drifting digits.

A throwaway notebook inserts four quiet hours of predictions into ``dd_e2e/preds`` and declares the evaluation (its
reference: the first two hours). The test then does what a user does: edits a threshold in the settings and applies
it, inserts two drifted batches from the kernel and watches the dashboard refresh by itself (the table's version
changed), finds the new windows and the alert of the first drifted one, opens that window's confusion matrix, and
has a wrong window size refused with nothing changed. Expected values are asked of the kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.lab import (
    WIDGET_TIMEOUT_MS,
    LabServer,
    kernel_eval,
    run_cell,
    save_screenshot,
    setup_notebook,
    wait_kernel_value,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'drift_dashboard_e2e.ipynb'
DIR = 'dd_e2e'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from pxwidgets.demo.drifting_digits import drifting_batches, predictions_table

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
pxt.create_dir({DIR!r})
batches = drifting_batches(n_batches=6, batch_size=300, drift_from=4, seed=3)
preds = predictions_table({DIR + '/preds'!r}, batches[:4])
ev = pxw.IncrementalEvaluation(preds, 'prediction', 'label', 'ts', numeric=['confidence'],
                               reference=(batches[0].start, batches[2].start))
ev.refresh()


def bucket(i):
    return int(batches[i].start.timestamp()) // 3600
"""


@pytest.fixture(scope='module')
def evaluation_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='drift-dashboard')
    yield page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def nb(evaluation_notebook: Page, lab_page: Page) -> Page:
    return lab_page


def k(page: Page, expression: str, code: str = '') -> Any:
    return kernel_eval(page, code, expression)


def new_dashboard(page: Page, name: str) -> Locator:
    cell = run_cell(page, f'dd_{name} = pxw.DriftDashboard(ev)\ndd_{name}', name)
    dashboard = cell.get_by_test_id('pxw-drift-dashboard')
    expect(dashboard).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    n = k(page, 'len(ev.to_pandas())')
    expect(dashboard.get_by_test_id('pxw-dd-count')).to_have_text(f'{n} windows', timeout=WIDGET_TIMEOUT_MS)
    dashboard.scroll_into_view_if_needed()
    return dashboard


def test_threshold_edit_then_new_batches_raise_the_alert(nb: Page) -> None:
    dashboard = new_dashboard(nb, 'main')
    pending = k(nb, 'ev.pending()')
    expect(dashboard.get_by_test_id('pxw-dd-pending')).to_have_text(f'{pending:,} waiting for labels')
    expect(dashboard.get_by_test_id('pxw-dd-no-alerts')).to_be_visible()
    expect(dashboard.get_by_test_id('pxw-dd-metrics-chart')).to_have_attribute('data-traces', '4')

    # a threshold edited in the settings reaches the catalog
    dashboard.get_by_test_id('pxw-tab-settings').click()
    field = dashboard.get_by_test_id('pxw-param-min_accuracy')
    field.fill('0.9')
    dashboard.get_by_test_id('pxw-dd-apply').click()
    expect(dashboard.get_by_test_id('pxw-dd-settings-note')).to_contain_text('Applied')
    assert k(nb, "pxw.IncrementalEvaluation.open('dd_e2e/preds').thresholds['min_accuracy']") == 0.9

    # two drifted hours arrive; the dashboard refreshes by itself (the table's version changed)
    version = k(nb, 'ev.version')
    kernel_eval(nb, 'preds.insert(batches[4].rows); preds.insert(batches[5].rows)')
    assert k(nb, 'ev.version') == version + 2
    expect(dashboard.get_by_test_id('pxw-dd-count')).to_have_text('6 windows', timeout=WIDGET_TIMEOUT_MS)
    drifted = k(nb, 'bucket(4)')
    alert = dashboard.get_by_test_id(f'pxw-dd-alert-accuracy-metrics-{drifted}')
    dashboard.get_by_test_id('pxw-tab-overview').click()
    expect(alert).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(alert).to_contain_text('below 0.9')
    # a drift alert on the predictions (the default rule's statistic: Jensen-Shannon against its no-drift limit)
    expect(dashboard.locator(f'[data-testid^="pxw-dd-alert-"][data-testid$="-prediction-{drifted}"]')).to_be_visible()
    raised = k(nb, 'sorted(set(ev.alerts()["bucket"]))')
    assert raised == [drifted]  # the quiet hours raised nothing; the last hour is not complete yet
    expect(dashboard.get_by_test_id('pxw-dd-alert-count')).to_have_text(f'{k(nb, "len(ev.alerts())")} alerts')
    expect(dashboard.get_by_test_id('pxw-dd-drift-chart')).to_have_attribute('data-traces', '3')
    save_screenshot(dashboard, 'drift_dashboard', publish=True)

    # the drifted window's confusion matrix
    dashboard.get_by_test_id('pxw-tab-windows').click()
    dashboard.get_by_test_id(f'pxw-dd-window-{drifted}').click()
    labeled = k(nb, f'int(ev.window({drifted})["labeled"])')
    expect(dashboard.get_by_test_id('pxw-dd-detail-title')).to_contain_text(f'{labeled} labeled')
    expect(dashboard.get_by_test_id('pxw-dd-confusion-chart')).to_have_attribute('data-traces', '1')
    accuracy = k(nb, f'round(float(ev.window({drifted})["accuracy"]), 3)')
    expect(dashboard.get_by_test_id(f'pxw-dd-accuracy-{drifted}')).to_have_text(f'{accuracy:.3f}')
    wait_kernel_value(nb, 'dd_main.bucket', drifted)


def test_a_wrong_window_or_threshold_is_refused_and_nothing_changes(nb: Page) -> None:
    dashboard = new_dashboard(nb, 'bad')
    before = k(nb, 'ev.settings.to_json()')
    dashboard.get_by_test_id('pxw-tab-settings').click()
    psi = dashboard.get_by_test_id('pxw-param-psi')
    psi.fill('-1')
    dashboard.get_by_test_id('pxw-dd-apply').click()
    expect(dashboard.get_by_test_id('pxw-param-error-psi')).to_have_text('Must be > 0.')
    psi.fill('0.1')
    dashboard.get_by_test_id('pxw-dd-window').fill('fortnightly')
    dashboard.get_by_test_id('pxw-dd-apply').click()
    expect(dashboard.get_by_test_id('pxw-error')).to_contain_text("Cannot read the window 'fortnightly'")
    expect(dashboard.get_by_test_id('pxw-dd-settings-note')).to_contain_text('nothing changed')
    assert k(nb, 'ev.settings.to_json()') == before
