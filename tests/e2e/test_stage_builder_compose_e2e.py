"""StageBuilder → "Use this stage" in a real JupyterLab: a consensus of two face detectors created by click.

A throwaway notebook builds ``sbc_e2e/videos`` → ``frames`` → two face detectors (``faces`` and ``faces_loose``, the
same Haar cascade with different parameters). The test selects the ``faces`` stage, opens "Use this stage", picks
"Compare models here" (both detector columns come preselected), previews (nothing written), creates, and sees the
consensus confirmed with the line that opens its panel; the kernel then reopens it from the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

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

NOTEBOOK = 'stage_builder_compose_e2e.ipynb'
DIR = 'sbc_e2e'

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from pxwidgets import demo

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
videos = demo.videos_table('{DIR}/videos', n=1, seconds=2.0)
p = pxw.ProgressiveRefinement(videos)
p.add_stage('frames', transform='extract_frames', params={{'fps': 2.0}})
p.add_stage('faces', transform='detect_faces')
p.add_stage('faces_loose', transform='detect_faces', params={{'min_neighbors': 2}}, after='frames')


def versions():
    return {{t: pxt.get_table(t).get_metadata()['version'] for t in sorted(pxt.list_tables({DIR!r}))}}
"""


@pytest.fixture(scope='module')
def compose_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='stage-builder-compose')
    yield page
    jupyter_lab.shutdown_kernels()


def k(page: Page, expression: str) -> Any:
    return kernel_eval(page, '', expression)


def test_create_a_consensus_from_a_stage_by_click(compose_notebook: Page, lab_page: Page) -> None:
    page = lab_page
    cell = run_cell(page, 'sbc = pxw.StageBuilder(p)\nsbc', 'compose')
    builder = cell.get_by_test_id('pxw-stage-builder')
    expect(builder).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    builder.locator('[data-testid="pxw-stage-node"][data-stage="faces"]').click()
    builder.get_by_test_id('pxw-use-stage').click()
    expect(builder.get_by_test_id('pxw-compose-stage')).to_contain_text('faces')
    action = builder.get_by_test_id('pxw-compose-action-consensus')
    expect(action).to_be_enabled(timeout=WIDGET_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-compose-action-cascade')).to_be_disabled()  # no text on frames
    action.click()
    for column in ('faces', 'faces_loose'):
        expect(builder.get_by_test_id(f'pxw-compose-pick-models-{column}')).to_be_checked()
    expect(builder.get_by_test_id('pxw-param-input_column')).to_have_value('frame')

    before = k(page, 'versions()')
    builder.get_by_test_id('pxw-compose-preview').click()
    code = builder.get_by_test_id('pxw-compose-preview-box').get_by_test_id('pxw-code')
    expect(code).to_contain_text("c.add_models({'faces': 'faces', 'faces_loose': 'faces_loose'})")
    expect(builder.get_by_test_id('pxw-compose-writes')).to_contain_text('consensus_')
    assert k(page, 'versions()') == before  # the preview wrote nothing

    builder.get_by_test_id('pxw-compose-create').click()
    result = builder.get_by_test_id('pxw-compose-result')
    expect(result).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-compose-result-text')).to_contain_text(f'MultiModelConsensus {DIR}/frames')
    expect(result.get_by_test_id('pxw-code')).to_contain_text(f"pxw.ConsensusGrid('{DIR}/frames', name='consensus')")
    opened = k(page, f"[m.name for m in pxw.MultiModelConsensus.open('{DIR}/frames').models]")
    assert opened == ['faces', 'faces_loose']
    assert k(page, f"pxw.MultiModelConsensus.open('{DIR}/frames').kind") == 'detections'
    builder.scroll_into_view_if_needed()
    publish_panel_screenshot(builder, 'stage-builder-compose')
