"""StageBuilder in a real JupyterLab with Chromium, on a real (small) progressive-refinement pipeline.

Once per module a throwaway notebook builds ``sb_e2e/videos`` (one generated two-second video) → ``frames`` (an
iterator view, 2 fps) → ``faces`` (Haar face detection) → ``n_faces`` (a count), all with pxwidgets' own library
calls. Each test then appends a cell displaying a fresh ``StageBuilder(p)`` and clicks what a user clicks. Expected
values (row counts, detections, table versions, columns, the drop plan) are asked of the kernel, never copied from
the notebook.
"""

from __future__ import annotations

import re
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
    wait_kernel_value,
)

pytestmark = pytest.mark.e2e

NOTEBOOK = 'stage_builder_e2e.ipynb'
DIR = 'sb_e2e'
SOURCE = f'{DIR}/videos'
FRAMES = f'{DIR}/frames'
STAGES = ['videos', 'frames', 'faces', 'n_faces']
STORED_REFUSAL = re.compile(r"^'stored' cannot be a stage name: it is a keyword argument of add_computed_column")

SETUP = f"""\
import pixeltable as pxt
import pxwidgets as pxw
from pxwidgets import demo

pxt.drop_dir({DIR!r}, force=True, if_not_exists='ignore')
videos = demo.videos_table({SOURCE!r}, n=1, seconds=2.0)
p = pxw.ProgressiveRefinement(videos)
p.add_stage('frames', transform='extract_frames', params={{'fps': 2.0}})
p.add_stage('faces', transform='detect_faces')
p.add_stage('n_faces', transform='count_detections')


def versions():
    # The version of every table and view of the pipeline: any write bumps one.
    return {{path: pxt.get_table(path).get_metadata()['version'] for path in sorted(pxt.list_tables({DIR!r}))}}


def stage_names():
    return [s.name for s in p.stages]


def stage_rows():
    # Rows per stage, counted by Pixeltable itself (a column stage has the rows of its table).
    return {{s.name: pxt.get_table(s.table).count() for s in p.stages}}


def columns(path):
    return sorted(pxt.get_table(path).columns())
"""


@pytest.fixture(scope='module')
def pipeline_notebook(jupyter_lab: LabServer, shared_page: Page) -> Iterator[Page]:
    """A notebook that builds the small pipeline, opened and run once (its kernel is shut down after the module)."""
    page = setup_notebook(shared_page, jupyter_lab, NOTEBOOK, SETUP, label='stage-builder')
    yield page
    jupyter_lab.shutdown_kernels()


@pytest.fixture
def nb(pipeline_notebook: Page, lab_page: Page) -> Page:
    """The page with the pipeline notebook, for one test (failure screenshot and trace as ``lab_page`` keeps them)."""
    return lab_page


# ---- helpers -------------------------------------------------------------------------------------------------------


def k(page: Page, expression: str, code: str = '') -> Any:
    """``expression`` evaluated in the notebook's kernel."""
    return kernel_eval(page, code, expression)


def new_builder(page: Page, name: str) -> Locator:
    """Display a fresh ``StageBuilder(p)`` (bound to ``sb_<name>`` in the kernel) and wait for its graph."""
    var = f'sb_{name.replace("-", "_")}'
    cell = run_cell(page, f'{var} = pxw.StageBuilder(p)\n{var}', name)
    builder = cell.get_by_test_id('pxw-stage-builder')
    expect(builder).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(len(k(page, 'stage_names()')))
    builder.scroll_into_view_if_needed()
    return builder


def node(builder: Locator, stage: str) -> Locator:
    return builder.locator(f'[data-testid="pxw-stage-node"][data-stage="{stage}"]')


def stage_ids(builder: Locator) -> list[str]:
    return builder.get_by_test_id('pxw-stage-node').evaluate_all('els => els.map((e) => e.dataset.stage)')


def rows_text(n: int) -> str:
    return f'{n} {"row" if n == 1 else "rows"}'


def grid_rows(builder: Locator, grid: str = 'pxw-grid') -> Locator:
    return builder.locator(f'[data-testid="{grid}"] tbody tr')


