"""TableBrowser page fetches against a raw Pixeltable query and Pixeltable's own dashboard, in one run.

Scale (section "TableBrowser at scale"; ``PXW_BENCH_ROWS``, default ``10000,100000,1000000``): on tables of scalars
sorted by a float column, the panel's page 0, a deep page fetched by key (the page after a known one, at 99 % of the
table), a page in the middle by ``OFFSET``, and the last page (read from the nearer end), each interleaved with the raw
Pixeltable query doing the same work (the floor), with the kernel's peak memory and the load average. Unsorted
(Pixeltable's row order) too. Tables are built once into a cached home (``bench.common.cached_home``).

Images (``PXW_BENCH_IMAGES=1``, section "TableBrowser page fetch"):
- First page (offset 0) and a deep page (offset 90,000) of 50 rows with image thumbnails from a 100k-row view.
- References: ``view.limit(50, offset=k).collect()`` (full images), the dashboard's data function
  ``pixeltable_cli.server.bridge.get_table_data`` bare, and the same plus fetching the 50 full-size images its
  page then loads (over its own HTTP file server).
- Panel first paint (its first 'page' request: the rows) and its header ('info': exact counts) on a 10k-row and a
  1M-row table.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import (
    COMPARED_HEADER,
    Measure,
    bench_repeat,
    bench_sizes,
    cached_home,
    compared,
    how_measured,
    interleaved,
    load_average,
    median_ms,
    table_with_rows,
    write_section,
)

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


def images_section(home: Path) -> None:
    import pixeltable as pxt
    from pixeltable_cli.server.bridge import get_table_data

    import pxwidgets.tables.pages as pages
    from pxwidgets.panels.cells import encode_page
    from pxwidgets.panels.table_browser import TableBrowser
    from pxwidgets.tables import PageQuery, count_rows, fetch_page

    files = make_images(home / 'images')
    pxt.create_dir('bench', if_exists='ignore')
    # media_validation='on_read': validating on write decodes (and holds) every inserted image: 100k inserts then
    # take minutes and gigabytes. The files are known-good JPEGs.
    t = pxt.create_table(
        'bench/images',
        {'image': pxt.Image, 'n': pxt.Int, 'label': pxt.String},
        media_validation='on_read',
        if_exists='replace_force',
    )
    for start in range(0, N_ROWS, 10_000):
        t.insert([{'image': files[i % N_FILES], 'n': i, 'label': f'image {i}'} for i in range(start, start + 10_000)])
    view = pxt.create_view('bench/images_view', t, if_exists='replace')
    path = 'bench/images_view'

    def cold(table_path: str = path) -> None:  # no cached counts: every fetch pays what a first visit pays
        count_rows(table_path)  # let a count still running from the last call finish before forgetting it
        pages._counts = type(pages._counts)(128)

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
        scalars(n)
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


def scalars(n: int) -> Any:
    """``bench/scalars_<n>``: ``n`` rows of an int, a label and a float score in random order (built once, cached)."""
    import random

    import pixeltable as pxt

    path = f'bench/scalars_{n}'
    cached = table_with_rows(path, n)
    if cached is not None:
        return cached
    pxt.create_dir('bench', if_exists='ignore')
    t = pxt.create_table(path, {'n': pxt.Int, 'label': pxt.String, 'score': pxt.Float}, if_exists='replace_force')
    rnd = random.Random(n)
    start = time.perf_counter()
    for first in range(0, n, 100_000):
        t.insert({'n': i, 'label': f'row {i}', 'score': rnd.random()} for i in range(first, min(n, first + 100_000)))
    print(f'built {path} in {time.perf_counter() - start:.0f} s')
    return t


PAGE_REQ = {'limit': PAGE, 'filters': [], 'errors_only': False}


def scale_rows(n: int, repeat: int) -> list[tuple[str, Measure, Measure, str]]:
    """Each interaction on ``n`` rows with its floor: ``(what, pxwidgets, floor, how the panel fetched it)``."""
    from pxwidgets.panels.table_browser import TableBrowser

    t = scalars(n)
    browser = TableBrowser(f'bench/scalars_{n}')
    out = []
    for sort in ({'column': 'score', 'asc': False}, None):
        out += _one_order(t, browser, n, sort, repeat)
    browser.close()
    return out


def _one_order(t: Any, browser: Any, n: int, sort: dict[str, Any] | None, repeat: int) -> list[Any]:
    import pxwidgets.tables.pages as pages
    from pxwidgets.tables.internals import rowid_refs

    req = {**PAGE_REQ, 'order_by': sort}
    deep, middle, last = n - n // 100, n // 2, n - PAGE

    def ordered() -> Any:  # built in each call, as a user's query is
        return t.order_by(t.score, asc=False) if sort else t.order_by(*rowid_refs(t))

    # the page before the deep one gives its last row's cursor, as a user paging there would have it
    before = browser.handle_request('page', {**req, 'offset': deep - PAGE})['payload']
    last_score = before['rows'][-1][2]['value']
    last_rid = ordered().select(r=rowid_refs(t)[0]).limit(1, offset=deep - 1).collect()[0]['r']

    def floor_key() -> Any:  # the same seek written with the public API (ties aside)
        if sort:
            return t.where(t.score <= last_score).order_by(t.score, asc=False).limit(PAGE).collect()
        rid = rowid_refs(t)[0]
        return t.where(rid > last_rid).order_by(rid).limit(PAGE).collect()

    how: dict[str, str] = {}

    def ours(offset: int, after: str | None = None) -> Any:
        def run() -> None:
            reply = browser.handle_request('page', {**req, 'offset': offset, 'after': after})
            assert reply['ok'], reply
            how[str(offset)] = reply['payload']['fetched_by']

        return run

    cases = [
        ('page 0', 0, ours(0), lambda: ordered().limit(PAGE).collect()),
        (f'deep page (offset {deep:,}) by key', deep, ours(deep, before['cursor']['last']), floor_key),
        (
            f'middle page (offset {middle:,})',
            middle,
            ours(middle),
            lambda: ordered().limit(PAGE, offset=middle).collect(),
        ),
        (f'last page (offset {last:,})', last, ours(last), lambda: ordered().limit(PAGE, offset=last).collect()),
    ]
    pages._counts.put(pages._plan(t, pages.PageQuery.from_dict({**req, 'offset': 0})).count_key, n)  # counted
    order_text = 'sorted by score' if sort else "unsorted (Pixeltable's row order)"
    # every interaction and its floor in the same rounds (A, A', B, B', …): ratios between any two are fair
    fns = {f'{kind}{i}': fn for i, (_, _, ours, floor) in enumerate(cases) for kind, fn in (('o', ours), ('f', floor))}
    m = interleaved(fns, repeat=repeat)
    return [
        (f'{order_text}: {what}', m[f'o{i}'], m[f'f{i}'], how.get(str(offset), ''))
        for i, (what, offset, _, _) in enumerate(cases)
    ]


def scale_section(sizes: list[int]) -> None:
    repeat = bench_repeat()
    lines = [
        f"Tables of scalars (int, label, random float score), pages of {PAGE} rows through the panel's `page` command "
        '(query, cells, wire encoding; row count cached), each against its floor (the raw Pixeltable query doing the '
        'same work, built in the call: `order_by(...).limit(...)`, `where(score <= last).order_by(...).limit(...)` '
        f'for a page by key), {how_measured(repeat)}',
        '',
        f'| rows | interaction | fetched by {COMPARED_HEADER}',
        '|---|---|---|---|---|---|---|---|',
    ]
    summary = []
    for n in sizes:
        results = scale_rows(n, repeat)
        page0 = {r[0].split(':')[0]: r[1] for r in results if r[0].endswith('page 0')}
        for what, ours, floor, how in results:
            lines.append(f'| {n:,} | {what} | {how} {compared(ours, floor)}')
            if 'by key' in what:
                p0 = page0[what.split(':')[0]]
                summary.append(f'{n:,} rows, {what.split(":")[0]}: deep page by key ÷ page 0 = {ours.ratio(p0):.2f}')
        print('\n'.join(lines[-len(results) :]), flush=True)
    lines += ['', 'Target: a deep page by key ≤ 1.5 × page 0.', '', *(f'- {s}' for s in summary)]
    lines += [
        '',
        'Without a key to seek to (a jump to an arbitrary page in the middle), the database reads and drops the rows '
        'before the page (`OFFSET`): the "middle page" rows show what that costs. A jump to a page nearer the end '
        'is read from the end in the reverse order (the "last page" rows).',
    ]
    body = '\n'.join(lines)
    write_section('TableBrowser at scale', body)
    print(body)


def main(sizes: list[int] | None = None) -> None:
    import pixeltable as pxt

    home = cached_home('table_browser')
    pxt.init()
    print(f'load average {load_average():.1f}')
    scale_section(sizes or bench_sizes())
    if os.environ.get('PXW_BENCH_IMAGES'):
        images_section(home)


if __name__ == '__main__':
    main()
