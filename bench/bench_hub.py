"""PatternHub / ``patterns.catalog()``: every pattern of a catalog of 50 patterns (target ≤ 300 ms), and the hub's
first paint on it (target ≤ 500 ms).

The catalog: 15 pipelines (5 made with ``ProgressiveRefinement``, 10 by hand, one of them a RAG-style chunks view with
a real all-MiniLM-L6-v2 ``sentence_transformer`` column), 10 consensuses, 8 cascades (lexical levels), 10 evaluations,
7 experiments (2 runs each, one failed), and plain tables up to 150 tables in all.

The hub's first paint is what the kernel does before the browser can draw the hub: ``PatternHub(dir)`` constructed
and its first request (``catalog``: the list, the lineage, the fingerprint) answered, in a fresh Python process where
``ipykernel`` (as in any kernel), ``pixeltable`` and ``pxwidgets`` are imported (the cells before it) and nothing is
cached — the panel modules (anywidget, ipywidgets) are imported by the measured cell, as a user's first panel does;
its rendering in the browser is checked by the JS harness and e2e tests.

The reference is what a listing has to do with Pixeltable's public API: ``pxt.list_tables(recursive=True)``, then
``pxt.get_table(path).get_metadata()`` for every table (the custom metadata that says which pattern a table or column
belongs to lives there), interleaved with ``catalog()`` in one process, medians of warm calls. Then both once in a
fresh Python process (a kernel just started), where opening a table with a ``sentence_transformer`` column loads the
model. The load average is recorded beside the figures: a loaded machine makes everything slower.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import is_loaded, temporary_home, write_section

ROOT = Path(__file__).resolve().parents[1]
N_TABLES = 150
TARGET_MS = 300
PAINT_TARGET_MS = 500
# patterns of each kind (50 in all)
N_PROGRESSIVE, N_HAND, N_CONSENSUS, N_CASCADE, N_EVALUATION, N_EXPERIMENT = 5, 9, 10, 8, 10, 7


def _build(pxt: Any, home: Path) -> int:
    """The catalog; returns the number of patterns built."""
    from pixeltable.functions.huggingface import sentence_transformer

    import pxwidgets as pxw
    from pxwidgets.demo.drifting_digits import drifting_batches
    from pxwidgets.functions.embeddings import model_path
    from tests.support.cascade import html_doc, write_docs
    from tests.support.incremental import predictions_table
    from tests.support.versioned import build_numbers, fail_midway

    pxt.create_dir('bh')
    patterns = 0
    for i in range(N_PROGRESSIVE):
        t = pxt.create_table(f'bh/src{i}', {'n': pxt.Int})
        t.insert([{'n': j} for j in range(50)])
        p = pxw.ProgressiveRefinement(t)
        p.add_stage(f'double{i}', column=t.n * 2)
        p.add_stage(f'big{i}', where=t.n > 10)
        patterns += 1
    for i in range(N_HAND):
        t = pxt.create_table(f'bh/hand{i}', {'n': pxt.Int, 'text': pxt.String})
        t.insert([{'n': j, 'text': f'row {j}'} for j in range(50)])
        v = pxt.create_view(f'bh/hand{i}_odd', t.where(t.n % 2 == 1))
        v.add_computed_column(triple=v.n * 3)
        patterns += 1
    docs = pxt.create_table('bh/rag_docs', {'text': pxt.String})
    docs.insert([{'text': f'document number {j} about pixeltable'} for j in range(20)])
    chunks = pxt.create_view('bh/rag_chunks', docs)
    chunks.add_computed_column(emb=sentence_transformer(chunks.text, model_id=str(model_path())))
    patterns += 1
    for i in range(N_CONSENSUS):
        t = pxt.create_table(f'bh/labels{i}', {'x': pxt.Int, 'a': pxt.Int, 'b': pxt.Int, 'truth': pxt.Int})
        t.insert([{'x': j, 'a': j % 3, 'b': (j + i) % 3, 'truth': j % 3} for j in range(100)])
        c = pxw.MultiModelConsensus(t, 'x', ground_truth='truth')
        c.add_model('a', 'a')
        c.add_model('b', 'b')
        patterns += 1
    files = write_docs(home / 'docs', {f'd{j}': html_doc(f'D{j}', ('H', ['one two.', 'three four'])) for j in range(3)})
    for i in range(N_CASCADE):
        t = pxt.create_table(f'bh/docs{i}', {'doc': pxt.Document})
        t.insert([{'doc': f} for f in files])
        s = pxw.SemanticIndexCascade(t, 'doc', name=f'cascade{i}')
        s.add_level('sections', 'section', lexical=True)
        s.add_level('paragraphs', 'paragraph', lexical=True)
        patterns += 1
    batches = drifting_batches(n_batches=2, batch_size=50, drift_from=1, seed=1)
    for i in range(N_EVALUATION):
        preds = predictions_table(f'bh/preds{i}', batches)
        pxw.IncrementalEvaluation(preds, 'prediction', 'label', 'ts', window='1h').refresh()
        patterns += 1
    for i in range(N_EXPERIMENT):
        exp = pxw.VersionedExperiment(f'bh/exp{i}', build_numbers)
        exp.run(threshold=0.5)
        try:
            pxw.VersionedExperiment(f'bh/exp{i}', fail_midway).run()
        except Exception:
            pass
        patterns += 1
    count = len(pxt.list_tables('bh', recursive=True))
    for i in range(N_TABLES - count):
        t = pxt.create_table(f'bh/plain{i:03d}', {'a': pxt.Int, 'b': pxt.String})
        t.insert([{'a': 1, 'b': 'x'}])
    return patterns


def _reference(pxt: Any) -> int:
    found = 0
    for path in pxt.list_tables('bh', recursive=True):
        md = pxt.get_table(path).get_metadata()
        found += bool(md.get('custom_metadata')) + sum(bool(c.get('custom_metadata')) for c in md['columns'].values())
    return found


_FRESH_REFERENCE = """
import time, pixeltable as pxt
pxt.init()
start = time.perf_counter()
for path in pxt.list_tables('bh', recursive=True):
    pxt.get_table(path).get_metadata()
