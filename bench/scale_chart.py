"""Time and memory against rows for every panel, drawn from the scale tables of ``bench/RESULTS.md``.

A scale table is any table of RESULTS.md whose header has the columns ``rows``, ``interaction``, ``pxwidgets`` and
``pxwidgets memory MB`` (the format of :data:`bench.common.COMPARED_HEADER`): each of its rows is one interaction of a
panel at one table size. The chart has one row of plots per section (the panel), time on the left and the kernel's
peak memory on the right, both against rows on log axes, one line per interaction: a flat line is a cost that does not
grow with the table. It is written next to RESULTS.md as ``scale.html`` (plotly, loads plotly.js from its CDN) and
``scale.png`` (the same figure drawn by Chromium through Playwright, plotly.js inlined: no network needed).

Example:
    >>> tables = scale_tables(RESULTS.read_text())  # doctest: +SKIP
    >>> tables['TableBrowser at scale'][0]  # doctest: +SKIP
    Point(interaction='sorted by score: page 0', rows=10000, ms=18.9, rss_mb=0.0, heap_mb=0.2, loaded=False)

Run: ``python -m bench.scale_chart`` (after the scale benches; ``python -m bench`` runs it last).
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS

HTML = RESULTS.with_name('scale.html')
PNG = RESULTS.with_name('scale.png')
_SIZE_SUFFIX = re.compile(r'(: row diff)? of [\d,]+ rows$| at scale$')
_NUMBER = re.compile(r'[\d.]+')
_OFFSET = re.compile(r'\s*\(offset [\d,]+\)|\s+at offset [\d,]+')  # 'deep page (offset 9,900)': one line over sizes


@dataclass(frozen=True)
class Point:
    """One interaction of a panel at one table size."""

    interaction: str
    rows: int
    ms: float
    rss_mb: float
    heap_mb: float
    loaded: bool


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip('|').split('|')]


def _ms(cell: str) -> float:
    """``'146.1 ms (load 1.2)'`` → 146.1; ``'2.3 s (load 1.0)'`` → 2300."""
    value = float(_NUMBER.findall(cell.replace(',', ''))[0])
    return value * 1000 if re.match(r'^[\d.,]+ s\b', cell) else value


def _panel(title: str) -> str:
    """The section's panel: sizes and 'at scale' dropped, so one panel's sections share a row of plots."""
    return _SIZE_SUFFIX.sub('', title).strip()


def scale_tables(text: str) -> dict[str, list[Point]]:
    """Every scale table's points, by panel (section title without its size)."""
    out: dict[str, list[Point]] = defaultdict(list)
    for section in text.split('\n## ')[1:]:
        title, _, body = section.partition('\n')
        lines = body.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith('|'):
                continue
            header = _cells(line)
            needed = ('rows', 'interaction', 'pxwidgets', 'pxwidgets memory MB')
            if not all(n in header for n in needed) or (i > 0 and lines[i - 1].startswith('|')):
                continue
            col = {name: header.index(name) for name in needed}
            for row in lines[i + 2 :]:
                if not row.startswith('|'):
                    break
                cells = _cells(row)
                rss, heap = (float(x) for x in cells[col['pxwidgets memory MB']].split('/'))
                time_cell = cells[col['pxwidgets']]
                out[_panel(title)].append(
                    Point(
                        interaction=_OFFSET.sub('', cells[col['interaction']].replace('`', '')),
                        rows=int(cells[col['rows']].replace(',', '')),
                        ms=_ms(time_cell),
                        rss_mb=rss,
                        heap_mb=heap,
                        loaded='loaded' in time_cell,
                    )
                )
    return dict(out)


def figure(tables: dict[str, list[Point]]) -> Any:
    """One row per panel: time (left) and peak memory (right) against rows, one line per interaction."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    panels = sorted(tables)
    titles = [t for p in panels for t in (f'{p}: time', f'{p}: kernel memory (heap peak; RSS rise dotted)')]
    fig = make_subplots(rows=len(panels), cols=2, subplot_titles=titles, vertical_spacing=0.3 / max(1, len(panels)))
    palette = qualitative.Plotly
    for r, panel in enumerate(panels, start=1):
        by_interaction: dict[str, list[Point]] = defaultdict(list)
        for p in tables[panel]:
            by_interaction[p.interaction].append(p)
        for k, (name, points) in enumerate(by_interaction.items()):
            points.sort(key=lambda p: p.rows)
            rows = [p.rows for p in points]
            color = palette[k % len(palette)]
            label = name if len(name) <= 60 else name[:57] + '…'
            marker = {'symbol': ['x' if p.loaded else 'circle' for p in points], 'color': color}
            common = {'x': rows, 'mode': 'lines+markers', 'legendgroup': f'{panel}:{name}', 'marker': marker}
            fig.add_trace(
                go.Scatter(y=[p.ms for p in points], name=f'{panel}: {label}', line={'color': color}, **common),
                row=r,
                col=1,
            )
            fig.add_trace(
                go.Scatter(y=[p.heap_mb for p in points], showlegend=False, line={'color': color}, **common),
                row=r,
                col=2,
            )
            fig.add_trace(
                go.Scatter(
                    y=[p.rss_mb for p in points], showlegend=False, line={'color': color, 'dash': 'dot'}, **common
                ),
                row=r,
                col=2,
            )
        fig.update_xaxes(type='log', title_text='rows', row=r)
        fig.update_yaxes(type='log', title_text='ms', row=r, col=1)
        fig.update_yaxes(title_text='MB', rangemode='tozero', row=r, col=2)
    fig.update_layout(
        height=330 * len(panels),
        width=1300,
        template='plotly_white',
        title='Cost against rows (bench/RESULTS.md; × = taken with the load average above the core count)',
        legend={'font': {'size': 10}},
    )
    return fig


def _png(fig: Any, path: Path) -> bool:
    """Draw the figure in Chromium (Playwright) with plotly.js inlined; False where no browser is available."""
    import os

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return False
    chromium = Path(os.environ.get('PXW_CHROMIUM', '/usr/bin/chromium'))
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / 'scale.html'
        fig.write_html(page_file, include_plotlyjs=True, full_html=True, config={'staticPlot': True})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium) if chromium.exists() else None)
            try:
                page = browser.new_page(viewport={'width': fig.layout.width + 40, 'height': 800})
                page.goto(page_file.as_uri())
                page.wait_for_selector('.main-svg')
                page.locator('.plotly-graph-div').screenshot(path=str(path))
            finally:
                browser.close()
    return True


def main() -> None:
    tables = scale_tables(RESULTS.read_text())
    if not tables:
        print('no scale tables in RESULTS.md')
        return
    fig = figure(tables)
    fig.write_html(HTML, include_plotlyjs='cdn')
    drawn = _png(fig, PNG)
    print(f'{sum(map(len, tables.values()))} points of {len(tables)} panels → {HTML.name}' + (f', {PNG.name}' * drawn))


if __name__ == '__main__':
    main()
