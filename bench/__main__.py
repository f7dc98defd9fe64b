"""Run every benchmark: ``python -m bench [name ...]``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    'bench_table_browser',
    'bench_stage_builder',
    'bench_versioned',
    'bench_incremental',
    'bench_detections',
    'bench_consensus',
    'bench_cascade',
    'bench_hub',
    'scale_chart',  # last: draws time and memory against rows from the tables the others wrote
]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        module = importlib.import_module(f'bench.{name}')
        module.main()


if __name__ == '__main__':
    main(sys.argv[1:])
