"""The scale chart reads every scale table of bench/RESULTS.md: sizes, times (ms or s), memory, loaded marks."""

from __future__ import annotations

from bench.scale_chart import Point, figure, scale_tables

RESULTS = """# Benchmark results

## TableBrowser at scale

Some prose | with a bar.

| rows | interaction | fetched by | pxwidgets | floor | ÷ floor | pxwidgets memory MB | floor memory MB |
|---|---|---|---|---|---|---|---|
| 10,000 | deep page (offset 9,900) by key | key | 16.5 ms (load 0.2) | 12.4 ms | 1.33 | 0.0 / 0.2 | 0.0 / 0.1 |
| 1,000,000 | deep page (offset 990,000) by key | key | 64.6 ms (load 2.5, loaded) | 63.5 | 1.02 | 1.5 / 0.3 | 0 / 0 |

## Versioned experiments: row diff of 100,000 rows

| rows | interaction | pxwidgets | pandas reference | ÷ reference | pxwidgets memory MB | reference memory MB |
|---|---|---|---|---|---|---|
| 100,000 | `row_diff(t, a, b)` | 2.5 s (load 1.0) | 9.1 s (load 1.0) | 0.27 | 0.0 / 0.4 | 80.0 / 60.0 |

## ConsensusGrid

| rows | what | pxwidgets | floor ms |
|---|---|---|---|
| 10,000 | not a scale table | 36.8 ms | 16.2 |
"""


def test_every_scale_table_is_read_by_panel_with_sizes_times_and_memory() -> None:
    tables = scale_tables(RESULTS)
    assert set(tables) == {'TableBrowser', 'Versioned experiments'}
    assert tables['TableBrowser'] == [
        Point('deep page by key', 10_000, 16.5, 0.0, 0.2, loaded=False),
        Point('deep page by key', 1_000_000, 64.6, 1.5, 0.3, loaded=True),
    ]
    assert tables['Versioned experiments'] == [Point('row_diff(t, a, b)', 100_000, 2500.0, 0.0, 0.4, loaded=False)]


def test_the_figure_has_a_time_line_and_two_memory_lines_per_interaction() -> None:
    fig = figure(scale_tables(RESULTS))
    assert len(fig.data) == 2 * 3  # two interactions (one per panel), each: time, heap, RSS
    times = [trace for trace in fig.data if trace.showlegend is not False]
    assert [list(t.x) for t in times] == [[10_000, 1_000_000], [100_000]]
    assert list(times[0].y) == [16.5, 64.6]