def cells(scope: Locator, column: str, kind: str | None = None) -> Locator:
    selector = f'[data-testid="pxw-cell"][data-column="{column}"]'
    return scope.locator(f'{selector}[data-kind="{kind}"]' if kind else selector)


def expect_images_loaded(page: Page, scope: Locator, column: str, n: int) -> None:
    """``n`` image cells in ``column``, each with a decoded ``<img>`` (naturalWidth > 0)."""
    images = cells(scope, column, 'image').locator('img')
    expect(images).to_have_count(n, timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function(
        'imgs => imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)',
        arg=images.element_handles(),
        timeout=WIDGET_TIMEOUT_MS,
    )


def open_add_form(builder: Locator, after: str, transform: str) -> None:
    """Click "+" on ``after``'s box and pick ``transform`` in the form that opens."""
    node(builder, after).get_by_test_id('pxw-stage-add').click()
    expect(builder.get_by_test_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')
    expect(builder.get_by_test_id('pxw-after-select')).to_have_value(after)
    select = builder.get_by_test_id('pxw-transform-select')
    expect(select).to_be_enabled(timeout=WIDGET_TIMEOUT_MS)
    select.select_option(transform)
    expect(builder.get_by_test_id('pxw-transform-description')).not_to_be_empty()


# Records what the panel showed while an add ran (it can be over before an `expect` would poll it).
_WATCH_ADD = """
(root) => {
  const seen = { progress: false, pending: [], adding: false, labels: [] };
  const check = () => {
    const bar = root.querySelector('[data-testid="pxw-progress"]');
    if (bar && !bar.hidden) {
      seen.progress = true;
      const label = root.querySelector('[data-testid="pxw-progress-label"]');
      const text = label ? label.textContent : '';
      if (text && !seen.labels.includes(text)) seen.labels.push(text);
    }
    const pending = root.querySelector('[data-testid="pxw-stage-pending"]');
    if (pending && !seen.pending.includes(pending.dataset.stage)) seen.pending.push(pending.dataset.stage);
    const add = root.querySelector('[data-testid="pxw-add-stage"]');
    if (add && add.disabled && add.textContent === 'Adding…') seen.adding = true;
  };
  const observer = new MutationObserver(check);
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  window.__pxwAddSeen = seen;
  window.__pxwAddObserver = observer;
}
"""


def watch_add(builder: Locator) -> None:
    builder.evaluate(_WATCH_ADD)


def add_seen(page: Page) -> dict[str, Any]:
    return page.evaluate('() => { window.__pxwAddObserver.disconnect(); return window.__pxwAddSeen; }')


# ---- (1) the graph, rows, frames and boxes ---------------------------------------------------------------------------


def test_graph_shows_real_stages_and_counts_and_a_stage_shows_its_rows(nb: Page) -> None:
    page = nb
    builder = new_builder(page, 'graph')
    stages = k(page, '[(s.name, s.kind) for s in p.stages]')
    counts = k(page, 'stage_rows()')
    assert [name for name, _ in stages] == STAGES
    assert counts['frames'] == 4 and counts['videos'] == 1  # 2 s at 2 fps

    assert stage_ids(builder) == STAGES
    for name, kind in stages:
        expect(node(builder, name)).to_have_attribute('data-kind', kind)
        expect(node(builder, name).get_by_test_id('pxw-stage-rows')).to_have_text(rows_text(counts[name]))
    expect(builder.get_by_test_id('pxw-source')).to_have_text(SOURCE)
    expect(builder.get_by_test_id('pxw-stage-count')).to_have_text(f'{len(STAGES)} stages')
    expect(builder.locator('.pxw-sg-edges path.pxw-sg-edge')).to_have_count(len(STAGES) - 1)
    expect(node(builder, 'faces').get_by_test_id('pxw-stage-definition')).to_have_attribute(
        'title', k(page, "p.stage('faces').definition")
    )
    expect(node(builder, k(page, 'p.head'))).to_contain_text('head')
    expect(builder.get_by_test_id('pxw-rows-empty')).to_be_visible()

    # The frames stage: its rows, each frame a decoded image (frames are not stored: Pixeltable decodes them).
    grid = builder.get_by_test_id('pxw-grid')
    node(builder, 'frames').click()
    expect(node(builder, 'frames')).to_have_attribute('aria-selected', 'true')
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('frames')
    n_frames = counts['frames']
    expect(builder.get_by_test_id('pxw-page-info')).to_have_text(f'rows 1–{n_frames} of {n_frames}')
    expect(grid_rows(builder)).to_have_count(n_frames)
    expect_images_loaded(page, grid, 'frame', n_frames)
    expect(builder.get_by_test_id('pxw-header-frame')).to_have_class(re.compile('pxw-stage-col'))
    wait_kernel_value(page, 'sb_graph.selected', 'frames')

    # The faces stage: the same rows, its column marked, and its detections drawn over the frames.
    node(builder, 'faces').click()
    expect(node(builder, 'faces')).to_have_attribute('aria-selected', 'true')
    expect(node(builder, 'frames')).to_have_attribute('aria-selected', 'false')
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('faces')
    expect(builder.get_by_test_id('pxw-header-faces')).to_have_class(re.compile('pxw-stage-col'))
    expect(builder.get_by_test_id('pxw-header-frame')).not_to_have_class(re.compile('pxw-stage-col'))
    wait_kernel_value(page, 'sb_graph.selected', 'faces')
    expect_images_loaded(page, grid, 'frame', n_frames)
    detections = k(
        page, "sorted(len(f['bboxes']) for f in t.select(t.faces).collect()['faces'])", f't = pxt.get_table({FRAMES!r})'
    )
    assert sum(detections) > 0, 'the demo video should have faces'
    boxes = cells(grid, 'frame', 'image').get_by_test_id('pxw-overlay-box')
    expect(boxes).to_have_count(sum(detections))
    # per row: as many boxes over the frame as that row's n_faces says, each inside the frame
    per_row = [
        (
            row.locator('[data-column="frame"] [data-testid="pxw-overlay-box"]').count(),
            int(cells(row, 'n_faces').inner_text()),
        )
        for row in grid_rows(builder).all()
    ]
    assert sorted(n for n, _ in per_row) == detections
    assert all(shown == n for shown, n in per_row), per_row
    for i in range(boxes.count()):
        box = boxes.nth(i)
        expect(box).to_be_visible()
        expect(box).to_have_attribute('title', re.compile(r'^faces: face'))
        img = box.locator('xpath=ancestor::*[@data-testid="pxw-cell"]//img')
        b, frame = box.bounding_box(), img.bounding_box()
        assert b and frame and b['width'] > 2 and b['height'] > 2
        assert frame['x'] - 1 <= b['x'] and b['x'] + b['width'] <= frame['x'] + frame['width'] + 1
        assert frame['y'] - 1 <= b['y'] and b['y'] + b['height'] <= frame['y'] + frame['height'] + 1
    publish_panel_screenshot(builder, 'stage-builder')


# ---- (2) add a stage: preview, then add -----------------------------------------------------------------------------


def test_add_a_stage_preview_writes_nothing_then_add_creates_it(nb: Page) -> None:
    page = nb
    builder = new_builder(page, 'add')
    before = k(page, 'versions()')
    open_add_form(builder, 'frames', 'detect_eyes')
    options = (
        builder.get_by_test_id('pxw-transform-select').locator('option').evaluate_all('os => os.map((o) => o.value)')
    )
    assert options == k(page, "[t['name'] for t in p.transforms('frames')]")
    neighbors = builder.get_by_test_id('pxw-param-min_neighbors')
    expect(neighbors).to_have_attribute('type', 'number')
    neighbors.fill('3')
    name = builder.get_by_test_id('pxw-stage-name')
    expect(name).to_have_value('detect_eyes')
    name.fill('eyes')

    # Preview: rows with the new column, and nothing written.
    builder.get_by_test_id('pxw-preview').click()
    preview = builder.get_by_test_id('pxw-preview-grid')
    expect(preview).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    n_frames = k(page, 'stage_rows()')['frames']
    expect(grid_rows(builder, 'pxw-preview-grid')).to_have_count(n_frames, timeout=WIDGET_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-preview-section')).to_contain_text('nothing is written')
    expect(builder.get_by_test_id('pxw-preview-header-eyes')).to_have_class(re.compile('pxw-stage-col'))
    expect(cells(preview, 'eyes')).to_have_count(n_frames)
    expect_images_loaded(page, preview, 'frame', n_frames)
    expect(builder.get_by_test_id('pxw-form-error')).to_be_hidden()
    expect(builder.get_by_test_id('pxw-error')).to_be_hidden()
    assert k(page, 'versions()') == before, 'a preview wrote to the pipeline'
    assert 'eyes' not in k(page, f'columns({FRAMES!r})')
    assert k(page, 'stage_names()') == STAGES
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(len(STAGES))
    publish_panel_screenshot(builder, 'stage-builder-add')

    # Add: progress while it runs, then the new stage in the graph, selected, with its rows.
    watch_add(builder)
    builder.get_by_test_id('pxw-add-stage').click()
    eyes = node(builder, 'eyes')
    expect(eyes).to_have_attribute('aria-selected', 'true', timeout=KERNEL_TIMEOUT_MS)
    seen = add_seen(page)
    assert seen['progress'] and seen['adding'] and seen['pending'] == ['eyes'], seen
    assert any('eyes' in label for label in seen['labels']), seen
    expect(builder.get_by_test_id('pxw-progress')).to_be_hidden()
    expect(builder.get_by_test_id('pxw-stage-pending')).to_have_count(0)
    expect(builder.get_by_test_id('pxw-error')).to_be_hidden()
    expect(builder.get_by_test_id('pxw-tab-rows')).to_have_attribute('aria-selected', 'true')
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(len(STAGES) + 1)
    expect(builder.get_by_test_id('pxw-stage-count')).to_have_text(f'{len(STAGES) + 1} stages')
    expect(eyes).to_have_attribute('data-kind', 'column')
    assert builder.locator('.pxw-sg-edges path[data-source="frames"][data-target="eyes"]').count() == 1
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('eyes')
    expect(builder.get_by_test_id('pxw-page-info')).to_have_text(f'rows 1–{n_frames} of {n_frames}')
    expect(builder.get_by_test_id('pxw-header-eyes')).to_have_class(re.compile('pxw-stage-col'))
    expect(cells(builder.get_by_test_id('pxw-grid'), 'eyes')).to_have_count(n_frames)

    # The kernel: the column exists, made with those parameters, and the panel's selection is the new stage.
    assert 'eyes' in k(page, f'columns({FRAMES!r})')
    assert k(page, 'stage_names()') == [*STAGES, 'eyes']
    stage = k(page, "(lambda s: (s.kind, s.table, s.transform, dict(s.params)))(p.stage('eyes'))")
    assert stage[:3] == ('column', FRAMES, 'detect_eyes') and stage[3]['min_neighbors'] == 3
    after = k(page, 'versions()')
    assert after[FRAMES] > before[FRAMES] and after[SOURCE] == before[SOURCE]
    expect(eyes.get_by_test_id('pxw-stage-rows')).to_have_text(rows_text(k(page, 'stage_rows()')['eyes']))
    wait_kernel_value(page, 'sb_add.selected', 'eyes')
    # The next stage goes after the new one.
    builder.get_by_test_id('pxw-tab-add').click()
    expect(builder.get_by_test_id('pxw-after-select')).to_have_value('eyes')
    expect(builder.get_by_test_id('pxw-add-status')).to_have_text(f'Added eyes ({rows_text(n_frames)}).')


# ---- (3) bad parameters and names are refused ------------------------------------------------------------------------


def test_a_bad_parameter_or_name_is_refused_and_nothing_is_written(nb: Page) -> None:
    page = nb
    builder = new_builder(page, 'refuse')
    before = k(page, 'versions()')
    stages = k(page, 'stage_names()')
    open_add_form(builder, 'frames', 'detect_faces')
    form_error = builder.get_by_test_id('pxw-form-error')

    # Out of range, typed into the fields: refused in the browser, beside each field.
    neighbors = builder.get_by_test_id('pxw-param-min_neighbors')
    neighbors.fill('99')
    expect(builder.get_by_test_id('pxw-param-error-min_neighbors')).to_have_text('Must be ≤ 50.')
    expect(neighbors).to_have_attribute('aria-invalid', 'true')
    scale = builder.get_by_test_id('pxw-param-scale_factor')
    scale.fill('0.5')
    expect(builder.get_by_test_id('pxw-param-error-scale_factor')).to_have_text('Must be ≥ 1.01.')
    builder.get_by_test_id('pxw-stage-name').fill('strict_faces')
    builder.get_by_test_id('pxw-preview').click()
    expect(form_error).to_have_text('Fix the marked fields first.')
    expect(builder.get_by_test_id('pxw-preview-section')).to_be_hidden()
    builder.get_by_test_id('pxw-add-stage').click()
    expect(form_error).to_have_text('Fix the marked fields first.')
    expect(builder.get_by_test_id('pxw-stage-pending')).to_have_count(0)
    expect(builder.get_by_test_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')

    # Good parameters, but a name Pixeltable would take as a keyword argument: the kernel refuses to add it.
    neighbors.fill('8')
    scale.fill('1.2')
    expect(builder.get_by_test_id('pxw-param-error-min_neighbors')).to_be_hidden()
    expect(builder.get_by_test_id('pxw-param-error-scale_factor')).to_be_hidden()
    name = builder.get_by_test_id('pxw-stage-name')
    name.fill('stored')
    expect(builder.get_by_test_id('pxw-stage-name-error')).to_be_hidden()  # the browser cannot know
    watch_add(builder)
    builder.get_by_test_id('pxw-add-stage').click()
    expect(builder.get_by_test_id('pxw-stage-name-error')).to_have_text(STORED_REFUSAL, timeout=KERNEL_TIMEOUT_MS)
    expect(builder.get_by_test_id('pxw-error-message')).to_have_text(STORED_REFUSAL)
    expect(builder.get_by_test_id('pxw-error-hint')).to_contain_text('stored_value')
    expect(form_error).to_contain_text("'stored' cannot be a stage name")
    expect(name).to_have_attribute('aria-invalid', 'true')
    # the button comes back, no stage appears, the form keeps its draft
    expect(builder.get_by_test_id('pxw-add-stage')).to_have_text('Add stage')
    expect(builder.get_by_test_id('pxw-add-stage')).to_be_enabled()
    expect(builder.get_by_test_id('pxw-stage-pending')).to_have_count(0)
    expect(builder.get_by_test_id('pxw-progress')).to_be_hidden()
    expect(builder.get_by_test_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')
    expect(neighbors).to_have_value('8')
    assert add_seen(page)['pending'] == ['stored']  # it did go to the kernel
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(len(stages))
    assert stage_ids(builder) == stages
    assert not {'stored', 'strict_faces'} & set(k(page, f'columns({FRAMES!r})'))
    assert k(page, 'stage_names()') == stages
    assert k(page, 'versions()') == before, 'a refused stage wrote to the pipeline'

    # Fixing the name clears the refusal; the preview works and still writes nothing.
    name.fill('strict_faces')
    expect(builder.get_by_test_id('pxw-stage-name-error')).to_be_hidden()
    builder.get_by_test_id('pxw-preview').click()
    expect(grid_rows(builder, 'pxw-preview-grid')).to_have_count(k(page, 'stage_rows()')['frames'])
    expect(form_error).to_be_hidden()
    expect(builder.get_by_test_id('pxw-error')).to_be_hidden()
    assert k(page, 'versions()') == before


def test_preview_refuses_a_name_that_add_refuses(nb: Page) -> None:
    page = nb
    builder = new_builder(page, 'preview_name')
    before = k(page, 'versions()')
    open_add_form(builder, 'frames', 'detect_faces')
    builder.get_by_test_id('pxw-stage-name').fill('stored')
    builder.get_by_test_id('pxw-preview').click()
    # Wait for the kernel's answer (a preview or a refusal), then judge it.
    answered = builder.locator(
        '[data-testid="pxw-preview-grid"] tbody tr, [data-testid="pxw-form-error"]:not([hidden])'
    )
    expect(answered.first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    assert k(page, 'versions()') == before
    expect(builder.get_by_test_id('pxw-stage-name-error')).to_have_text(STORED_REFUSAL, timeout=1000)
    expect(builder.get_by_test_id('pxw-preview-section')).to_be_hidden(timeout=1000)


# ---- (4) drop a stage ------------------------------------------------------------------------------------------------


def test_drop_lists_the_plan_cancel_keeps_confirm_drops(nb: Page) -> None:
    page = nb
    # Two stages of this test's own, made from the kernel: a second face detector and its count.
    kernel_eval(
        page,
        "p.add_stage('big_faces', transform='detect_faces', params={'min_size': 60}, after='frames')\n"
        "p.add_stage('n_big', transform='count_detections', after='big_faces')",
    )
    builder = new_builder(page, 'drop')
    for stage in ('big_faces', 'n_big'):
        expect(node(builder, stage)).to_be_visible()
    plan = k(page, "p.drop_plan('big_faces')")
    assert sorted(plan) == ['big_faces', 'n_big']
    stages = k(page, 'stage_names()')
    before = k(page, 'versions()')

    # Select a stage that the drop takes with it.
    node(builder, 'n_big').click()
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('n_big')
    wait_kernel_value(page, 'sb_drop.selected', 'n_big')

    dialog = builder.get_by_test_id('pxw-drop-dialog')
    node(builder, 'big_faces').get_by_test_id('pxw-stage-drop').click()
    expect(builder.get_by_test_id('pxw-drop-plan')).to_have_text(f'Drop {len(plan)} stages: {", ".join(plan)}?')
    expect(dialog).to_be_visible()
    expect(builder.get_by_test_id('pxw-drop-cancel')).to_be_focused()
    for stage in plan:
        expect(node(builder, stage)).to_have_class(re.compile('pxw-sg-doomed'))
    expect(builder.locator('.pxw-sg-doomed')).to_have_count(len(plan))

    # Cancel: nothing happens.
    builder.get_by_test_id('pxw-drop-cancel').click()
    expect(dialog).to_be_hidden()
    expect(builder.locator('.pxw-sg-doomed')).to_have_count(0)
    assert stage_ids(builder) == stages
    assert k(page, 'stage_names()') == stages
    assert {'big_faces', 'n_big'} <= set(k(page, f'columns({FRAMES!r})'))
    assert k(page, 'versions()') == before

    # Confirm: both stages go, in the graph and in Pixeltable; the selection moves to the stage they hung off.
    node(builder, 'big_faces').get_by_test_id('pxw-stage-drop').click()
    expect(builder.get_by_test_id('pxw-drop-plan')).to_have_text(f'Drop {len(plan)} stages: {", ".join(plan)}?')
    builder.get_by_test_id('pxw-drop-confirm').click()
    expect(dialog).to_be_hidden(timeout=KERNEL_TIMEOUT_MS)
    remaining = [s for s in stages if s not in plan]
    expect(builder.get_by_test_id('pxw-stage-node')).to_have_count(len(remaining))
    assert stage_ids(builder) == remaining
    expect(builder.get_by_test_id('pxw-stage-count')).to_have_text(f'{len(remaining)} stages')
    expect(builder.get_by_test_id('pxw-error')).to_be_hidden()
    expect(node(builder, 'frames')).to_have_attribute('aria-selected', 'true')
    expect(builder.get_by_test_id('pxw-rows-caption')).to_contain_text('frames')
    n_frames = k(page, 'stage_rows()')['frames']
    expect(builder.get_by_test_id('pxw-page-info')).to_have_text(f'rows 1–{n_frames} of {n_frames}')
    assert k(page, 'stage_names()') == remaining
    assert not {'big_faces', 'n_big'} & set(k(page, f'columns({FRAMES!r})'))
    wait_kernel_value(page, 'sb_drop.selected', 'frames')
