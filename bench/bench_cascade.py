"""SemanticIndexCascade on the whole Python language reference (79 topics), all in one run.

- Build time of each level (section / paragraph / sentence, MiniLM from the packaged weights).
- One search across the three levels, query embedding included, p50 / p95 over the labelled queries plus paraphrases
  (>= 50 distinct queries, none cached), against the naive way: one ``similarity(string=...)`` query per level, each
  embedding the query again (outside one transaction, as a user writes it).
- recall@5 and MRR@5 on the labelled queries (``tests/data/cascade_queries.json``) per level, fused, and the BM25
  baseline; then a window sweep (128 / 512 / 2048 words) with its build times and metrics.

Run: ``python -m bench bench_cascade`` (writes its section of bench/RESULTS.md).

Scale run (issue 16): ``python -m bench.bench_cascade scale 10000 100000 [1000000]`` — one level of N sentence units
(CPython's language reference and stdlib docstrings, repeated with variation; wordllama; 50 units per document), and
per size: insert and build times, ``open()`` and the panel's first paint (``info``) cold, search p50 with the query
embedding against the raw similarity query (A,B interleaved), kernel RSS growth and tracemalloc peak during the
searches, the load average; then the interactions in the standard scale format (``| rows | interaction |`` +
``bench.common.COMPARED_HEADER``, rows = units), each interleaved with its floor: search, open + first paint, the
levels' counts (``level_counts``) and the document finder. ``PXW_BENCH_REPEAT`` sets the rounds (default 7). A 100k
level builds in ~80 s on a quiet machine: 1M takes ~14 minutes to build; run it on a quiet machine.

Fusion run (issue 17): ``python -m bench.bench_cascade fusion [hits.pkl]`` — the three MiniLM levels only, then
``evaluate()``: each level, the default fused ranking and the BM25 baseline against every fusion family's and the
chosen fusion's **held-out** scores (5-fold cross-validation), with the load average. With a path, the hits each query
fetched are saved there (pickle) so fusions can be studied without embedding again.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import (
    COMPARED_HEADER,
    Measure,
    bench_repeat,
    compared,
    how_measured,
    interleaved,
    load_average,
    temporary_home,
    write_section,
)

QUERIES = Path(__file__).resolve().parents[1] / 'tests' / 'data' / 'cascade_queries.json'
LEVELS = (('sections', 'section'), ('paragraphs', 'paragraph'), ('sentences', 'sentence'))
PREFIXES = ('', 'in python, ', 'how does python handle this: ')
PER_DOC = 50
"""Sentence units per document in the scale run (1M units: 20,000 documents)."""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    temporary_home()
    import pixeltable as pxt

    from pxwidgets.demo.documents import reference_documents
    from pxwidgets.patterns.cascade import SemanticIndexCascade, parse_queries
    from pxwidgets.patterns.cascade.embeddings import resolve_embedding

    pxt.init()
    pxt.create_dir('bench')
    docs = pxt.create_table('bench/docs', {'doc': pxt.Document})
    paths = reference_documents()
    t0 = time.perf_counter()
    docs.insert([{'doc': str(p)} for p in paths])
    cascade = SemanticIndexCascade(docs, 'doc', name='ref')
    outline_s = time.perf_counter() - t0
    resolve_embedding('minilm').probe()  # model load is not part of any level's build time
    build: dict[str, float] = {}
    for name, unit in LEVELS:
        t0 = time.perf_counter()
        cascade.add_level(name, unit)
        build[name] = time.perf_counter() - t0
        print(f'built {name} in {build[name]:.1f} s', flush=True)
    stats = {s['name']: s for s in cascade.stats()}
    names = [name for name, _ in LEVELS]

    labelled = parse_queries(QUERIES)
    texts = [f'{p}{q.query}' for p in PREFIXES for q in labelled]
    warm = [f'warm-up {i}: python statements' for i in range(3)]
    for q in warm:
        cascade.search(q, k=5, levels=names)
    ours: list[float] = []
    embed_part: list[float] = []
    level_part: list[float] = []
    calls_before = resolve_embedding('minilm').calls
    for q in texts:
        t0 = time.perf_counter()
        result = cascade.search(q, k=5, levels=names)
        ours.append((time.perf_counter() - t0) * 1000)
        embed_part.append(sum(result.embed_ms.values()))
        level_part.append(sum(r.ms for r in result.levels))
    embeddings = resolve_embedding('minilm').calls - calls_before

    tables = {n: cascade.table(n) for n in names}

    def naive(q: str) -> None:
        for t in tables.values():
            sim = t.unit_text.similarity(string=q)
            t.order_by(sim, asc=False).limit(5).select(
                t.doc_key, t.doc_title, t.unit_heading, t.unit_text, t.span_start, t.span_end, score=sim
            ).collect()

    for q in warm:
        naive(q + ' naive')
    baseline: list[float] = []
    for q in texts:
        t0 = time.perf_counter()
        naive(q + ' ')  # a different string: Pixeltable caches nothing, but keep it comparable
        baseline.append((time.perf_counter() - t0) * 1000)

    report = cascade.evaluate(labelled, k=5)
    t0 = time.perf_counter()
    sweep = cascade.sweep(labelled, window_sizes=[128, 512, 2048], k=5)
    sweep_s = time.perf_counter() - t0
    window_stats = {s['name']: s for s in cascade.stats() if s['name'].startswith('window_')}

    rest = [o - e - lv for o, e, lv in zip(ours, embed_part, level_part, strict=True)]
    p50, p95 = statistics.median(ours), _pct(ours, 0.95)
    n50, n95 = statistics.median(baseline), _pct(baseline, 0.95)
    lines = [
        f'Corpus: {len(paths)} reference topics (`pydoc_data.topics`) as HTML; outlines in {outline_s:.1f} s. '
        'MiniLM (all-MiniLM-L6-v2, packaged weights) on CPU; 2 shared cores.',
        '',
        '| level | units | mean words | build s |',
        '|---|---:|---:|---:|',
        *[f'| {n} | {stats[n]["units"]:,} | {stats[n]["mean_words"]} | {build[n]:.1f} |' for n in names],
        '',
        f'Search across 3 levels, query embedding included ({len(texts)} distinct queries, k=5, fused + merged '
        f'included): **p50 {p50:.0f} ms, p95 {p95:.0f} ms** (target p50 <= 150 ms); the query was embedded '
        f'{embeddings} times for {len(texts)} searches. Naive per-level `similarity(string=...)` (each level embeds '
        f'the query again, each query outside a transaction): p50 {n50:.0f} ms, p95 {n95:.0f} ms; '
        f'ratio naive / ours at p50: **{n50 / p50:.1f}x**. Of our search, p50: query embedding '
        f'{statistics.median(embed_part):.0f} ms, the three level queries {statistics.median(level_part):.0f} ms, '
        f'fusion + auto-merge + the rest {statistics.median(rest):.0f} ms.',
        '',
        f'Quality on {len(labelled)} labelled queries (document-level relevance, k=5):',
        '',
        '| method | recall@5 | MRR@5 | nDCG@5 | median query ms |',
        '|---|---:|---:|---:|---:|',
        *[
            f'| {m} | {s.recall:.3f} | {s.mrr:.3f} | {s.ndcg:.3f} | {report.latency_ms[m]:.0f} |'
            if m in report.latency_ms
            else f'| {m} | {s.recall:.3f} | {s.mrr:.3f} | {s.ndcg:.3f} | |'
            for m, s in report.scores.items()
        ],
        '',
        report.summary(),
        '',
        f'Window sweep ({sweep_s:.0f} s in all):',
        '',
        '| level | units | build s | recall@5 | MRR@5 | nDCG@5 |',
        '|---|---:|---:|---:|---:|---:|',
        *[
            f'| {n} | {window_stats[n]["units"]:,} | {sweep.build_s[n]:.1f} | '
            f'{sweep.evaluation.scores[n].recall:.3f} | {sweep.evaluation.scores[n].mrr:.3f} | '
            f'{sweep.evaluation.scores[n].ndcg:.3f} |'
            for n in sweep.levels
        ],
        '',
        sweep.summary()
        + ' (MiniLM reads ~256 word pieces, so a 2048-word window is embedded by its first ~200 words.)',
    ]
    body = '\n'.join(lines)
    print(body)
    write_section('SemanticIndexCascade', body)


def fusion(dump: str | None = None) -> None:
    """The fusion run (see the module docstring)."""
    import os
    import pickle
    from dataclasses import replace

    temporary_home()
    import pixeltable as pxt

    from pxwidgets.demo.documents import reference_documents
    from pxwidgets.patterns.cascade import SemanticIndexCascade, parse_queries, quality
    from pxwidgets.patterns.cascade.embeddings import resolve_embedding

    pxt.init()
    docs = pxt.create_table('docs', {'doc': pxt.Document})
    docs.insert([{'doc': str(p)} for p in reference_documents()])
    cascade = SemanticIndexCascade(docs, 'doc', name='ref')
    resolve_embedding('minilm').probe()
    for name, unit in LEVELS:
        cascade.add_level(name, unit)
    labelled = parse_queries(QUERIES)
    inputs: list[object] = []
    choose = quality.cross_validate

    def keep(*args: object, **kwargs: object) -> object:
        inputs.append((args, kwargs))
        return choose(*args, **kwargs)  # type: ignore[arg-type]

    quality.cross_validate = keep  # type: ignore[assignment]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    report = cascade.evaluate(labelled, k=5)
    took = time.perf_counter() - t0
    quality.cross_validate = choose
    if dump:
        Path(dump).write_bytes(pickle.dumps([(q.query, sorted(q.relevant)) for q in labelled] + inputs))
    rows = [
        *[(m, s, '') for m, s in report.scores.items()],
        *[(f'{f} (held out)', s, '5 folds, the default shuffle') for f, s in report.fusions.items()],
    ]
    # the held-out figures depend on how queries fall into folds: the same choice over ten shuffles, averaged
    (args, kwargs), *_ = inputs
    shuffles = [quality.cross_validate(*args, **{**kwargs, 'seed': seed}) for seed in range(10)]  # type: ignore[misc]
    for family in report.fusions:
        held = [ch.held_out[family] for ch in shuffles]
        mean = replace(held[0], **{m: statistics.mean(getattr(h, m) for h in held) for m in ('recall', 'mrr', 'ndcg')})
        spread = f'MRR {min(h.mrr for h in held):.3f}-{max(h.mrr for h in held):.3f}'
        rows.append((f'{family} (held out, mean of 10 shuffles)', mean, spread))
    body = '\n'.join(
        [
            f'{len(labelled)} labelled queries (`tests/data/cascade_queries.json`), k=5, MiniLM levels of the 79 '
            f'reference topics; {report.folds}-fold cross-validation: each query is ranked by the fusion chosen on the '
            f'other folds. Load average {load:.1f} when evaluating ({took:.0f} s).',
            '',
            '| method | recall@5 | MRR@5 | nDCG@5 | |',
            '|---|---:|---:|---:|---|',
            *[f'| {m} | {s.recall:.3f} | {s.mrr:.3f} | {s.ndcg:.3f} | {note} |' for m, s, note in rows],
            '',
            report.summary(),
            '',
            'Fusion chosen per fold: ' + '; '.join(f'`{c}`' for c in report.fold_choices) + '.',
        ]
    )
    print(body)
    write_section('SemanticIndexCascade fusion choice (cross-validated)', body)


def _sentences() -> list[str]:
    """Sentences Python ships: the language reference (``pydoc_data.topics``) and stdlib docstrings."""
    import importlib
    import re
    from pydoc_data.topics import topics

    texts = list(topics.values())
    for name in ('os', 'json', 'pathlib', 'collections', 'itertools', 'functools', 'typing', 're', 'asyncio'):
        module = importlib.import_module(name)
        docs = (getattr(getattr(module, attr), '__doc__', None) for attr in dir(module) if not attr.startswith('_'))
        texts += [d for d in docs if isinstance(d, str)]
    out = []
    for text in texts:
        out += [s.strip() for s in re.split(r'(?<=[.!?])\s+', ' '.join(text.split())) if 20 <= len(s.strip()) <= 400]
    return list(dict.fromkeys(out))


def _scale_level(pxt: Any, n: int, base: list[str]) -> tuple[str, float, float]:
    """A cascade over ``n`` sentence units (50 per document, one paragraph each), built now: its path, the seconds
    the documents took to insert and the seconds its wordllama level took to build."""
    from pxwidgets.patterns.cascade import SemanticIndexCascade

    d = f'scale{n}'
    pxt.create_dir(d)
    docs = pxt.create_table(f'{d}/docs', {'key': pxt.String, 'text': pxt.String})
    t0 = time.perf_counter()
    batch = []
    for i in range(0, n, PER_DOC):
        # the corpus repeated with variation: each repetition's sentences carry its number
        chunk = [f'{base[(i + j) % len(base)]} ({(i + j) // len(base)})' for j in range(min(PER_DOC, n - i))]
        batch.append({'key': f'd{i // PER_DOC:06d}', 'text': '\n\n'.join(chunk)})
        if len(batch) == 2000:
            docs.insert(batch)
            batch = []
    if batch:
        docs.insert(batch)
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    c = SemanticIndexCascade(docs, 'text', key_column='key', name='ref')
    c.add_level('sentences', 'paragraph', embedding='wordllama')
    return c.path, insert_s, time.perf_counter() - t0


def scale(sizes: list[int]) -> None:
    """The scale run (see the module docstring)."""
    import gc
    import tracemalloc

    import psutil

    temporary_home()
    import pixeltable as pxt

    from pxwidgets.panels.cascade_search import CascadeSearch
    from pxwidgets.patterns.cascade import SemanticIndexCascade, parse_queries
    from pxwidgets.patterns.cascade.documents import DOC_PAGE
    from pxwidgets.patterns.cascade.embeddings import resolve_embedding

    pxt.init()
    base = _sentences()
    queries = [q.query for q in parse_queries(QUERIES)]
    model = resolve_embedding('wordllama')
    model.probe()  # the model's load is no level's build time
    proc = psutil.Process()
    repeat = bench_repeat()
    rows = [
        '| units | documents | load | insert s | build s | open ms | first paint ms | search p50 ms | '
        'raw similarity p50 ms | ratio | RSS growth MB | tracemalloc peak MB |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    compared_rows = [f'| rows | interaction {COMPARED_HEADER}', '|---|---|---|---|---|---|---|']
    for n in sizes:
        load = load_average()
        path, insert_s, build_s = _scale_level(pxt, n, base)
        print(f'{n:,} units: inserted in {insert_s:.0f} s, level built in {build_s:.0f} s', flush=True)
        gc.collect()
        # cold, as a user meets it: a fresh process's open() and the panel's first request
        t0 = time.perf_counter()
        c = SemanticIndexCascade.open(path)
        open_ms = (time.perf_counter() - t0) * 1000
        panel = CascadeSearch(c)
        t0 = time.perf_counter()
        info = panel.handle_request('info', {})
        paint_ms = (time.perf_counter() - t0) * 1000
        assert info['ok'], info
        n_docs = info['payload']['documents_total']
        tbl, docs = c.table('sentences'), c.table()
        ours, raw = [], []
        c.search('warm up', k=5)
        rss0 = proc.memory_info().rss
        tracemalloc.start()
        for i, q in enumerate(queries):
            text = f'{q} {i}'
            t0 = time.perf_counter()
            c.search(text, k=5)
            ours.append((time.perf_counter() - t0) * 1000)
            vector = model.embed_query(text + ' raw')
            t0 = time.perf_counter()
            sim = tbl.unit_text.similarity(vector=vector, idx='cascade_embedding')
            tbl.order_by(sim, asc=False).limit(5).select(tbl.unit_text, score=sim).collect()
            raw.append((time.perf_counter() - t0) * 1000)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        growth = (proc.memory_info().rss - rss0) / 2**20
        p50, r50 = statistics.median(ours), statistics.median(raw)
        rows.append(
            f'| {n:,} | {n_docs:,} | {load:.1f} | {insert_s:.0f} | {build_s:.0f} | {open_ms:.0f} | {paint_ms:.0f} | '
            f'{p50:.0f} | {r50:.0f} | {p50 / r50:.1f} | {growth:.1f} | {peak / 2**20:.1f} |'
        )
        print(rows[-1], flush=True)
        compared_rows += [
            f'| {n:,} | {what} {compared(o, f)}' for what, o, f in _interactions(c, path, repeat, DOC_PAGE)
        ]
        print('\n'.join(compared_rows[-5:]), flush=True)
        del c, panel, tbl, docs
    body = '\n'.join(
        [
            f'One level of N sentence units (wordllama; {PER_DOC} per document, one paragraph each) from the language '
            "reference and stdlib docstrings Python ships, repeated with variation (each repetition's sentences carry "
            'its number). Insert: the documents; build: the cascade, its outlines, the level and its embedding '
            "index. Open and first paint cold (a new cascade object; the first paint is the panel's `info`: one page "
            f"of {DOC_PAGE} documents with their titles, how many there are and how many failed; the levels' counts "
            "come after it, from `level_counts`: the units and the documents with units, one SQL query per level's "
            'store, against `count()` + a `group_by` of the level as a user writes them); 47 searches of the labelled '
            'queries, each '
            'A,B-interleaved with the raw similarity query (`similarity(vector=...)` + `order_by` + `limit(5)` + '
            '`collect()`, the vector computed outside the timing), kernel memory measured during the searches; the '
            '1-minute load average when the size began.',
            '',
            *rows,
            '',
            f'The interactions, each against its floor (the raw Pixeltable queries doing the same work), '
            f'{how_measured(repeat)} Rows = sentence units.',
            '',
            *compared_rows,
        ]
    )
    print(body)
    write_section('SemanticIndexCascade at scale', body)


def _interactions(c: Any, path: str, repeat: int, page: int) -> list[tuple[str, Measure, Measure]]:
    """Each interaction of the panel and its floor, interleaved: search (query embedding included), ``open()`` + the
    first paint, the documents-with-units count asked after it, and the document finder."""
    import itertools

    import pixeltable as pxt

    from pxwidgets.panels.cascade_search import CascadeSearch
    from pxwidgets.patterns.cascade import SemanticIndexCascade, parse_queries
    from pxwidgets.patterns.cascade.embeddings import resolve_embedding

    model = resolve_embedding('wordllama')
    tbl, docs = c.table('sentences'), c.table()
    texts = itertools.count()
    labelled = [q.query for q in parse_queries(QUERIES)]

    def text() -> str:  # a new query each call: nothing cached
        i = next(texts)
        return f'{labelled[i % len(labelled)]} #{i}'

    def search() -> None:
        c.search(text(), k=5)

    def search_floor() -> None:
        sim = tbl.unit_text.similarity(vector=model.embed_query(text()), idx='cascade_embedding')
        tbl.order_by(sim, asc=False).limit(5).select(
            tbl.doc_key, tbl.doc_title, tbl.unit_heading, tbl.unit_text, tbl.span_start, tbl.span_end, score=sim
        ).collect()

    def paint() -> None:
        reply = CascadeSearch(SemanticIndexCascade.open(path)).handle_request('info', {})
        assert reply['ok'], reply

    def paint_floor() -> None:  # a page of documents with their titles, how many, how many failed
        d = pxt.get_table(f'{path}/documents')
        assert d is not None
        d.order_by(d.key).limit(page).select(d.key, d.cascade_title).collect()
        d.count()
        d.where(d.cascade_outline.errortype != None).count()  # noqa: E711

    def counts() -> None:
        reply = CascadeSearch(SemanticIndexCascade.open(path)).handle_request('level_counts', {})
        assert reply['ok'], reply

    def counts_floor() -> None:
        lv = pxt.get_table(f'{path}/sentences')
        assert lv is not None
        len(lv.group_by(lv.doc_key).select(lv.doc_key).collect())
        lv.count()

    panel = CascadeSearch(c)
    found = itertools.count()

    def find() -> None:
        reply = panel.handle_request('documents', {'search': f'd{next(found) % 10}1'})
        assert reply['ok'], reply

    def find_floor() -> None:
        text = f'd{next(found) % 10}1'
        matching = docs.where(docs.key.contains(text, case=False) | docs.cascade_title.contains(text, case=False))
        matching.order_by(docs.key).limit(page).select(docs.key, docs.cascade_title).collect()
        matching.count()

    cases = [
        ('search (query embedding included) vs embedding + similarity top 5', search, search_floor),
        ("open() + first paint (the panel's info, a new cascade object)", paint, paint_floor),
        ("the levels' units and documents (level_counts, a new cascade object)", counts, counts_floor),
        ('document finder (key or title contains text)', find, find_floor),
    ]
    out = []
    for what, ours, floor in cases:
        m = interleaved({'ours': ours, 'floor': floor}, repeat=repeat)
        out.append((what, m['ours'], m['floor']))
    return out


if __name__ == '__main__':
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == 'scale':
        scale([int(x) for x in sys.argv[2:]] or [10_000, 100_000])
    elif len(sys.argv) > 1 and sys.argv[1] == 'fusion':
        fusion(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        main()
