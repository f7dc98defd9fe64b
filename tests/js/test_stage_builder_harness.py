"""StageBuilder's JavaScript in real Chromium, over a fake model: the stage graph, rows, the Add-stage form with
preview and progress, drop with confirmation, code, untrusted text, and a 50-stage graph."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, expect
from pxw_harness import Harness

from pxwidgets.errors import CancelledError, InvalidParameterError

XSS = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>']
DEMO_STAGES = ['videos', 'frames', 'faces', 'n_faces', 'with_faces', 'alerts', 'people']


class StageHarness:
    """The StageBuilder bundle (``harness/index.html?entry=stage_builder``); wraps the shared Harness helpers."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.page = harness.page

    def open(
        self,
        *,
        theme: str = 'light',
        selected: str = '',
        graph: str = 'demo',
        fail: str = '',
        width: int = 1280,
        height: int = 1000,
    ) -> StageHarness:
        self.h.goto('stage_builder', width=width, height=height, theme=theme, selected=selected, graph=graph, fail=fail)
        if 'graph' not in fail:
            self.nodes().first.wait_for()
        return self

    # ---- reading -----------------------------------------------------------------------------------------------

    def by_id(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def nodes(self) -> Locator:
        return self.by_id('pxw-stage-node')

    def node(self, stage: str) -> Locator:
        return self.page.locator(f'[data-testid="pxw-stage-node"][data-stage={_css_string(stage)}]')

    def rows(self, grid: str = 'pxw-grid') -> Locator:
        return self.h.rows(grid)

    def cell(self, row: int, column: str, grid: str = 'pxw-grid') -> Locator:
        return self.h.cell(row, column, grid)

    def requests(self, kind: str) -> list[dict[str, Any]]:
        return self.h.requests(kind)

    def last(self, kind: str) -> dict[str, Any]:
        return self.h.last(kind)

    def wait_requests(self, kind: str, count: int) -> dict[str, Any]:
        return self.h.wait_requests(kind, count)

    def fake(self, script: str, arg: Any = None) -> Any:
        return self.h.fake(script, arg)

    def trait(self, name: str) -> Any:
        return self.page.evaluate('n => window.__model.get(n)', name)

    def screenshot(self, name: str) -> Any:
        return self.h.screenshot(name)


def _css_string(value: str) -> str:
    """``value`` as a quoted CSS string (stage names can hold quotes: hand-made pipelines, hostile tests)."""
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


@pytest.fixture
def sb(harness: Harness) -> StageHarness:
    return StageHarness(harness)


@pytest.fixture
def s(sb: StageHarness) -> StageHarness:
    return sb.open()


@pytest.mark.parametrize('theme', ['light', 'dark'])
def test_screenshot(sb: StageHarness, theme: str) -> None:
    s = sb.open(theme=theme, selected='faces')
    expect(s.rows()).to_have_count(10)
    s.cell(0, 'frame').locator('img').evaluate('el => el.decode()')
    suffix = '' if theme == 'light' else '-dark'
    s.screenshot(f'stage-builder-harness{suffix}.png')
    if theme == 'light':
        s.node('with_faces').get_by_test_id('pxw-stage-add').click()
        expect(s.by_id('pxw-param-cascade')).to_be_visible()
        s.by_id('pxw-preview').click()
        expect(s.rows('pxw-preview-grid')).to_have_count(10)
        s.screenshot('stage-builder-harness-add.png')


# ---- the graph ----------------------------------------------------------------------------------------------------


def _box(loc: Locator) -> dict[str, float]:
    b = loc.bounding_box()
    assert b is not None
    return {'x': b['x'], 'y': b['y'], 'width': b['width'], 'height': b['height']}


def test_graph_renders_nodes_edges_counts_and_badges(s: StageHarness) -> None:
    nodes = s.nodes()
    expect(nodes).to_have_count(7)
    assert nodes.evaluate_all('els => els.map(e => e.dataset.stage)') == DEMO_STAGES
    kinds = {n: s.node(n).get_attribute('data-kind') for n in DEMO_STAGES}
    assert kinds == {
        'videos': 'source',
        'frames': 'iterator',
        'faces': 'column',
        'n_faces': 'column',
        'with_faces': 'filter',
        'alerts': 'column',
        'people': 'column',
    }
    labels = {
        n: s.node(n).get_by_test_id('pxw-stage-kind').inner_text() for n in ('videos', 'frames', 'faces', 'with_faces')
    }
    assert labels == {'videos': 'SOURCE', 'frames': 'ITER', 'faces': 'COLUMN', 'with_faces': 'FILTER'}
    expect(s.node('videos').get_by_test_id('pxw-stage-rows')).to_have_text('3 rows')
    expect(s.node('frames').get_by_test_id('pxw-stage-rows')).to_have_text('120 rows')
    expect(s.node('with_faces').get_by_test_id('pxw-stage-rows')).to_have_text('41 rows')
    # error badges only where errors > 0, red
    badges = s.by_id('pxw-stage-errors-count')
    expect(badges).to_have_count(1)
    expect(s.node('faces').get_by_test_id('pxw-stage-errors-count')).to_have_text('3 errors')
    bg = s.node('faces').get_by_test_id('pxw-stage-errors-count').evaluate('el => getComputedStyle(el).backgroundColor')
    r, g, b = (int(x) for x in re.findall(r'\d+', bg)[:3])
    assert r > 150 and g < 100 and b < 100, bg
    # the problem badge carries the full problem; the header lists problems with their fix
    problem = s.node('people').get_by_test_id('pxw-stage-problem')
    expect(problem).to_be_visible()
    expect(problem).to_have_attribute('title', re.compile(r'^UDF __main__\.detect_people_v2 cannot be loaded'))
    expect(s.by_id('pxw-stage-problem')).to_have_count(1)
    expect(s.by_id('pxw-stage-problems')).to_contain_text('people: UDF __main__.detect_people_v2 cannot be loaded')
    expect(s.by_id('pxw-stage-problems')).to_contain_text('Define it in a module')
    # "+" everywhere, drop everywhere but on the source
    expect(s.by_id('pxw-stage-add')).to_have_count(7)
    expect(s.by_id('pxw-stage-drop')).to_have_count(6)
    expect(s.node('videos').get_by_test_id('pxw-stage-drop')).to_have_count(0)
    # the definition: mono, clipped with an ellipsis, the whole text in a tooltip
    definition = s.node('faces').get_by_test_id('pxw-stage-definition')
    full = definition.get_attribute('title')
    assert full and full.startswith('detect_faces(frames.frame, cascade=') and full.endswith('min_size=30)')
    style = definition.evaluate(
        'el => ({to: getComputedStyle(el).textOverflow, ff: getComputedStyle(el).fontFamily,'
        ' clipped: el.scrollWidth > el.clientWidth})'
    )
    assert style['to'] == 'ellipsis' and style['clipped'] and 'mono' in style['ff'].lower()
    # header
    expect(s.by_id('pxw-source')).to_have_text('demo/videos')
    expect(s.by_id('pxw-stage-count')).to_have_text('7 stages')
    expect(s.by_id('pxw-total-errors')).to_have_text('3 errors')
    expect(s.node('alerts')).to_contain_text('head')
    # edges: one arrow per edge
    expect(s.page.locator('.pxw-sg-edges path.pxw-sg-edge')).to_have_count(6)
    # layout: left→right by depth, the main line on one row, the branch stacked below
    v, fr, fa, nf, pe = (_box(s.node(n)) for n in ('videos', 'frames', 'faces', 'n_faces', 'people'))
    assert v['x'] + v['width'] < fr['x'] and fr['x'] + fr['width'] < fa['x'] < nf['x']
    assert v['y'] == fr['y'] == fa['y'] == nf['y']
    assert pe['x'] == fa['x'] and pe['y'] >= fa['y'] + fa['height']
    # nothing selected yet
    assert set(nodes.evaluate_all('els => els.map(e => e.getAttribute("aria-selected"))')) == {'false'}
    expect(s.by_id('pxw-rows-empty')).to_be_visible()
    assert s.requests('rows') == []


def test_boxes_never_overlap_and_edges_join_their_stages(s: StageHarness) -> None:
    rects = s.page.eval_on_selector_all(
        '[data-testid="pxw-stage-node"]',
        'els => els.map(e => [e.dataset.stage, e.offsetLeft, e.offsetTop, e.offsetWidth, e.offsetHeight])',
    )
    for i, (a, ax, ay, aw, ah) in enumerate(rects):
        for b, bx, by, bw, bh in rects[i + 1 :]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    pos = {r[0]: r[1:] for r in rects}
    ends = s.page.eval_on_selector_all(
        '.pxw-sg-edges path.pxw-sg-edge',
        'ps => ps.map(p => { const l = p.getTotalLength(); const a = p.getPointAtLength(0), b = p.getPointAtLength(l);'
        ' return [p.dataset.source, p.dataset.target, a.x, a.y, b.x, b.y]; })',
    )
    for source, target, x1, y1, x2, y2 in ends:
        sx, sy, sw, sh = pos[source]
        tx, ty, _, th = pos[target]
        assert abs(x1 - (sx + sw)) < 1 and abs(y1 - (sy + sh / 2)) < 1, (source, target)
        assert abs(x2 - tx) < 3 and abs(y2 - (ty + th / 2)) < 1, (source, target)


def test_clicking_a_node_selects_it_and_loads_its_rows(s: StageHarness) -> None:
    s.node('frames').locator('.pxw-sg-name').click()
    expect(s.node('frames')).to_have_attribute('aria-selected', 'true')
    assert s.trait('selected') == 'frames'
    assert ['set', 'selected', 'frames'] in s.fake('f => f.log') and ['save_changes'] in s.fake('f => f.log')
    req = s.wait_requests('rows', 1)
    assert req == {'stage': 'frames', 'offset': 0, 'limit': 10, 'order_by': None, 'filters': [], 'errors_only': False}
    expect(s.rows()).to_have_count(10)
    expect(s.by_id('pxw-rows-caption')).to_contain_text('frames')
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 120')
    # frames of an iterator view are images (unstored), with the detections drawn over them
    frame = s.cell(2, 'frame')
    expect(frame).to_have_attribute('data-kind', 'image')
    assert (frame.locator('img').get_attribute('src') or '').startswith('blob:')
    expect(frame.get_by_test_id('pxw-overlay-box')).to_have_count(2)
    expect(s.by_id('pxw-header-frame')).to_have_class(re.compile('pxw-stage-col'))  # the iterator's output column
    s.by_id('pxw-next-page').click()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 11–20 of 120')
    assert s.last('rows')['stage'] == 'frames' and s.last('rows')['offset'] == 10

    # another stage starts on its first page; its own column is marked
    s.node('faces').click()
    expect(s.node('faces')).to_have_attribute('aria-selected', 'true')
    expect(s.node('frames')).to_have_attribute('aria-selected', 'false')
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 120')
    assert s.last('rows')['stage'] == 'faces' and s.last('rows')['offset'] == 0
    expect(s.by_id('pxw-header-faces')).to_have_class(re.compile('pxw-stage-col'))
    expect(s.by_id('pxw-header-frame')).not_to_have_class(re.compile('pxw-stage-col'))

    # the red error badge shows that stage's error rows (the grid's errors_only)
    s.node('faces').get_by_test_id('pxw-stage-errors-count').click()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–3 of 3')
    assert s.last('rows')['errors_only'] is True and s.last('rows')['stage'] == 'faces'
    expect(s.by_id('pxw-errors-only')).to_be_checked()
    assert set(s.h.column_values('faces')) == {'ValueError'}
    s.by_id('pxw-errors-only').uncheck()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 120')

    # the selected trait set from Python
    s.page.evaluate('window.__model.set("selected", "with_faces")')
    expect(s.node('with_faces')).to_have_attribute('aria-selected', 'true')
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 41')
    assert s.last('rows')['stage'] == 'with_faces'
    # and cleared
    s.page.evaluate('window.__model.set("selected", "")')
    expect(s.by_id('pxw-rows-empty')).to_be_visible()
    expect(s.page.locator('[data-testid="pxw-stage-node"][aria-selected="true"]')).to_have_count(0)


def test_keyboard_moves_between_stages_and_selects(s: StageHarness) -> None:
    s.node('frames').click()
    expect(s.node('frames')).to_have_attribute('tabindex', '0')
    s.node('frames').focus()
    s.page.keyboard.press('ArrowRight')
    expect(s.node('faces')).to_be_focused()
    s.page.keyboard.press('ArrowDown')
    expect(s.node('people')).to_be_focused()
    s.page.keyboard.press('Enter')
    expect(s.node('people')).to_have_attribute('aria-selected', 'true')
    assert s.trait('selected') == 'people'
    s.page.keyboard.press('ArrowLeft')
    expect(s.node('frames')).to_be_focused()
    s.page.keyboard.press('+')
    expect(s.by_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')
    assert s.wait_requests('transforms', 1) == {'after': 'frames'}


def test_initial_selection_loads_rows_without_waiting_for_the_graph(sb: StageHarness) -> None:
    s = sb.open(selected='n_faces')
    expect(s.node('n_faces')).to_have_attribute('aria-selected', 'true')
    expect(s.rows()).to_have_count(10)
    assert s.requests('rows')[0]['stage'] == 'n_faces'
    expect(s.by_id('pxw-header-n_faces')).to_have_class(re.compile('pxw-stage-col'))


# ---- adding a stage -------------------------------------------------------------------------------------------------


def _options(s: StageHarness, testid: str) -> list[str]:
    return s.by_id(testid).locator('option').evaluate_all('os => os.map(o => o.value)')


def _add_after(s: StageHarness, stage: str, count: int) -> None:
    s.node(stage).get_by_test_id('pxw-stage-add').click()
    assert s.wait_requests('transforms', count) == {'after': stage}
    expect(s.by_id('pxw-transform-select')).to_be_enabled()
    assert len(s.requests('transforms')) == count  # only that stage's transforms were asked for


def test_plus_opens_the_form_after_that_stage_and_fetches_its_transforms(s: StageHarness) -> None:
    _add_after(s, 'n_faces', 1)
    expect(s.by_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')
    expect(s.by_id('pxw-after-select')).to_have_value('n_faces')
    expect(s.node('n_faces')).to_have_class(re.compile('pxw-sg-after'))
    assert _options(s, 'pxw-transform-select') == ['when', 'keep_if', 'sample_rows']
    groups = s.by_id('pxw-transform-select').locator('optgroup').evaluate_all('gs => gs.map(g => g.label)')
    assert groups == ['Columns — one new value per row', 'Filters — keep some rows']
    expect(s.by_id('pxw-transform-description')).to_contain_text('One label where a comparison holds')
    expect(s.by_id('pxw-stage-name')).to_have_value('when')
    assert s.requests('rows') == []  # "+" does not change the selection

    # a stage that already has a reader: adding after it makes a branch
    _add_after(s, 'frames', 2)
    expect(s.node('n_faces')).not_to_have_class(re.compile('pxw-sg-after'))
    expect(s.node('frames')).to_have_class(re.compile('pxw-sg-after'))
    assert _options(s, 'pxw-transform-select') == ['detect_faces', 'detect_objects', 'sample_rows']
    expect(s.by_id('pxw-stage-name')).to_have_value('detect_faces')
    expect(s.by_id('pxw-transform-description')).to_contain_text("Faces found by one of OpenCV's Haar cascades.")
    # the form follows the parameter schema
    expect(s.by_id('pxw-param-cascade')).to_have_js_property('tagName', 'SELECT')
    assert _options(s, 'pxw-param-cascade')[0] == 'haarcascade_frontalface_default'
    scale = s.by_id('pxw-param-scale_factor')
    expect(scale).to_have_attribute('type', 'number')
    expect(scale).to_have_attribute('min', '1.01')
    expect(scale).to_have_attribute('max', '2')
    expect(scale).to_have_value('1.1')
    expect(s.by_id('pxw-param-min_size')).to_have_attribute('step', '1')
    s.by_id('pxw-transform-select').select_option('detect_objects')
    expect(s.by_id('pxw-param-threshold')).to_be_visible()
    expect(s.by_id('pxw-param-cascade')).to_have_count(0)
    expect(s.by_id('pxw-transform-description')).to_contain_text('needs the network')
    expect(s.by_id('pxw-stage-name')).to_have_value('detect_objects')

    # choosing another "after" in the form fetches its transforms
    s.by_id('pxw-after-select').select_option('alerts')
    assert s.wait_requests('transforms', 3) == {'after': 'alerts'}
    expect(s.by_id('pxw-transform-select')).to_have_value('text_contains')
    expect(s.by_id('pxw-param-case')).to_have_attribute('type', 'checkbox')
    expect(s.node('alerts')).to_have_class(re.compile('pxw-sg-after'))

    # the Add tab opened directly adds after the selected stage
    s.by_id('pxw-tab-rows').click()
    expect(s.node('alerts')).not_to_have_class(re.compile('pxw-sg-after'))


def test_param_form_validates_in_the_browser(s: StageHarness) -> None:
    _add_after(s, 'with_faces', 1)
    scale = s.by_id('pxw-param-scale_factor')
    scale.fill('5')
    expect(s.by_id('pxw-param-error-scale_factor')).to_have_text('Must be ≤ 2.')
    expect(scale).to_have_attribute('aria-invalid', 'true')
    neighbors = s.by_id('pxw-param-min_neighbors')
    neighbors.fill('2.5')
    expect(s.by_id('pxw-param-error-min_neighbors')).to_have_text('Enter a whole number.')
    neighbors.fill('')
    expect(s.by_id('pxw-param-error-min_neighbors')).to_have_text('Required.')
    s.by_id('pxw-param-min_size').fill('0')
    expect(s.by_id('pxw-param-error-min_size')).to_have_text('Must be ≥ 1.')
    s.by_id('pxw-preview').click()
    s.by_id('pxw-add-stage').click()
    expect(s.by_id('pxw-form-error')).to_have_text('Fix the marked fields first.')
    assert s.requests('preview') == [] and s.requests('add') == []  # refused in the browser
    expect(scale).to_be_focused()

    scale.fill('1.5')
    neighbors.fill('3')
    s.by_id('pxw-param-min_size').fill('24')
    for name in ('scale_factor', 'min_neighbors', 'min_size'):
        expect(s.by_id(f'pxw-param-error-{name}')).to_be_hidden()
    name_input = s.by_id('pxw-stage-name')
    name_input.fill('1faces')
    expect(s.by_id('pxw-stage-name-error')).to_have_text('Use letters, digits and underscores, starting with a letter.')
    name_input.fill('Faces')
    expect(s.by_id('pxw-stage-name-error')).to_have_text('A stage named Faces exists already.')
    s.by_id('pxw-preview').click()
    assert s.requests('preview') == []
    expect(name_input).to_be_focused()
    name_input.fill('')
    expect(s.by_id('pxw-stage-name-error')).to_have_text('Required.')
    name_input.fill('big_faces')
    expect(s.by_id('pxw-stage-name-error')).to_be_hidden()
    s.by_id('pxw-preview').click()
    assert s.wait_requests('preview', 1)['params'] == {
        'cascade': 'haarcascade_frontalface_default',
        'scale_factor': 1.5,
        'min_neighbors': 3,
        'min_size': 24,
    }
    expect(s.by_id('pxw-form-error')).to_be_hidden()


def test_server_refusals_show_in_the_error_area_and_beside_the_form(s: StageHarness) -> None:
    _add_after(s, 'with_faces', 1)
    refused = InvalidParameterError(  # serialised by the kernel's own error_info(), as a real refusal is
        'Invalid parameters for detect_faces: min_size: Input should be greater than or equal to 8 (got 4).',
        errors=[{'param': 'min_size', 'message': 'Input should be greater than or equal to 8 (got 4)'}],
        hint='Check the ranges.',
    )
    error = s.h.fail_next_with('preview', refused)
    assert error['details']['params'][0]['param'] == 'min_size'
    s.by_id('pxw-param-min_size').fill('4')
    s.by_id('pxw-preview').click()
    expect(s.by_id('pxw-error-message')).to_have_text(error['message'])
    expect(s.by_id('pxw-form-error')).to_contain_text('Invalid parameters for detect_faces')
    expect(s.by_id('pxw-param-error-min_size')).to_have_text(error['details']['params'][0]['message'])
    expect(s.by_id('pxw-error-fields')).to_contain_text('min_size')
    expect(s.by_id('pxw-param-error-scale_factor')).to_be_hidden()
    expect(s.by_id('pxw-preview-grid')).to_be_hidden()
    # editing the field clears its server message
    s.by_id('pxw-param-min_size').fill('8')
    expect(s.by_id('pxw-param-error-min_size')).to_be_hidden()

    # a name the kernel refuses (reserved): shown beside the name
    s.by_id('pxw-stage-name').fill('count')
    s.by_id('pxw-preview').click()
    expect(s.by_id('pxw-stage-name-error')).to_have_text("'count' is a reserved name in Pixeltable.")
    expect(s.by_id('pxw-error-message')).to_have_text("'count' is a reserved name in Pixeltable.")
    assert s.last('preview')['name'] == 'count'

    # a good preview clears both
    s.by_id('pxw-stage-name').fill('faces_8')
    s.by_id('pxw-preview').click()
    expect(s.rows('pxw-preview-grid')).to_have_count(10)
    expect(s.by_id('pxw-form-error')).to_be_hidden()
    expect(s.by_id('pxw-error')).to_be_hidden()


def test_preview_sends_the_draft_and_shows_a_preview_grid(s: StageHarness) -> None:
    _add_after(s, 'faces', 1)
    assert _options(s, 'pxw-transform-select') == ['count_detections', 'has_detections', 'sample_rows']
    expect(s.by_id('pxw-param-form')).to_contain_text('This transform has no parameters.')
    s.by_id('pxw-preview').click()
    req = s.wait_requests('preview', 1)
    assert req == {'after': 'faces', 'transform': 'count_detections', 'params': {}, 'name': 'count_detections', 'n': 10}
    grid = s.by_id('pxw-preview-grid')
    expect(grid).to_be_visible()
    expect(s.rows('pxw-preview-grid')).to_have_count(10)
    expect(s.by_id('pxw-preview-section')).to_contain_text('nothing is written')
    new_col = s.by_id('pxw-preview-header-count_detections')
    expect(new_col).to_have_class(re.compile('pxw-stage-col'))
    expect(new_col).to_be_in_viewport()
    assert grid.locator('button.pxw-sortable').count() == 0  # a fixed sample does not sort
    assert s.requests('add') == [] and s.requests('rows') == []
    expect(s.nodes()).to_have_count(7)

    # parameters of every type travel typed; a changed form marks the preview stale
    s.by_id('pxw-transform-select').select_option('sample_rows')
    expect(s.by_id('pxw-preview-section')).to_have_class(re.compile('pxw-sf-stale'))
    expect(s.by_id('pxw-param-seed')).to_have_attribute('placeholder', '(none)')
    s.by_id('pxw-param-every').fill('3')
    s.by_id('pxw-preview').click()
    assert s.wait_requests('preview', 2) == {
        'after': 'faces',
        'transform': 'sample_rows',
        'params': {'every': 3, 'seed': None},
        'name': 'sample_rows',
        'n': 10,
    }
    expect(s.by_id('pxw-preview-section')).not_to_have_class(re.compile('pxw-sf-stale'))

    _add_after(s, 'alerts', 2)
    s.by_id('pxw-param-text').fill('crowd')
    s.by_id('pxw-param-case').check()
    s.by_id('pxw-stage-name').fill('crowded')
    s.by_id('pxw-stage-name').press('Enter')  # Enter previews (never adds)
    assert s.wait_requests('preview', 3)['params'] == {'text': 'crowd', 'case': True}
    assert s.last('preview')['name'] == 'crowded' and s.requests('add') == []


def test_add_shows_progress_keeps_the_panel_usable_and_selects_the_new_stage(s: StageHarness) -> None:
    _add_after(s, 'faces', 1)
    s.by_id('pxw-transform-select').select_option('has_detections')
    s.by_id('pxw-param-min_count').fill('2')
    s.by_id('pxw-stage-name').fill('crowds')
    s.fake('f => { f.hold.add = true }')
    s.by_id('pxw-add-stage').click()
    assert s.wait_requests('add', 1) == {
        'after': 'faces',
        'transform': 'has_detections',
        'params': {'min_count': 2},
        'name': 'crowds',
    }
    add_btn = s.by_id('pxw-add-stage')
    expect(add_btn).to_be_disabled()
    expect(add_btn).to_have_text('Adding…')
    expect(s.by_id('pxw-progress')).to_be_visible()
    expect(s.by_id('pxw-progress-label')).to_have_text('120/120 · storing')
    expect(s.by_id('pxw-add-status')).to_contain_text('Adding crowds… 120/120 storing')
    pending = s.by_id('pxw-stage-pending')
    expect(pending).to_be_visible()
    expect(pending).to_contain_text('crowds')
    # the panel stays usable: rows of another stage load while the add runs
    s.node('frames').click()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 120')
    assert s.last('rows')['stage'] == 'frames'
    expect(s.by_id('pxw-progress')).to_be_visible()  # the add still owns the bar
    s.by_id('pxw-tab-add').click()
    expect(add_btn).to_be_disabled()
    expect(s.by_id('pxw-after-select')).to_have_value('faces')  # the form kept its draft
    n = len(s.requests('add'))
    add_btn.click(force=True)
    assert len(s.requests('add')) == n  # disabled: no second add

    s.fake("f => f.release('add')")
    new = s.node('crowds')
    expect(new).to_have_attribute('aria-selected', 'true')
    expect(s.nodes()).to_have_count(8)
    expect(pending).to_have_count(0)
    expect(new).to_have_attribute('data-kind', 'filter')
    assert s.trait('selected') == 'crowds'
    expect(s.by_id('pxw-tab-rows')).to_have_attribute('aria-selected', 'true')
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 40')
    assert s.last('rows')['stage'] == 'crowds'
    expect(s.by_id('pxw-progress')).to_be_hidden()
    expect(add_btn).to_be_enabled()
    expect(add_btn).to_have_text('Add stage')
    expect(s.by_id('pxw-stage-count')).to_have_text('8 stages')
    # it hangs off faces, on a row of its own (faces already had a reader)
    fa, nf, cr = (_box(s.node(n)) for n in ('faces', 'n_faces', 'crowds'))
    assert cr['x'] == nf['x'] and cr['y'] > fa['y']
    # the next stage goes after the new one
    s.by_id('pxw-tab-add').click()
    expect(s.by_id('pxw-after-select')).to_have_value('crowds')
    expect(s.by_id('pxw-add-status')).to_have_text('Added crowds (40 rows).')


def test_cancel_sends_a_cancel_for_the_running_add(s: StageHarness) -> None:
    _add_after(s, 'faces', 1)
    s.by_id('pxw-transform-select').select_option('has_detections')
    s.by_id('pxw-stage-name').fill('crowds')
    s.fake('f => { f.hold.add = true }')
    # the kernel's answer once it stops at its next step (serialised by its own error_info)
    s.h.fail_next_with('add', CancelledError('Cancelled.', hint='What was finished before the cancel stands.'))
    s.by_id('pxw-add-stage').click()
    s.wait_requests('add', 1)
    cancel = s.by_id('pxw-cancel')
    expect(cancel).to_be_visible()
    cancel.click()
    expect(cancel).to_be_disabled()
    sent = s.page.evaluate('window.__fake.sent')
    add_id = next(m['id'] for m in sent if m.get('kind') == 'add')
    assert {'type': 'cancel', 'id': add_id} in sent
    s.fake("f => f.release('add')")
    expect(s.by_id('pxw-error-message')).to_have_text('Cancelled.')
    expect(cancel).to_be_hidden()
    expect(s.by_id('pxw-add-stage')).to_be_enabled()


def test_add_with_indeterminate_progress_and_a_failure(s: StageHarness) -> None:
    _add_after(s, 'n_faces', 1)
    s.fake('f => { f.hold.add = true; f.progress.add = [[0, null, "starting"], [5, null, "reading frames"]] }')
    s.by_id('pxw-add-stage').click()
    expect(s.by_id('pxw-progress')).to_have_class(re.compile('pxw-indeterminate'))
    expect(s.by_id('pxw-progress-label')).to_have_text('5 · reading frames')
    expect(s.by_id('pxw-add-status')).to_have_text('Adding when… 5 reading frames')
    s.fake("f => f.release('add')")
    expect(s.node('when')).to_have_attribute('aria-selected', 'true')
    expect(s.by_id('pxw-progress')).to_be_hidden()

    # a failing add: the message in the error area and beside the form; the graph does not change
    _add_after(s, 'n_faces', 2)
    expect(s.by_id('pxw-stage-name')).to_have_value('when_2')  # the default name is free
    s.h.fail_next('add', 'The iterator failed on row 3; nothing was written.', code='stage_failed', hint='See the row.')
    s.by_id('pxw-add-stage').click()
    expect(s.by_id('pxw-error-message')).to_have_text('The iterator failed on row 3; nothing was written.')
    expect(s.by_id('pxw-form-error')).to_contain_text('The iterator failed on row 3')
    expect(s.nodes()).to_have_count(8)
    expect(s.by_id('pxw-stage-pending')).to_have_count(0)
    expect(s.by_id('pxw-add-stage')).to_be_enabled()
    expect(s.by_id('pxw-tab-add')).to_have_attribute('aria-selected', 'true')


# ---- dropping a stage -----------------------------------------------------------------------------------------------


def test_drop_shows_the_plan_and_cancel_sends_nothing(s: StageHarness) -> None:
    s.node('n_faces').get_by_test_id('pxw-stage-drop').click()
    assert s.wait_requests('drop_plan', 1) == {'stage': 'n_faces'}
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 3 stages: alerts, with_faces, n_faces?')
    expect(s.by_id('pxw-drop-cancel')).to_be_focused()
    for stage in ('alerts', 'with_faces', 'n_faces'):
        expect(s.node(stage)).to_have_class(re.compile('pxw-sg-doomed'))
    expect(s.node('faces')).not_to_have_class(re.compile('pxw-sg-doomed'))
    s.by_id('pxw-drop-cancel').click()
    expect(s.by_id('pxw-drop-plan')).to_be_hidden()
    expect(s.page.locator('.pxw-sg-doomed')).to_have_count(0)
    # asking about another stage replaces the open question
    s.node('faces').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 4 stages: alerts, with_faces, n_faces, faces?')
    s.node('people').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 1 stage: people?')
    expect(s.page.locator('.pxw-sg-doomed')).to_have_count(1)
    expect(s.node('people')).to_have_class(re.compile('pxw-sg-doomed'))
    # a refresh in which the stage is gone closes the question
    s.fake(
        "f => { f.graph.nodes = f.graph.nodes.filter(n => n.id !== 'people');"
        " f.graph.edges = f.graph.edges.filter(e => e.target !== 'people') }"
    )
    s.by_id('pxw-refresh').click()
    expect(s.nodes()).to_have_count(6)
    expect(s.by_id('pxw-drop-plan')).to_be_hidden()
    # Escape cancels too
    s.node('alerts').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 1 stage: alerts?')
    s.page.keyboard.press('Escape')
    expect(s.by_id('pxw-drop-plan')).to_be_hidden()
    s.page.wait_for_timeout(100)
    assert s.requests('drop') == []
    expect(s.nodes()).to_have_count(6)


def test_drop_after_confirm_sends_the_plan_and_moves_the_selection(s: StageHarness) -> None:
    s.node('alerts').click()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 1–10 of 41')
    s.node('with_faces').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 2 stages: alerts, with_faces?')
    assert s.requests('drop') == []
    s.by_id('pxw-drop-confirm').click()
    assert s.wait_requests('drop', 1) == {'stage': 'with_faces', 'expect': ['alerts', 'with_faces']}
    expect(s.nodes()).to_have_count(5)
    expect(s.by_id('pxw-drop-plan')).to_be_hidden()
    expect(s.by_id('pxw-stage-count')).to_have_text('5 stages')
    # the selected stage is gone (the kernel cleared the trait first): the stage it came from is selected
    expect(s.node('n_faces')).to_have_attribute('aria-selected', 'true')
    assert ['set', 'selected', ''] in s.fake('f => f.log')
    assert s.trait('selected') == 'n_faces'
    assert s.last('rows')['stage'] == 'n_faces'
    expect(s.node('n_faces')).to_contain_text('head')

    # dropping a stage that is not selected keeps the selection
    s.node('people').get_by_test_id('pxw-stage-drop').click()
    s.by_id('pxw-drop-confirm').click()
    expect(s.nodes()).to_have_count(4)
    expect(s.node('n_faces')).to_have_attribute('aria-selected', 'true')
    assert s.trait('selected') == 'n_faces'

    # a refused drop changes nothing
    s.node('faces').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_have_text('Drop 2 stages: n_faces, faces?')
    s.h.fail_next('drop', 'The pipeline changed since the drop plan was made; nothing was dropped.', code='conflict')
    s.by_id('pxw-drop-confirm').click()
    expect(s.by_id('pxw-error-message')).to_have_text(
        'The pipeline changed since the drop plan was made; nothing was dropped.'
    )
    expect(s.nodes()).to_have_count(4)
    expect(s.node('n_faces')).to_have_attribute('aria-selected', 'true')
    expect(s.page.locator('.pxw-sg-doomed')).to_have_count(0)


# ---- code, traits, errors -------------------------------------------------------------------------------------------


def test_code_tab_shows_the_pipeline_and_one_stage(s: StageHarness) -> None:
    s.by_id('pxw-tab-code').click()
    assert s.wait_requests('code', 1) == {}
    code_tab = s.by_id('pxw-panel-code')  # the "Use this stage" forms have code boxes of their own
    code = code_tab.get_by_test_id('pxw-code')
    expect(code).to_contain_text("p = ProgressiveRefinement('demo/videos')")
    expect(code).to_contain_text('p.add_stage("faces", transform="detect_faces")')
    expect(s.by_id('pxw-code-scope').locator('option[value="stage"]')).to_be_disabled()
    code_tab.get_by_test_id('pxw-code-copy').click()
    expect(code_tab.get_by_test_id('pxw-code-copy')).to_have_text('Copied ✓')
    assert s.page.evaluate('window.__clipboard') == [code.inner_text()]
    # selecting a stage while on the Code tab stays there; the scope picks the stage's code
    s.node('faces').click()
    expect(s.by_id('pxw-tab-code')).to_have_attribute('aria-selected', 'true')
    s.by_id('pxw-code-scope').select_option('stage')
    assert s.wait_requests('code', 2) == {'stage': 'faces'}
    expect(code).to_contain_text('# stage faces')
    s.node('frames').click()
    assert s.wait_requests('code', 3) == {'stage': 'frames'}
    expect(code).to_contain_text('# stage frames')


def test_source_and_head_traits_reload_the_graph(s: StageHarness) -> None:
    s.wait_requests('graph', 1)
    s.fake("f => { f.useGraph('big') }")
    s.page.evaluate('window.__model.set("head", "s29")')
    s.wait_requests('graph', 2)
    expect(s.nodes()).to_have_count(50)
    s.fake("f => { f.useGraph('demo') }")
    s.page.evaluate('window.__model.set("source", "demo/other")')
    s.wait_requests('graph', 3)
    expect(s.nodes()).to_have_count(7)


def test_a_failing_graph_shows_a_message_and_refresh_recovers(sb: StageHarness) -> None:
    s = sb.open(fail='graph')
    expect(s.by_id('pxw-error-message')).to_have_text('graph failed at start')
    expect(s.by_id('pxw-error-hint')).to_have_text('A hint.')
    expect(s.nodes()).to_have_count(0)
    s.by_id('pxw-refresh').click()
    expect(s.nodes()).to_have_count(7)
    expect(s.by_id('pxw-error')).to_be_hidden()


def test_refresh_keeps_the_selection_and_page(s: StageHarness) -> None:
    s.node('frames').click()
    s.by_id('pxw-next-page').click()
    expect(s.by_id('pxw-page-info')).to_have_text('rows 11–20 of 120')
    s.by_id('pxw-refresh').click()
    s.wait_requests('graph', 2)
    req = s.wait_requests('rows', 3)
    assert req['stage'] == 'frames' and req['offset'] == 10
    expect(s.node('frames')).to_have_attribute('aria-selected', 'true')


def test_untrusted_strings_render_as_text(sb: StageHarness) -> None:
    s = sb.open(graph='hostile')
    hostile = s.node(XSS[0])
    expect(hostile).to_have_count(1)
    expect(hostile.locator('.pxw-sg-name')).to_have_text(XSS[0])
    expect(hostile.get_by_test_id('pxw-stage-definition')).to_have_text(f'frame_iterator(videos.video) {XSS[1]}')
    expect(s.node('faces').get_by_test_id('pxw-stage-problem')).to_have_attribute('title', f'<b>bold?</b> {XSS[0]}')
    expect(s.by_id('pxw-stage-problems')).to_contain_text(f'{XSS[0]}: {XSS[1]} — <i>not italic</i>')
    expect(s.node('alerts').get_by_test_id('pxw-stage-definition')).to_contain_text(
        "otherwise('<script>window.__pwned=2</script>')"
    )
    # the hostile stage works like any other: rows, the form, the drop plan
    hostile.click()
    assert s.wait_requests('rows', 1)['stage'] == XSS[0]
    expect(s.by_id('pxw-rows-caption')).to_contain_text(XSS[0])
    expect(s.rows()).to_have_count(10)
    hostile.get_by_test_id('pxw-stage-add').click()
    assert s.wait_requests('transforms', 1) == {'after': XSS[0]}
    expect(s.by_id('pxw-after-select')).to_have_value(XSS[0])
    hostile.get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_contain_text(f'{XSS[0]}?')
    s.by_id('pxw-drop-cancel').click()
    # kernel messages are text too
    s.h.fail_next('graph', XSS[0], hint=XSS[1])
    s.by_id('pxw-refresh').click()
    expect(s.by_id('pxw-error-message')).to_have_text(XSS[0])
    expect(s.by_id('pxw-error-hint')).to_have_text(XSS[1])
    root = s.by_id('pxw-stage-builder')
    assert root.locator('img[src="x"], script, b, i').count() == 0
    assert s.page.evaluate('window.__pwned') is None


def test_fifty_stage_graph_renders_in_under_a_second(sb: StageHarness) -> None:
    s = sb.open()
    s.fake("f => { f.useGraph('big') }")
    elapsed = s.page.evaluate(
        """() => new Promise((resolve) => {
            const host = document.querySelector('[data-testid="pxw-stage-graph"]');
            const t0 = performance.now();
            const done = () => {
                if (host.querySelectorAll('[data-testid="pxw-stage-node"]').length !== 50) return false;
                resolve(performance.now() - t0);
                return true;
            };
            const obs = new MutationObserver(() => { if (done()) obs.disconnect(); });
            obs.observe(host, {childList: true, subtree: true});
            document.querySelector('[data-testid="pxw-refresh"]').click();
        })"""
    )
    expect(s.nodes()).to_have_count(50)
    render_ms = float(s.by_id('pxw-stage-graph').get_attribute('data-render-ms') or 'nan')
    print(f'50-stage graph: {elapsed:.1f} ms from refresh click (incl. the fake reply), {render_ms:.1f} ms to render')
    assert render_ms < 1000 and elapsed < 1000
    expect(s.page.locator('.pxw-sg-edges path.pxw-sg-edge')).to_have_count(49)
    expect(s.by_id('pxw-stage-errors-count')).to_have_count(7)
    rects = s.page.eval_on_selector_all(
        '[data-testid="pxw-stage-node"]',
        'els => els.map(e => [e.offsetLeft, e.offsetTop, e.offsetWidth, e.offsetHeight])',
    )
    for i, (ax, ay, aw, ah) in enumerate(rects):
        for bx, by, bw, bh in rects[i + 1 :]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
    # the graph scrolls inside the panel, never stretching it; a fade says there is more to the right
    expect(s.by_id('pxw-stage-graph')).to_have_class(re.compile('pxw-sg-more-right'))
    panel = _box(s.by_id('pxw-stage-builder'))
    assert panel['width'] <= 1280
    # a selection far away is scrolled into view
    s.page.evaluate('window.__model.set("selected", "s29")')
    expect(s.node('s29')).to_be_in_viewport()
    s.screenshot('stage-builder-harness-big.png')


def test_cleanup_releases_listeners(s: StageHarness) -> None:
    s.node('frames').click()
    expect(s.rows()).to_have_count(10)
    assert s.page.evaluate('window.__model.listeners("msg:custom")') == 1
    s.page.evaluate('window.__cleanup()')
    for event in ('msg:custom', 'change:selected', 'change:source', 'change:head'):
        assert s.page.evaluate(f'window.__model.listeners("{event}")') == 0, event
    expect(s.by_id('pxw-stage-builder')).to_have_count(0)


def test_drop_confirmation_screenshot(s: StageHarness) -> None:
    s.node('with_faces').click()
    expect(s.rows()).to_have_count(10)
    s.node('n_faces').get_by_test_id('pxw-stage-drop').click()
    expect(s.by_id('pxw-drop-plan')).to_be_visible()
    s.screenshot('stage-builder-harness-drop.png')


def test_nodes_and_details_show_compute_time_and_error_rate(s: StageHarness) -> None:
    expect(s.node('faces').get_by_test_id('pxw-stage-time')).to_have_text('⏱ 2.4 s')
    expect(s.node('faces').get_by_test_id('pxw-stage-errors-count')).to_have_text('3 errors')
    expect(s.node('faces').get_by_test_id('pxw-stage-error-rate')).to_have_text('2.5%')
    expect(s.node('frames').get_by_test_id('pxw-stage-error-rate')).to_have_count(0)  # no errors: no rate shown
    unknown = s.node('people').get_by_test_id('pxw-stage-time')
    expect(unknown).to_have_text('⏱ ?')  # hand-made: unknown, not a made-up number
    expect(unknown).to_have_attribute('title', re.compile('unknown'))
    expect(s.node('videos').get_by_test_id('pxw-stage-time')).to_have_count(0)  # a source computes nothing
    s.node('faces').click()
    expect(s.by_id('pxw-stage-facts')).to_have_text('120 rows · 3 errors (2.5%) · compute time 2.4 s')
    s.node('people').click()
    expect(s.by_id('pxw-stage-facts')).to_contain_text('compute time unknown')


def test_columns_view_shows_stats_and_charts_of_the_selected_stage(s: StageHarness) -> None:
    s.node('frames').click()
    s.by_id('pxw-tab-columns').click()
    assert s.wait_requests('column_stats', 1) == {'stage': 'frames'}
    stats = s.by_id('pxw-column-stat')
    expect(stats).to_have_count(5)
    faces = s.page.locator('[data-testid="pxw-column-stat"][data-column="faces"]')
    expect(faces.locator('[data-stat="errors"]')).to_have_text('3 (2.5%)')
    frame = s.page.locator('[data-testid="pxw-column-stat"][data-column="frame"]')
    expect(frame).to_contain_text('computed when read')
    expect(frame.locator('[data-stat="nulls"]')).to_have_text('—')
    # the first column with a chart is drawn at once (pos: a histogram), with plotly
    assert s.wait_requests('column_chart', 1) == {'stage': 'frames', 'column': 'pos'}
    expect(s.by_id('pxw-column-chart')).to_have_attribute('data-traces', '1')
    s.page.locator('[data-testid="pxw-column-chart-btn"][data-column="n_faces"]').click()
    assert s.wait_requests('column_chart', 2) == {'stage': 'frames', 'column': 'n_faces'}
    # another stage clicked while the Columns view is open: its columns, the tab stays
    s.node('with_faces').click()
    assert s.wait_requests('column_stats', 2) == {'stage': 'with_faces'}
    expect(s.by_id('pxw-tab-columns')).to_have_attribute('aria-selected', 'true')
    expect(s.page.locator('[data-testid="pxw-column-stat"][data-column="alerts"]')).to_have_count(1)
    # the errors badge still leads to the failed rows
    s.node('faces').get_by_test_id('pxw-stage-errors-count').click()
    expect(s.by_id('pxw-tab-rows')).to_have_attribute('aria-selected', 'true')
    assert s.last('rows')['errors_only'] is True
