"""SemanticIndexCascade on real Pixeltable: levels and their lineage, search, fusion, drill, one query embedding per
model, incremental inserts, evaluation, window sweeps, reopening in a fresh process, and refusals that write nothing.

One small catalog per module: three reference topics, levels embedded with a counting wordllama UDF (fast).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.demo.documents import reference_documents
from pxwidgets.errors import CancelledError, InvalidRequestError, PlanChangedError
from pxwidgets.patterns.cascade import SemanticIndexCascade
from pxwidgets.patterns.cascade.catalog import ROLE_LEVEL
from pxwidgets.patterns.cascade.errors import (
    CascadeConflictError,
    EmbeddingUnavailableError,
    InvalidQueryError,
    LevelNameError,
    LevelNotFoundError,
)
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.tables.internals import fallback_metadata, table_path
from tests.support.cascade import CALLS, blank_pdf, counting_embed, html_doc, reset_calls, versions, write_docs

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ['try', 'for', 'with']


@pytest.fixture(scope='module')
def cascade(pxt_home: Path) -> Iterator[SemanticIndexCascade]:
    d = f'cas_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    docs = pxt.create_table(f'{d}/docs', {'doc': pxt.Document})
    docs.insert([{'doc': str(p)} for p in reference_documents(topics=TOPICS)])
    c = SemanticIndexCascade(f'{d}/docs', 'doc', name='ref')
    c.add_level('sentences', 'sentence', embedding=counting_embed)
    c.add_level('sections', 'section', embedding=counting_embed)
    c.add_level('paragraphs', 'paragraph', embedding=counting_embed)
    c.add_level('lexical', 'paragraph', lexical=True)
    yield c
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def test_levels_are_views_with_role_metadata_ordered_coarse_to_fine(cascade: SemanticIndexCascade) -> None:
    assert cascade.path.endswith('/ref')
    assert cascade.level_names == ['sections', 'lexical', 'paragraphs', 'sentences']
    sentences = cascade.table('sentences')
    role = read_role(fallback_metadata(sentences)['custom_metadata'], ROLE_LEVEL)
    assert role == {
        'cascade': cascade.path,
        'level': 'sentences',
        'splitter': {'unit': 'sentence'},
        'index': 'udf:tests.support.cascade.counting_embed',
    }
    base = sentences.get_base_table()
    assert base is not None and table_path(base) == f'{cascade.path}/documents'
    source = base.get_base_table()
    assert source is not None and table_path(source) == cascade.source
    stats = {s['name']: s for s in cascade.stats()}
    assert stats['sections']['units'] < stats['paragraphs']['units'] < stats['sentences']['units']
    assert stats['paragraphs']['units'] == stats['lexical']['units']
    assert {s['documents'] for s in stats.values()} == {3}
    assert cascade.level('lexical').lexical
    with pytest.raises(LevelNotFoundError, match='Levels: sections'):
        cascade.level('chapters')


def test_every_sentence_maps_to_its_paragraph_and_section_through_lineage(cascade: SemanticIndexCascade) -> None:
    sentences = cascade.table('sentences')
    rows = sentences.select(
        sentences.doc_key,
        sentences.span_start,
        sentences.span_end,
        sentences.unit_text,
        outline=sentences.cascade_outline,
    ).collect()
    paragraphs, sections = cascade.units('paragraphs'), cascade.units('sections')
    assert len(rows) == len(cascade.units('sentences'))
    for r in rows:
        # the sentence's own document, reached through the view chain (sentences -> documents -> docs)
        assert r['outline']['key'] == r['doc_key']
        text = r['outline']['text']
        assert text[r['span_start'] : r['span_end']] == r['unit_text']
        para = paragraphs.enclosing(r['doc_key'], r['span_start'], r['span_end'])
        sect = sections.enclosing(r['doc_key'], r['span_start'], r['span_end'])
        assert para is not None and sect is not None
        assert para.start <= r['span_start'] and r['span_end'] <= para.end
        assert sect.start <= para.start and para.end <= sect.end
        assert para.text == text[para.start : para.end]
        assert r['unit_text'] in para.text and para.text in sect.text


def test_search_embeds_the_query_once_per_model(cascade: SemanticIndexCascade) -> None:
    query = f'how do I handle an error {uuid.uuid4().hex[:6]}'  # not in the query cache
    reset_calls()
    result = cascade.search(query, k=3)
    assert CALLS['texts'] == 1  # three embedding levels share one model: one embedding
    assert [r.level for r in result.levels] == cascade.level_names
    assert all(len(r.hits) == 3 for r in result.levels if r.level != 'lexical')
    assert 1 <= len(result.level('lexical').hits) <= 3  # BM25 returns only units sharing a word with the query
    assert all(r.ms > 0 for r in result.levels)
    assert list(result.embed_ms) == ['udf:tests.support.cascade.counting_embed']
    cascade.search(query, k=3)
    assert CALLS['texts'] == 1  # the same query again: cached
    # the naive way embeds it again for every level
    reset_calls()
    for name in ('sections', 'paragraphs', 'sentences'):
        t = cascade.table(name)
        sim = t.unit_text.similarity(string=query + ' naive')
        t.order_by(sim, asc=False).limit(3).select(t.unit_text).collect()
    assert CALLS['texts'] == 3


def test_results_fused_and_merged(cascade: SemanticIndexCascade) -> None:
    result = cascade.search('what happens when an exception is raised in the try clause', k=5)
    for r in result.levels:
        assert [h.rank for h in r.hits] == list(range(1, len(r.hits) + 1))
        assert all(h.query == result.query for h in r.hits)
    assert result.level('sentences').hits[0].doc_key == 'try'
    scores = [h.score for h in result.level('paragraphs').hits]
    assert scores == sorted(scores, reverse=True)
    assert result.fused_level == 'sections'
    assert result.fused[0].doc_key == 'try'
    assert all(h.level == 'sections' for h in result.fused)
    fused_scores = [h.score for h in result.fused]
    assert fused_scores == sorted(fused_scores, reverse=True)
    assert all(any(h.contains(c) or c.level == 'sections' for c in h.children) for h in result.fused)
    assert {c.level for h in result.fused for c in h.children} >= {'sections', 'sentences'}
    assert {h.level for h in result.merged} <= {'sentences', 'paragraphs', 'sections'}
    assert len(result.merged) <= 5
    frame = result.to_pandas()
    assert list(frame.columns) == ['level', 'rank', 'score', 'doc', 'heading', 'text']
    assert len(frame) == sum(len(r.hits) for r in result.levels)
    assert json.loads(json.dumps(result.to_json()))['fused'][0]['doc_key'] == 'try'


def test_drill_and_context(cascade: SemanticIndexCascade) -> None:
    result = cascade.search('exception handler matching the except clause', k=3)
    section = result.fused[0]
    inside = cascade.drill(section, 'sentences', k=4)
    assert 1 <= len(inside) <= 4
    assert all(section.contains(h) for h in inside)
    assert [h.score for h in inside] == sorted((h.score for h in inside), reverse=True)
    # exact: the best sentence inside is the best of all sentences of that section by the same vector
    all_inside = cascade.drill(section, 'sentences', k=40)
    assert inside[0] == all_inside[0]
    lexical = cascade.drill(section, 'lexical', k=2)
    assert all(section.contains(h) for h in lexical)
    ctx = cascade.context(section)
    assert [u['level'] for u in ctx['chain']] == ['sections', 'paragraphs', 'sentences']
    outer, para, sent = ctx['chain']
    assert outer['start'] <= para['start'] <= sent['start'] and sent['end'] <= para['end'] <= outer['end']
    assert ctx['best'] == sent and sent['text'] == inside[0].text
    assert outer['text'][sent['start'] - outer['start'] : sent['end'] - outer['start']] == sent['text']
    with pytest.raises(LevelNotFoundError):
        cascade.drill(section, 'nope')


def test_documents_filter_is_exact(cascade: SemanticIndexCascade) -> None:
    result = cascade.search('iterate over the items of a sequence', k=5, documents=['with'])
    assert all(h.doc_key == 'with' for r in result.levels for h in r.hits)
    # exact scoring inside the filter: every unit of 'with' is a candidate ('with' has one section)
    assert {r.level: len(r.hits) for r in result.levels if r.level != 'lexical'} == {
        'sections': 1,
        'paragraphs': 5,
        'sentences': 5,
    }
    with pytest.raises(InvalidRequestError, match='documents is empty'):
        cascade.search('x', documents=[])
    assert [d['key'] for d in cascade.documents()] == sorted(TOPICS)


def test_bad_queries_are_refused(cascade: SemanticIndexCascade) -> None:
    for bad in ('', '   ', '\n\t'):
        with pytest.raises(InvalidQueryError, match='empty'):
            cascade.search(bad)
    with pytest.raises(InvalidQueryError, match='limit'):
        cascade.search('exception ' * 500)
    long = cascade.search('exception handling in python ' * 50, k=2)
    assert any('first 200' in n for n in long.notes)
    assert long.level('lexical').hits  # BM25 reads every word
    foreign = cascade.search('例外を処理する方法', k=2)
    assert any('English' in n for n in foreign.notes)
    with pytest.raises(InvalidRequestError, match='k must be'):
        cascade.search('loop', k=0)


def test_refused_levels_write_nothing(cascade: SemanticIndexCascade) -> None:
    pxt.create_table(f'{cascade.path}/taken', {'x': pxt.Int})
    watched = [cascade.source, f'{cascade.path}/documents', *(lv.path for lv in cascade.levels)]
    before, names = versions(*watched), cascade.level_names
    with pytest.raises(LevelNameError, match='already taken'):
        cascade.add_level('taken', 'sentence', embedding='wordllama')
    with pytest.raises(LevelNameError, match='another definition'):
        cascade.add_level('sentences', 'paragraph', embedding=counting_embed)
    for bad in ('documents', '1st', 'stored', 'my level'):
        with pytest.raises(LevelNameError):
            cascade.add_level(bad, 'sentence', embedding='wordllama')
    with pytest.raises(EmbeddingUnavailableError, match='cannot be loaded') as info:
        cascade.add_level('mpnet', 'sentence', embedding='hf:sentence-transformers/all-mpnet-base-v2')
    assert "embedding='minilm'" in str(info.value)
    with pytest.raises(EmbeddingUnavailableError, match='Unknown embedding'):
        cascade.add_level('odd', 'sentence', embedding='glove')
    with pytest.raises(InvalidRequestError):
        cascade.add_level('w', 'window', size=2)
    assert cascade.add_level('sentences', 'sentence', embedding=counting_embed).name == 'sentences'  # converges
    assert versions(*watched) == before
    assert cascade.level_names == names
    assert pxt.get_table(f'{cascade.path}/mpnet', if_not_exists='ignore') is None
    parent = cascade.path.rsplit('/', 1)[0]
    same = SemanticIndexCascade(cascade.source, 'doc', name='ref')  # the same definition: the same cascade
    assert same.path == cascade.path and same.level_names == names
    other = pxt.create_table(f'{parent}/other_docs', {'doc': pxt.Document})
    with pytest.raises(CascadeConflictError, match='already indexes'):
        SemanticIndexCascade(other, 'doc', name='ref')
    pxt.drop_table(other)
    pxt.drop_table(f'{cascade.path}/taken')


def test_cancel_while_building_removes_the_level(cascade: SemanticIndexCascade) -> None:
    def cancel_at_index(done: int, total: int, message: str) -> None:
        if message.startswith('Embedding'):
            raise CancelledError('Cancelled.')

    with pytest.raises(CancelledError, match='removed again'):
        cascade.add_level('cancelled', 'section', embedding='wordllama', on_progress=cancel_at_index)
    assert pxt.get_table(f'{cascade.path}/cancelled', if_not_exists='ignore') is None
    assert 'cancelled' not in cascade.level_names


def test_evaluate_per_level_fused_and_bm25(cascade: SemanticIndexCascade) -> None:
    queries = {
        'what happens when an exception is raised': ['try'],
        'repeat a block for every element of a sequence': ['for'],
        'acquire a resource and release it afterwards': ['with'],
        'the else clause of a loop': ['for'],
    }
    report = cascade.evaluate(queries, k=2)
    assert list(report.scores) == [*cascade.level_names, 'fused', 'bm25_baseline']
    assert report.baseline_level == 'sections'
    for method, score in report.scores.items():
        rows = [q['methods'][method] for q in report.per_query]
        assert score.mrr == pytest.approx(sum(r['rr'] for r in rows) / len(rows))
        assert score.ndcg == pytest.approx(sum(r['ndcg'] for r in rows) / len(rows))
        assert 0 <= score.recall <= 1 and score.queries == 4
    assert report.scores['sentences'].mrr >= 0.5  # the topics are easy to tell apart
    assert set(report.latency_ms) == set(cascade.level_names)
    assert report.best in report.scores
    assert report.to_pandas().shape == (6, 4)


def test_sweep_builds_windows_evaluates_and_plans_drops(cascade: SemanticIndexCascade) -> None:
    steps: list[str] = []
    report = cascade.sweep(
        {'an exception in the try clause': ['try'], 'iterate over a list': ['for']},
        window_sizes=[16, 64],
        embedding='wordllama',
        on_progress=lambda d, t, m: steps.append(m),
    )
    assert report.levels == ['window_16', 'window_64']
    assert report.keep in report.levels and report.drop == [n for n in report.levels if n != report.keep]
    assert set(report.build_s) == {'window_16', 'window_64'}
    assert steps[0] == 'Building window_16' and steps[-1] == 'Done'
    w16 = cascade.units('window_16')
    assert all(len(r[3].split()) <= 16 for r in w16.rows)
    assert cascade.level('window_64').splitter == {'unit': 'window', 'size': 64, 'overlap': 16}
    assert cascade.level_names.index('window_64') < cascade.level_names.index('window_16')  # coarse first
    # windows take part in searches; fusion still ranks sections
    assert cascade.search('loop over items', k=2).level('window_16').hits
    plan = cascade.plan_drop_level('window_16')
    assert plan.targets() == [f'{cascade.path}/window_16']
    cascade.add_level('extra', 'section', embedding='wordllama')
    with pytest.raises(PlanChangedError):
        cascade.drop_level('extra', expect=plan)
    assert cascade.drop_level('window_16', expect=plan.token) == [f'{cascade.path}/window_16']
    cascade.drop_level('window_64', expect=cascade.plan_drop_level('window_64'))
    cascade.drop_level('extra', expect=cascade.plan_drop_level('extra'))
    assert cascade.level_names == ['sections', 'lexical', 'paragraphs', 'sentences']


def run_script(script: str) -> dict[str, Any]:
    """Run ``script`` in a fresh Python process (this checkout first on its path); its last line of output as JSON."""
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_reopen_in_a_fresh_process_finds_the_same_levels_units_and_hits(cascade: SemanticIndexCascade) -> None:
    expected = cascade.search('acquire a resource and release it afterwards', k=3)
    data = run_script(f"""
