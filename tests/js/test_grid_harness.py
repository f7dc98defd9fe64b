"""The shared row grid (js/lib/grid.ts) in real Chromium, through the TableBrowser: a viewport of bounded height that
scrolls under a sticky header, and the density choice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pxw_harness import Harness


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness.open(page_size=50)


def test_the_rows_scroll_in_a_bounded_viewport_under_a_sticky_header(h: Harness) -> None:
    expect(h.rows()).to_have_count(50)
    scroller = h.by_id('pxw-grid-scroll')
    size = scroller.evaluate('el => ({client: el.clientHeight, scroll: el.scrollHeight})')
    assert size['scroll'] > size['client'] * 2  # 50 rows with thumbnails do not stretch the panel
    assert size['client'] <= 640
    header = h.by_id('pxw-header-id')
    top = header.bounding_box()
    scroller.evaluate('el => { el.scrollTop = el.scrollHeight / 2; }')
    expect(h.rows().nth(0)).not_to_be_in_viewport()
    assert header.bounding_box() == top  # the header stays where it was, over the rows that scrolled under it
    expect(header).to_be_in_viewport()


def test_compact_density_fits_more_rows_in_the_viewport(h: Harness) -> None:
    row = h.rows().nth(0)
    pages = len(h.requests('page'))
    expect(h.by_id('pxw-grid')).to_have_attribute('data-density', 'comfortable')
    comfortable = row.bounding_box()
    assert comfortable is not None
    h.by_id('pxw-density').select_option('compact')
    expect(h.by_id('pxw-grid')).to_have_attribute('data-density', 'compact')
    compact = row.bounding_box()
    assert compact is not None
    assert compact['height'] < comfortable['height'] * 0.75
    expect(h.rows()).to_have_count(50)
    assert len(h.requests('page')) == pages  # the same page: nothing asked of the kernel again
