"""TableBrowser page fetches against a raw Pixeltable query and Pixeltable's own dashboard, in one run.

- First page (offset 0) and a deep page (offset 90,000) of 50 rows with image thumbnails from a 100k-row view.
- References: ``view.limit(50, offset=k).collect()`` (full images), the dashboard's data function
  ``pixeltable_cli.server.bridge.get_table_data`` bare, and the same plus fetching the 50 full-size images its
  page then loads (over its own HTTP file server).
- Panel first paint (its first 'page' request: the rows) and its header ('info': exact counts) on a 10k-row and a
  1M-row table.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from bench.common import median_ms, temporary_home, write_section

N_ROWS = 100_000
N_FILES = 100
PAGE = 50


def make_images(directory: Path) -> list[str]:
    import numpy as np
    import PIL.Image
    import skimage.data

    directory.mkdir(parents=True, exist_ok=True)
    sources = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket()]
    paths = []
    for i in range(N_FILES):
        src = PIL.Image.fromarray(np.asarray(sources[i % len(sources)])).convert('RGB')
        w, h = src.size
        box = (i % 40, (i * 3) % 40, w - (i % 30), h - (i * 2) % 30)
        img = src.crop(box).resize((640, 480))
        path = directory / f'img_{i:03d}.jpg'
        img.save(path, quality=90)
        paths.append(str(path))
    return paths


def main() -> None:
    home = temporary_home()
    import pixeltable as pxt
    from pixeltable_cli.server.bridge import get_table_data

    import pxwidgets.tables.pages as pages
    from pxwidgets.panels.cells import encode_page
    from pxwidgets.panels.table_browser import TableBrowser
    from pxwidgets.tables import PageQuery, count_rows, fetch_page

    pxt.init()
    files = make_images(home / 'images')
    pxt.create_dir('bench')
    # media_validation='on_read': validating on write decodes (and holds) every inserted image: 100k inserts then
    # take minutes and gigabytes. The files are known-good JPEGs.
    t = pxt.create_table(
        'bench/images', {'image': pxt.Image, 'n': pxt.Int, 'label': pxt.String}, media_validation='on_read'
    )
    for start in range(0, N_ROWS, 10_000):
        t.insert([{'image': files[i % N_FILES], 'n': i, 'label': f'image {i}'} for i in range(start, start + 10_000)])
    view = pxt.create_view('bench/images_view', t)
    path = 'bench/images_view'

    def cold(table_path: str = path) -> None:  # no cached counts: every fetch pays what a first visit pays
        count_rows(table_path)  # let a count still running from the last call finish before forgetting it
        pages._counts = pages._CountCache()

    browser = TableBrowser(path)
    rows = []
    payloads = {}
    paint: dict[int, tuple[float, float]] = {}
    for offset in (0, 90_000):

        def ours(offset: int = offset) -> None:  # the panel's page request: rows first, the count follows
            reply = browser.handle_request('page', {'offset': offset, 'limit': PAGE})
            assert reply['ok'], reply
            payloads[offset] = len(json.dumps(reply['payload'])) + sum(len(b) for b in reply['buffers'])

        def ours_counted(offset: int = offset) -> None:  # the Python API: rows and their exact count
            encode_page(fetch_page(path, PageQuery(offset=offset, limit=PAGE)))

        def raw(offset: int = offset) -> None:
            rs = view.limit(PAGE, offset=offset).collect()
            for img in rs['image']:
                img.load()

        def dashboard(offset: int = offset) -> dict:
            return get_table_data(path, offset=offset, limit=PAGE)

        def dashboard_with_images(offset: int = offset) -> None:
            data = dashboard(offset)
            for row in data['rows']:
                with urllib.request.urlopen(row['image']) as resp:
                    resp.read()

        t_ours = median_ms(ours, before=cold)
        t_ours_warm = median_ms(ours_counted, before=cold)
        t_raw = median_ms(raw)
        t_dash = median_ms(dashboard)
        t_dash_img = median_ms(dashboard_with_images)
        rows.append((offset, t_ours, t_ours_warm, t_raw, t_dash, t_dash_img))

    def first_paint(table_path: str) -> tuple[float, float]:
        def rows_on_screen() -> None:  # what the panel shows first: its page of rows
            panel = TableBrowser(table_path)
            assert panel.handle_request('page', {'offset': 0, 'limit': 25})['ok']
            panel.close()

        def header() -> None:  # asked for in parallel: the header with the exact row count and error counts
            assert TableBrowser(table_path).handle_request('info')['ok']

        def before() -> None:
            cold(table_path)

        return median_ms(rows_on_screen, repeat=5, before=before), median_ms(header, repeat=5, before=before)

    for n in (10_000, 1_000_000):
        s = pxt.create_table(f'bench/scalars_{n}', {'n': pxt.Int, 'label': pxt.String, 'score': pxt.Float})
        for start in range(0, n, 100_000):
            s.insert({'n': i, 'label': f'row {i}', 'score': i / n} for i in range(start, min(n, start + 100_000)))
        paint[n] = first_paint(f'bench/scalars_{n}')

    lines = [
        f'100k-row view (`{path}`) of 640×480 JPEGs ({N_FILES} distinct files), pages of {PAGE} rows, median of 7, '
        'ms, no row count cached (a first visit). "pxwidgets" = the panel\'s `page` request (query, thumbnails, wire '
        'encoding; the exact count runs in parallel and follows in a `count` reply when it is slower than the rows); '
        '"with count" = `fetch_page()` from Python, which waits for the exact count.',
        '',
        '| offset | pxwidgets | with count | raw `limit().collect()` (full images) | dashboard bare | '
        'dashboard + its 50 images | ÷ dashboard+images (≤ 0.5) | ÷ dashboard bare (≤ 1.0) | ÷ raw (≤ 0.6) | '
        'payload KB (≤ 300) |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for offset, ours_ms, counted_ms, raw_ms, dash_ms, dash_img_ms in rows:
        lines.append(
            f'| {offset:,} | {ours_ms:.1f} | {counted_ms:.1f} | {raw_ms:.1f} | {dash_ms:.1f} | {dash_img_ms:.1f} | '
            f'{ours_ms / dash_img_ms:.2f} | {ours_ms / dash_ms:.2f} | {ours_ms / raw_ms:.2f} | '
            f'{payloads[offset] / 1024:.0f} |'
        )
    lines += [
        '',
        'Panel first paint on a table of scalars, median of 5, ms: the first page of 25 rows (what is painted first), '
        'and the header (`info`: exact row count and per-column error counts, asked for in parallel):',
        '',
        '| rows | first page | header |',
        '|---|---|---|',
        *(f'| {n:,} | {rows_ms:.1f} | {info_ms:.1f} |' for n, (rows_ms, info_ms) in paint.items()),
        '',
        f'First page, 1M ÷ 10k: {paint[1_000_000][0] / paint[10_000][0]:.2f}. The header grows with the table '
        f'({paint[1_000_000][1] / paint[10_000][1]:.2f}×): an exact `count()` reads every row.',
    ]
    body = '\n'.join(lines)
    write_section('TableBrowser page fetch', body)
    print(body)


if __name__ == '__main__':
    main()