import json
from pxwidgets.patterns.cascade import SemanticIndexCascade
c = SemanticIndexCascade.open({cascade.source!r})
r = c.search('acquire a resource and release it afterwards', k=3)
print(json.dumps({{'path': c.path, 'levels': c.level_names, 'units': [s['units'] for s in c.stats()],
                  'hits': {{x.level: [h.id for h in x.hits] for x in r.levels}}}}))
""")
    assert data['path'] == cascade.path
    assert data['levels'] == cascade.level_names
    assert data['units'] == [s['units'] for s in cascade.stats()]
    assert data['hits'] == {x.level: [h.id for h in x.hits] for x in expected.levels}


def test_new_documents_become_searchable_at_every_level(cascade: SemanticIndexCascade, tmp_path: Path) -> None:
    source = pxt.get_table(cascade.source)
    assert source is not None
    [path] = write_docs(
        tmp_path,
        {
            'zebras': html_doc(
                'Zebra husbandry',
                ('Stripes', ['Zebra stripes confuse biting flies. Each zebra has a unique stripe pattern.']),
                ('Feeding', ['Zebras graze on tall grasses in the savanna.']),
            )
        },
    )
    source.insert([{'doc': path}])
    result = cascade.search('zebra stripe pattern', k=1)
    assert {r.level: r.hits[0].doc_key for r in result.levels} == dict.fromkeys(cascade.level_names, 'zebras')
    assert result.fused[0].doc_key == 'zebras'
    assert 'zebras' in cascade.units('sentences').documents
    assert cascade.problems() == []


def test_a_document_that_fails_to_split_is_reported_and_the_others_indexed(
    cascade: SemanticIndexCascade, tmp_path: Path
) -> None:
    source = pxt.get_table(cascade.source)
    assert source is not None
    source.insert([{'doc': blank_pdf(tmp_path / 'scan.pdf')}])
    [problem] = cascade.problems()
    assert problem['key'].endswith('scan.pdf')
    assert 'ValueError' in problem['error'] and 'document_splitter' in problem['error']
    assert cascade.failed_documents() == ([problem], 1)  # found in SQL by the outline's error
    listed, total = cascade.document_page(limit=None)
    assert problem in listed and total == len(listed) == len(cascade.documents())
    assert cascade.document_page('SCAN.pdf') == ([problem], 1)  # a file's URL is searched
    assert cascade.search('exception in the try clause', k=1).level('sentences').hits[0].doc_key == 'try'
    assert all('scan' not in d for d in cascade.units('sentences').documents)


def test_default_minilm_level_and_empty_levels(pxt_home: Path) -> None:
    d = f'cas_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    try:
        notes = pxt.create_table(f'{d}/notes', {'title': pxt.String, 'body': pxt.String})
        with pytest.raises(InvalidRequestError, match='key_column'):
            SemanticIndexCascade(notes, 'body')
        with pytest.raises(InvalidRequestError, match='no column'):
            SemanticIndexCascade(notes, 'text', key_column='title')
        c = SemanticIndexCascade(notes, 'body', key_column='title')
        c.add_level('paras', 'paragraph')  # the default: MiniLM from the packaged weights
        assert c.level('paras').embedding == 'minilm'
        empty = c.search('anything at all', k=3)
        assert empty.level('paras').hits == [] and empty.fused == []
        assert any('no units' in n for n in empty.notes)
        notes.insert(
            [
                {'title': 'cats', 'body': 'Cats purr when they are content.\n\nThey sleep most of the day.'},
                {'title': 'trains', 'body': 'A locomotive pulls the carriages along the rails.'},
            ]
        )
        assert c.search('a railway engine', k=1).level('paras').hits[0].doc_key == 'trains'
        assert c.search('feline happiness', k=1).level('paras').hits[0].text == 'Cats purr when they are content.'
        assert SemanticIndexCascade.open(f'{d}/notes_cascade').level_names == ['paras']
        # Reopening a MiniLM-indexed cascade in a fresh process, describing it and reading its units never loads the
        # model; the first search does (that load, counted the same way, proves the count sees one).
        seen = run_script(f"""
