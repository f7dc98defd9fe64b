"""Every panel at 600, 850 and 1,400 px, in the light and the dark theme, in real Chromium over the replies recorded
from the real panel: nothing spills out of its box, no chart legend sits on its x-axis tick labels, and every tab
button is visible and opens its tab. Screenshots of each go to test-results/screenshots/<panel>-<width>-<theme>.png.

One page per panel and theme; the widths are set by resizing it (the panels follow their container)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from pxw_harness import ENTRIES, Harness

WIDTHS = (600, 850, 1400)
# The StageBuilder's recording has no replies for what its other tabs ask (code, compose actions): its hand-written
# fake answers them. The hub's recording has the form of an evaluation only; its New tab first asks for the form of
# the first table's first kind, which shows as a load error here and is not what this test looks at.
HAND_FAKE = {'stage_builder'}
UNRECORDED_OK = {'pattern_hub': {'form'}}
PADDING = 16  # the harness page's body padding on each side

# What spills out of its box: an element whose content is wider than it and shows the excess (overflow visible),
# or any element reaching past the panel's right edge. Scrolling boxes (the grids' viewports, tab strips, code),
# ellipsis-truncated text and plotly's own SVG internals are left alone: they are meant to hold wide content.
SPILLS = """
() => {
  const root = document.querySelector('#host .pxw-root');
  if (!root) return ['no .pxw-root'];
  const edge = root.getBoundingClientRect().right + 1;
  const out = [];
  const name = (el) => {
    const id = el.getAttribute('data-testid');
    return id ? `[data-testid=${id}]` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  };
  if (root.scrollWidth > root.clientWidth + 1) out.push(`the panel scrolls: ${root.scrollWidth} > ${root.clientWidth}`);
  // Visible elements outside scrolling boxes and charts: a scrolling box itself is checked, not what it holds.
  const scrolling = new Set();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT, {
    acceptNode: (el) => {
      const skip = el.hidden || el.matches('.pxw-chart-plot') || scrolling.has(el.parentElement);
      return skip ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let el = walker.nextNode(); el; el = walker.nextNode()) {
    if (!(el instanceof HTMLElement) || el.offsetParent === null) continue;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const wider = (el) => el.scrollWidth > el.clientWidth + 1;
    const text = el.textContent.slice(0, 60);
    if (r.width > 0 && r.right > edge) out.push(`${name(el)} ends at ${Math.round(r.right)}, past ${Math.round(edge)}`);
    if (['auto', 'scroll'].includes(s.overflowX)) {
      scrolling.add(el);  // its content scrolls: what it holds is not looked at
      continue;
    }
    if (s.overflowX === 'visible' && wider(el) && el.clientWidth > 0 && s.display !== 'inline')
      out.push(`${name(el)} spills: ${el.scrollWidth} > ${el.clientWidth}: ${text}`);
    if (s.overflowX === 'hidden' && s.textOverflow !== 'ellipsis' && wider(el) && el.children.length === 0)
      out.push(`${name(el)} clips its text: ${el.scrollWidth} > ${el.clientWidth}: ${text}`);
  }
  return out;
}
"""

# Each drawn chart's legend against its x-axis tick labels (and its title), as screen boxes.
LEGEND_CLASHES = """
() => {
  const out = [];
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const chart of document.querySelectorAll('#host .pxw-chart')) {
    if (chart.offsetParent === null) continue;
    const legend = chart.querySelector('.legend');
    if (!legend) continue;
    const box = legend.getBoundingClientRect();
    const others = [...chart.querySelectorAll('.xtick text, .x2tick text, .g-xtitle, .gtitle')];
    for (const o of others) {
      const r = o.getBoundingClientRect();
      if (r.width > 0 && hit(box, r)) out.push(`${chart.dataset.testid}: the legend covers "${o.textContent}"`);
    }
    const outer = chart.getBoundingClientRect();
    if (box.right > outer.right + 1 || box.left < outer.left - 1)
      out.push(`${chart.dataset.testid}: the legend leaves the chart`);
  }
  return out;
}
"""


def settle(h: Harness) -> None:
    """Wait until plotly has drawn every visible chart at its current size and the page is quiet."""
    h.page.wait_for_function(
        """() => [...document.querySelectorAll('#host .pxw-chart')].filter(c => c.offsetParent !== null)
             .every(c => c.dataset.traces === undefined || c.dataset.traces === '0' || c.querySelector('.main-svg'))""",
        timeout=10_000,
    )
    h.page.evaluate(
        '() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 30))))'
    )


def problems(h: Harness, where: str) -> list[str]:
    found: list[Any] = h.page.evaluate(SPILLS) + h.page.evaluate(LEGEND_CLASHES)
    return [f'{where}: {p}' for p in found]


def set_theme(h: Harness, theme: str) -> None:
    """Switch the page to JupyterLab's light or dark variables the way JupyterLab does (an attribute on <body>, which
    the charts watch to redraw in the new colours)."""
    h.page.evaluate(
        """dark => {
             document.body.classList.toggle('jp-dark', dark);
             document.body.setAttribute('data-jp-theme-light', String(!dark));
           }""",
        theme == 'dark',
    )


@pytest.mark.parametrize('entry', ENTRIES)
def test_every_width_and_theme_reads_well(harness: Harness, entry: str) -> None:
    replay = {} if entry in HAND_FAKE else {'replay': 'main'}
    h = harness.goto(entry, width=WIDTHS[0] + 2 * PADDING, **replay)
    h.page.locator('#host .pxw-root').wait_for()
    found: list[str] = []
    for theme in ('light', 'dark'):
        set_theme(h, theme)
        for width in WIDTHS:
            h.page.set_viewport_size({'width': width + 2 * PADDING, 'height': 900})
            settle(h)
            found += look(h, entry, width, theme)
    if entry in UNRECORDED_OK:
        h.fake(
            '(f, kinds) => { f.unrecorded = f.unrecorded.filter(r => !kinds.includes(r.kind)) }',
            sorted(UNRECORDED_OK[entry]),
        )
    assert not found, '\n'.join(dict.fromkeys(found))


def look(h: Harness, entry: str, width: int, theme: str) -> list[str]:
    """Open every tab (each must be visible and take the click), check each, screenshot each; the first tab last."""
    where = f'{entry} {width}px {theme}'
    tabs = h.page.locator('#host .pxw-tablist').first.locator('[role=tab]')
    names = [t.get_attribute('data-testid') or '' for t in tabs.all()]
    found = [] if names else problems(h, where)
    for testid in names:
        tab = h.by_id(testid)
        tab.scroll_into_view_if_needed()
        expect(tab).to_be_visible()
        tab.click()  # fails when something covers the button
        expect(tab).to_have_attribute('aria-selected', 'true')
        settle(h)
        found += problems(h, f'{where} {testid}')
        if testid != names[0] and width == WIDTHS[0]:  # the other tabs at the narrowest width
            dismiss_unrecorded(h, entry)
            h.screenshot(f'{entry}-{width}-{theme}-{testid.removeprefix("pxw-tab-")}.png')
    if names:
        h.by_id(names[0]).click()
        settle(h)
    dismiss_unrecorded(h, entry)
    h.screenshot(f'{entry}-{width}-{theme}.png')
    return found


def dismiss_unrecorded(h: Harness, entry: str) -> None:
    """Close the error an unrecorded request (``UNRECORDED_OK``) showed: not part of the look."""
    dismiss = h.by_id('pxw-error-dismiss')
    if entry in UNRECORDED_OK and dismiss.is_visible():
        dismiss.click()