print((time.perf_counter() - start) * 1000)
"""

_FRESH_HUB = """
import time, pixeltable as pxt
pxt.init()
import pxwidgets as pxw
start = time.perf_counter()
hub = pxw.PatternHub('bh')
reply = hub.handle_request('catalog')
assert reply['ok'], reply
print((time.perf_counter() - start) * 1000)
"""

_FRESH_CATALOG = """
import time, pixeltable as pxt
pxt.init()
import pxwidgets as pxw
start = time.perf_counter()
df = pxw.patterns.catalog('bh')
print((time.perf_counter() - start) * 1000)
"""


def _fresh(code: str) -> float:
    """Milliseconds the code reports in a new Python process that, like a Jupyter kernel, has ipykernel loaded and
    finds this repository's modules compiled (``__pycache__``: written by a first, unmeasured process, even where
    ``PYTHONDONTWRITEBYTECODE`` is set for the benchmark itself; an installed package ships its bytecode)."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
    done = subprocess.run(
        [sys.executable, '-c', f'import sys; sys.path.insert(0, {str(ROOT)!r})\nimport ipykernel.ipkernel\n{code}'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    home = temporary_home()
    import pixeltable as pxt

    from pxwidgets.patterns import catalog

    pxt.init()
    start = time.perf_counter()
    n_patterns = _build(pxt, home)
    build_s = time.perf_counter() - start
    n_tables = len(pxt.list_tables('bh', recursive=True))
    df = catalog('bh')
    assert len(df) == n_patterns, (len(df), n_patterns, df[['kind', 'path']])
    assert df.problems.map(len).sum() == N_EXPERIMENT, df.problems  # the failed runs, nothing else
    _reference(pxt)  # warm: every handle cached in this process
    ours: list[float] = []
    ref: list[float] = []
    for _ in range(7):  # interleaved, so both see the same machine load
        t0 = time.perf_counter()
        catalog('bh')
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        _reference(pxt)
        ref.append((time.perf_counter() - t0) * 1000)
    from pxwidgets import PatternHub

    hub = PatternHub('bh')
    hub_ms: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        reply = hub.handle_request('catalog')
        hub_ms.append((time.perf_counter() - t0) * 1000)
        assert reply['ok'] and len(reply['payload']['patterns']) == n_patterns, reply
    load_warm = os.getloadavg()[0]
    _fresh(_FRESH_HUB)  # writes the bytecode of every module the hub imports
    fresh_ours = _fresh(_FRESH_CATALOG)
    fresh_ref = _fresh(_FRESH_REFERENCE)
    paints = [_fresh(_FRESH_HUB) for _ in range(3)]
    paint = statistics.median(paints)
    load_end = os.getloadavg()[0]
    warm_ours, warm_ref = statistics.median(ours), statistics.median(ref)
    warm = f'**{warm_ours:.0f} ms** | {warm_ref:.0f} ms | {warm_ours / warm_ref:.2f}'
    fresh = f'**{fresh_ours:.0f} ms** | {fresh_ref:.0f} ms | {fresh_ours / fresh_ref:.3f}'
    verdict = 'within' if warm_ours <= TARGET_MS else 'over'
    loaded = ' (loaded: above the core count)' if is_loaded(max(load_warm, load_end)) else ''
    n_pipelines = N_PROGRESSIVE + N_HAND + 1
    each = ', '.join(f'{p:.0f}' for p in paints)
    paint_verdict = 'met' if paint <= PAINT_TARGET_MS else 'missed'
    body = f"""\
Catalog: {n_tables} tables, {n_patterns} patterns ({n_pipelines} pipelines — one a chunks view with a real
all-MiniLM-L6-v2 `sentence_transformer` column — {N_CONSENSUS} consensuses, {N_CASCADE} cascades, {N_EVALUATION}
evaluations, {N_EXPERIMENT} experiments), built in {build_s:.0f} s.
{os.cpu_count()} cores, load average {load_warm:.1f} after the warm runs, {load_end:.1f} at the end{loaded}.
Reference: `pxt.list_tables` + `get_table(p).get_metadata()` per table.

| what | `patterns.catalog()` | reference | ratio |
|---|---:|---:|---:|
| warm, same process (median of 7, interleaved) | {warm} |
| first call in a fresh process (a kernel just started) | {fresh} |

Target ≤ {TARGET_MS} ms: {verdict}.

The hub's first paint on these {n_patterns} patterns — `PatternHub('bh')` and its first request (`catalog`: the list,
the lineage and the fingerprint) in a fresh process (ipykernel, pixeltable and pxwidgets imported, as in a kernel
whose earlier cells imported them; bytecode compiled; nothing cached):
**{paint:.0f} ms** (median of 3 processes: {each} ms; target ≤ {PAINT_TARGET_MS} ms: {paint_verdict}). The same
request again in a warm process: {statistics.median(hub_ms):.0f} ms (median of 5).
`catalog()` reads Pixeltable's stored catalog in a few queries (directories, tables with their current schema and
version, row counts, failed runs) and opens no table: the fresh-process reference pays
for rebuilding every column's expression, which loads the MiniLM model for the chunks view; `catalog()` loads none.
"""
    write_section('PatternHub / patterns.catalog()', body)
    print(body)


if __name__ == '__main__':
    main()