import json
import sentence_transformers
loads = []
load = sentence_transformers.SentenceTransformer.__init__
def counted(self, *args, **kwargs):
    loads.append(str(args[0] if args else kwargs.get('model_name_or_path')))
    load(self, *args, **kwargs)
sentence_transformers.SentenceTransformer.__init__ = counted
from pxwidgets.patterns.cascade import SemanticIndexCascade
c = SemanticIndexCascade.open({d + '/notes'!r})
described = {{'levels': c.level_names, 'units': [s['units'] for s in c.stats()], 'docs': len(c.documents())}}
opened = list(loads)
hit = c.search('a railway engine', k=1).level('paras').hits[0].doc_key
print(json.dumps({{**described, 'opened': opened, 'searched': loads, 'hit': hit}}))
""")
        assert seen['levels'] == ['paras'] and seen['units'] == [3] and seen['docs'] == 2
        assert seen['opened'] == []  # no model was loaded to open, describe or read the cascade
        assert len(seen['searched']) == 1 and seen['hit'] == 'trains'  # the query's embedding loads it, once
    finally:
        pxt.drop_dir(d, force=True, if_not_exists='ignore')


def test_documents_of_a_keyed_cascade_match_their_outlines(pxt_home: Path) -> None:
    # Titles come from a level's units and only documents without units have their outline read: the list must be
    # what the outlines themselves say (an empty document has an outline but no unit; a heading makes the title).
    d = f'cas_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    try:
        notes = pxt.create_table(f'{d}/notes', {'name': pxt.String, 'body': pxt.String})
        notes.insert(
            [
                {'name': 'cats', 'body': '# Cats at home\n\nCats purr when they are content.'},
                {'name': 'empty', 'body': ''},
                {'name': 'trains', 'body': 'A locomotive pulls the carriages along the rails.'},
            ]
        )
        c = SemanticIndexCascade(notes, 'body', key_column='name')
        c.add_level('paras', 'paragraph', lexical=True)
        docs = c.table()
        outlines = docs.select(o=docs.cascade_outline).collect()['o']
        expected = [{'key': o['key'], 'title': o['title'], 'error': None} for o in outlines]
        assert c.documents() == sorted(expected, key=lambda x: x['key'])
        assert [x['title'] for x in c.documents()] == ['Cats at home', 'empty', 'trains']
        assert c.problems() == []
    finally:
        pxt.drop_dir(d, force=True)


def test_documents_are_paged_and_searched_in_sql_and_counts_kept_per_version(pxt_home: Path) -> None:
    # The panel's first paint asks for one page of documents and the levels' row counts: both must answer exactly what
    # the whole list and a full count answer, page by page, whatever the corpus's size.
    d = f'cas_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    try:
        notes = pxt.create_table(f'{d}/notes', {'name': pxt.String, 'body': pxt.String})
        rows = [
            {'name': f'n{i:03d}', 'body': f'# Title {i} of {"odd" if i % 2 else "even"}\n\nText {i}.'}
            for i in range(130)
        ]
        rows[5]['body'] = ''  # an outline without units: its title is read from the outline, for its page only
        notes.insert(rows)
        c = SemanticIndexCascade(notes, 'body', key_column='name')
        c.add_level('paras', 'paragraph', lexical=True)
        everything = c.documents()
        assert len(everything) == 130 and everything[5] == {'key': 'n005', 'title': 'n005', 'error': None}
        first, total = c.document_page(limit=50)
        assert total == 130 and first == everything[:50]
        rest, _ = c.document_page(offset=50, limit=100)
        assert rest == everything[50:]
        # by key (case ignored) or by title, counted in SQL
        found, n = c.document_page('N12', limit=5)
        assert n == 10 and [x['key'] for x in found] == ['n120', 'n121', 'n122', 'n123', 'n124']
        odd, n_odd = c.document_page('OF ODD', limit=200)
        assert n_odd == 64 and all(x['title'].endswith('of odd') for x in odd)  # n005 is empty
        assert c.document_page('no such thing') == ([], 0)
        assert c.failed_documents() == ([], 0)
        # the panel's first paint counts nothing: a new object knows no counts until asked, then once per version
        fresh = SemanticIndexCascade.open(c.path)
        [quick] = fresh.stats(count=False)
        assert (quick['units'], quick['documents'], quick['mean_words']) == (None, None, None)
        [full] = fresh.stats()
        assert (full['units'], full['documents']) == (129, 129)  # the headings are not paragraphs; n005 has none
        assert full['units'] == fresh.table('paras').count()
        assert fresh.stats(count=False) == [full]  # known for this version
        notes.insert([{'name': 'late', 'body': 'A late note.'}])
        assert fresh.stats(count=False)[0]['units'] is None  # a new version: not known until counted again
        [after] = fresh.stats()
        assert (after['units'], after['documents']) == (130, 130)
        docs = c.table()
        notes.delete(notes.name == 'late')
        assert fresh.stats()[0]['units'] == 129 == fresh.table('paras').count()  # deleted rows are not counted
        assert 'late' not in [x['key'] for x in c.document_page(limit=None)[0]] and docs.count() == 130
        # a cascade made before the title column: titles from the level's units, outlines for the page's empty ones
        docs.drop_column('cascade_title')
        old = SemanticIndexCascade.open(c.path)
        assert old.documents() == everything
        assert old.document_page(offset=50, limit=100) == (everything[50:], 130)
        assert old.document_page('OF ODD', limit=200) == (odd, 64)
    finally:
        pxt.drop_dir(d, force=True)
