"""StageBuilder's JavaScript in real Chromium, over the replies recorded from the real panel
(tests/js/recordings/stage_builder.json; the detailed tests in test_stage_builder_harness.py use a hand-written
fake): selecting a stage and its rows, a frames stage previewed, refused, added and dropped."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect
from pxw_harness import Harness, recorded

ROWS = {'offset': 0, 'limit': 10, 'order_by': None, 'filters': [], 'errors_only': False}
DRAFT = {'after': 'videos', 'transform': 'extract_frames', 'params': {'fps': 1.0}, 'name': 'frames'}


def node(h: Harness, stage: str) -> Locator:
    return h.page.locator(f'[data-testid="pxw-stage-node"][data-stage="{stage}"]')


@pytest.fixture
def h(harness: Harness) -> Harness:
    h = harness.replay('stage_builder')
    expect(h.by_id('pxw-stage-node')).to_have_count(1)
    return h


def test_selecting_the_source_shows_its_rows(h: Harness) -> None:
    graph = recorded('stage_builder', 'graph', epoch=0)  # before any write
    assert h.requests('graph') == [{}]
    videos = graph['reply']['nodes'][0]
    expect(node(h, 'videos').get_by_test_id('pxw-stage-rows')).to_have_text(f'{videos["rows"]} rows')
    expect(node(h, 'videos')).to_have_attribute('data-kind', 'source')
    node(h, 'videos').click()
    assert h.wait_requests('rows', 1) == {'stage': 'videos', **ROWS}
    expect(node(h, 'videos')).to_have_attribute('aria-selected', 'true')
    expect(h.rows()).to_have_count(videos['rows'])
    expect(h.by_id('pxw-page-info')).to_have_text(f'rows 1–2 of {videos["rows"]}')
    expect(h.cell(0, 'title')).to_have_text('clip 0')
    expect(h.cell(0, 'video')).to_have_attribute('data-kind', 'video')


def test_a_stage_is_previewed_refused_added_and_dropped(h: Harness) -> None:
    node(h, 'videos').get_by_test_id('pxw-stage-add').click()
    assert h.wait_requests('transforms', 1) == {'after': 'videos'}
    h.by_id('pxw-transform-select').select_option('extract_frames')
    expect(h.by_id('pxw-param-fps')).to_have_value('1')

    h.by_id('pxw-stage-name').fill('stored')  # a name only the kernel knows to refuse
    h.by_id('pxw-preview').click()
    error = recorded('stage_builder', 'preview', {**DRAFT, 'name': 'stored', 'n': 10})['error']
    expect(h.by_id('pxw-stage-name-error')).to_have_text(error['message'])

    h.by_id('pxw-stage-name').fill('frames')
    h.by_id('pxw-preview').click()
    assert h.wait_requests('preview', 2) == {**DRAFT, 'n': 10}
    preview = recorded('stage_builder', 'preview', {**DRAFT, 'n': 10})['reply']
    expect(h.rows('pxw-preview-grid')).to_have_count(len(preview['rows']))
    expect(h.by_id('pxw-stage-node')).to_have_count(1)  # a preview writes nothing

    h.by_id('pxw-add-stage').click()
    assert h.wait_requests('add', 1) == DRAFT
    added = recorded('stage_builder', 'add', DRAFT)['reply']['stage']
    frames = node(h, 'frames')
    expect(frames).to_have_attribute('aria-selected', 'true')
    expect(frames).to_have_attribute('data-kind', 'iterator')
    expect(frames.get_by_test_id('pxw-stage-rows')).to_have_text(f'{added["rows"]} rows')
    expect(h.by_id('pxw-stage-count')).to_have_text('2 stages')
    assert h.page.evaluate('window.__model.get("selected")') == 'frames'  # set by the kernel, before its reply
    assert h.wait_requests('rows', 1) == {'stage': 'frames', **ROWS}
    expect(h.by_id('pxw-page-info')).to_have_text(f'rows 1–{added["rows"]} of {added["rows"]}')
    expect(h.cell(0, 'frame')).to_have_attribute('data-kind', 'image')

    frames.get_by_test_id('pxw-stage-drop').click()
    assert h.wait_requests('drop_plan', 1) == {'stage': 'frames'}
    expect(h.by_id('pxw-drop-plan')).to_have_text('Drop 1 stage: frames?')
    h.by_id('pxw-drop-confirm').click()
    assert h.wait_requests('drop', 1) == {'stage': 'frames', 'expect': ['frames']}
    expect(h.by_id('pxw-stage-node')).to_have_count(1)
    expect(node(h, 'videos')).to_contain_text('head')
    expect(node(h, 'videos')).to_have_attribute('aria-selected', 'true')  # the dropped stage's input
    assert h.last('rows')['stage'] == 'videos'
    expect(h.rows()).to_have_count(2)


def test_download_csv_of_a_stage_and_its_pandas_code(h: Harness) -> None:
    node(h, 'videos').click()
    expect(h.rows()).to_have_count(2)
    expect(h.by_id('pxw-export-pandas')).to_be_visible()
    h.by_id('pxw-export-pandas').click()
    expect(h.by_id('pxw-export-code')).to_contain_text('df = t.collect().to_pandas()')
    with h.page.expect_download() as info:
        h.by_id('pxw-export-csv').click()
    entry = recorded('stage_builder', 'export_csv')
    assert h.last('export_csv') == {
        **{k: v for k, v in ROWS.items() if k not in ('offset', 'limit')},
        'stage': 'videos',
        'after': None,
        'done': 0,
    }
    assert info.value.suggested_filename == 'harness_videos.csv'
    text = Path(info.value.path()).read_bytes()
    assert text == base64.b64decode(entry['buffers'][0]) and text.startswith(b'video,title\n')
    expect(h.by_id('pxw-export-status')).to_have_text('Downloaded 2 rows as harness_videos.csv.')
