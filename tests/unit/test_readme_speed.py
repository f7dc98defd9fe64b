"""The README quotes only figures that bench/RESULTS.md holds: every measured number in its "Speed" section (a time,
a ratio or a share) must appear in the results file, so that a figure cannot be improved in prose alone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURE = re.compile(r'(\d[\d,]*(?:\.\d+)?)\s?(ms|s|×|%)(?![\w])')


def speed_section() -> str:
    readme = (ROOT / 'README.md').read_text()
    start = readme.index('## Speed')
    end = readme.find('\n## ', start + 1)
    return readme[start : end if end != -1 else None]


def test_every_figure_of_the_speed_section_is_in_the_results() -> None:
    results = (ROOT / 'bench' / 'RESULTS.md').read_text()
    figures = {number for number, _ in FIGURE.findall(speed_section())}
    assert len(figures) >= 10  # the section quotes figures (a parser that finds none would prove nothing)
    missing = sorted(n for n in figures if not re.search(rf'(?<![\d.,]){re.escape(n)}(?![\d])', results))
    assert not missing, f'README speed figures not in bench/RESULTS.md: {missing}'


def test_a_figure_missing_from_the_results_is_found() -> None:
    assert FIGURE.findall('a page in 0.32× and 85 ms, 2.5% of it, 0.3 s') == [
        ('0.32', '×'),
        ('85', 'ms'),
        ('2.5', '%'),
        ('0.3', 's'),
    ]
