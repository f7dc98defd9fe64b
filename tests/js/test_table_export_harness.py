"""TableBrowser in real Chromium over the fake model: pages by key (cursors sent for next and previous) and Download
CSV (chunks asked after each other's cursor, assembled into one file, progress, Cancel)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness.open()


def test_next_and_previous_pages_are_asked_by_key(h: Harness) -> None:
    info = h.by_id('pxw-page-info')
    expect(info).to_have_text('rows 1–10 of 137')
    h.by_id('pxw-next-page').click()
    expect(info).to_have_text('rows 11–20 of 137')
    assert h.last('page')['after'] == 'key:9' and 'before' not in h.last('page')
    h.by_id('pxw-next-page').click()
    expect(info).to_have_text('rows 21–30 of 137')
    assert h.last('page')['after'] == 'key:19'
    h.by_id('pxw-prev-page').click()
    expect(info).to_have_text('rows 11–20 of 137')
    assert h.last('page')['before'] == 'key:20' and 'after' not in h.last('page')
    h.by_id('pxw-last-page').click()  # a jump: by offset (the kernel reads it from the nearer end)
    expect(info).to_have_text('rows 131–137 of 137')
    assert 'after' not in h.last('page') and 'before' not in h.last('page')
    # another sort starts again by offset, and its next page by key
    h.by_id('pxw-header-id').locator('button').click()
    expect(info).to_have_text('rows 1–10 of 137')
    assert 'after' not in h.last('page')
    h.by_id('pxw-next-page').click()
    expect(info).to_have_text('rows 11–20 of 137')
    assert h.last('page')['after'] == 'key:9' and h.last('page')['order_by'] == {'column': 'id', 'asc': True}


def test_download_csv_assembles_the_chunks_of_the_current_query(h: Harness) -> None:
    h.by_id('pxw-header-id').locator('button').click()
    h.by_id('pxw-header-id').locator('button').click()  # sorted descending
    expect(h.cell(0, 'id')).to_have_text('136')
    h.fake('f => { f.progress.export_csv = [[50, 137, "Exporting CSV: 50 rows"]] }')
    with h.page.expect_download() as info:
        h.by_id('pxw-export-csv').click()
    download = info.value
    assert download.suggested_filename == 'demo_photos.csv'
    lines = Path(download.path()).read_text(encoding='utf-8').splitlines()
    assert lines[0] == 'id,title' and len(lines) == 138
    assert lines[1].startswith('136,') and lines[-1].startswith('0,')  # the grid's order, every row once
    chunks = h.requests('export_csv')
    assert [c.get('after') for c in chunks] == [None, 'key:49', 'key:99']
    assert [c['done'] for c in chunks] == [0, 50, 100]
    assert all(c['order_by'] == {'column': 'id', 'asc': False} for c in chunks)
    expect(h.by_id('pxw-export-status')).to_have_text('Downloaded 137 rows as demo_photos.csv.')
    h.by_id('pxw-export-pandas').click()  # beside the button: the same rows as a DataFrame
    expect(h.by_id('pxw-export-code')).to_contain_text('.order_by(t.id, asc=False).collect().to_pandas()')
    h.by_id('pxw-tab-code').click()
    expect(h.by_id('pxw-code')).to_contain_text('.order_by(t.id, asc=False).collect().to_pandas()')


def test_cancel_stops_the_export_and_saves_nothing(h: Harness) -> None:
    h.fake('f => { f.hold = true }')
    h.by_id('pxw-export-csv').click()
    expect(h.by_id('pxw-export-csv')).to_have_text('Cancel export')
    expect(h.by_id('pxw-export-status')).to_contain_text('Exporting')
    h.by_id('pxw-export-csv').click()
    h.fake('f => f.release()')
    expect(h.by_id('pxw-export-status')).to_have_text('Cancelled after 50 rows; nothing was saved.')
    expect(h.by_id('pxw-export-csv')).to_have_text('Download CSV')
    assert len(h.requests('export_csv')) == 1
    sent = h.fake('f => f.sent')
    assert any(m['type'] == 'cancel' for m in sent)  # the shell's Cancel reached the kernel
