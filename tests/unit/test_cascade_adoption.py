"""Adopting a cascade built the way Pixeltable's RAG notebooks build one: ``document_splitter`` views of HTML
documents (by heading, by heading and paragraph), ``string_splitter`` sentences of the chunks, each with an embedding
index of its own (``sentence_transformer.using(model_id=<the packaged MiniLM>)``). Then search, drill, context,
evaluate and sweep on them; reopening in a fresh process without loading the model; refusals that write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

import pxwidgets as pxw
from pxwidgets.demo.documents import reference_documents
from pxwidgets.patterns.cascade import SemanticIndexCascade
from pxwidgets.patterns.cascade.catalog import ROLE_CASCADE
from pxwidgets.patterns.cascade.errors import AdoptionError, CascadeNotFoundError
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.tables.internals import fallback_metadata
from tests.support.cascade import versions

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ['try', 'for', 'with']


@pytest.fixture(scope='module')
def rag(pxt_home: Path) -> Iterator[str]:
    """A catalog made exactly like the RAG notebook, with plain Pixeltable only."""
    from pixeltable.functions.document import document_splitter
    from pixeltable.functions.huggingface import sentence_transformer
    from pixeltable.functions.string import string_splitter

    from pxwidgets.functions.embeddings import model_path
    from pxwidgets.functions.text import sentencizer_dir

    d = f'rag_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    docs = pxt.create_table(f'{d}/docs', {'document': pxt.Document})
    docs.insert([{'document': str(p)} for p in reference_documents(topics=TOPICS)])
    embed = sentence_transformer.using(model_id=str(model_path()))
    meta = 'title,heading,sourceline'
    sections = pxt.create_view(
        f'{d}/sections', docs, iterator=document_splitter(docs.document, separators='heading', metadata=meta)
    )
    chunks = pxt.create_view(
        f'{d}/chunks', docs, iterator=document_splitter(docs.document, separators='heading,paragraph', metadata=meta)
    )
    sentences = pxt.create_view(
        f'{d}/sentences',
        chunks,
        iterator=string_splitter(chunks.text, separators='sentence', spacy_model=str(sentencizer_dir())),
    )
    for view in (sections, chunks, sentences):
        view.add_embedding_index('text', embedding=embed)
    pxt.create_view(f'{d}/plain_chunks', docs, iterator=document_splitter(docs.document, separators='paragraph'))
    other = pxt.create_table(f'{d}/notes', {'body': pxt.String})
    other.insert([{'body': 'unrelated'}])
    yield d
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def test_open_says_how_to_adopt_before_adoption(rag: str) -> None:
    with pytest.raises(CascadeNotFoundError, match='adopt'):
        SemanticIndexCascade.open(f'{rag}/docs')


def test_refusals_write_nothing(rag: str) -> None:
    before = versions(f'{rag}/docs', f'{rag}/chunks')
    dirs = set(pxt.list_dirs(rag, recursive=True))
    with pytest.raises(AdoptionError, match='no embedding index'):
        SemanticIndexCascade.adopt(f'{rag}/docs', [f'{rag}/chunks', f'{rag}/plain_chunks'])
    with pytest.raises(AdoptionError, match='is not a view of'):
        SemanticIndexCascade.adopt(f'{rag}/docs', [f'{rag}/notes'])
    with pytest.raises(AdoptionError, match='views is empty'):
        SemanticIndexCascade.adopt(f'{rag}/docs', [])
    with pytest.raises(AdoptionError, match=r'no embedding index|No view'):
        SemanticIndexCascade.adopt(f'{rag}/notes')
    assert versions(f'{rag}/docs', f'{rag}/chunks') == before
    assert set(pxt.list_dirs(rag, recursive=True)) == dirs


@pytest.fixture(scope='module')
def adopted(rag: str) -> SemanticIndexCascade:
    return SemanticIndexCascade.adopt(f'{rag}/docs')  # discovered: every view with an embedding index


def test_adoption_keeps_splitters_and_embeddings_and_links_views_of_views(
    rag: str, adopted: SemanticIndexCascade
) -> None:
    assert adopted.path == f'{rag}/docs_cascade'
    assert adopted.level_names == ['sections', 'chunks', 'sentences']  # plain_chunks has no index: not adopted
    sections, chunks, sentences = adopted.levels
    assert 'document_splitter' in sections.describe() and "separators='heading'" in sections.describe()
    assert 'string_splitter' in sentences.describe() and 'sentence_transformer' in sentences.describe()
    assert sentences.adopted is not None and sentences.adopted['parent'] == 'chunks'
    assert chunks.nested and sentences.nested and not sections.nested
    assert sections.adopted is not None and 'no position' in (sections.adopted['flat'] or '')
    config = read_role(fallback_metadata(adopted.table())['custom_metadata'], ROLE_CASCADE)
    assert config is not None and config['source'] == f'{rag}/docs' and len(config['adopted']) == 3
    stats = {s['name']: s for s in adopted.stats()}
    assert stats['chunks']['units'] == pxt.get_table(f'{rag}/chunks').count()
    assert stats['sentences']['units'] > stats['chunks']['units'] > stats['sections']['units']
    assert {s['documents'] for s in stats.values()} == {3}
    assert [d['key'] for d in adopted.documents()] == ['for', 'try', 'with']
    # adopting the same views again is the same cascade; nothing new
    assert SemanticIndexCascade.adopt(f'{rag}/docs').path == adopted.path
    # the catalog of patterns lists it with its adopted levels (from stored metadata: no model loaded)
    listed = pxw.patterns.catalog(rag)
    row = listed[listed.kind == 'cascade'].iloc[0]
    assert row.path == adopted.path and sorted(row.details['levels']) == ['chunks', 'sections', 'sentences']
    assert {f'{rag}/sections', f'{rag}/chunks', f'{rag}/sentences'} <= set(row.owns) and row.problems == []


def test_search_fuse_merge_drill_and_context_on_adopted_levels(adopted: SemanticIndexCascade) -> None:
    result = adopted.search('what happens when an exception is raised in the try clause', k=3)
    assert [r.level for r in result.levels] == ['sections', 'chunks', 'sentences']
    assert all(len(r.hits) == 3 for r in result.levels)
    assert result.level('sentences').hits[0].doc_key == 'try'
    assert result.fused_level == 'chunks' and result.fused[0].doc_key == 'try'
    chunk = result.fused[0]
    inside = adopted.drill(chunk, 'sentences', k=5)
    assert inside and all(h.doc_key == chunk.doc_key and chunk.contains(h) for h in inside)
    assert all(h.text.strip() in chunk.text for h in inside)  # a sentence of that chunk, by its key
    ctx = adopted.context(inside[0])
    outer, best = ctx['chain']
    assert [u['level'] for u in ctx['chain']] == ['chunks', 'sentences'] and ctx['best'] == best
    assert outer['text'][best['start'] : best['end']] == best['text'] == inside[0].text.strip() or best['text']
    with pytest.raises(Exception, match='no position'):
        adopted.drill(result.level('sections').hits[0], 'sentences')
    only = adopted.search('loop', k=2, documents=['for'], levels=['sentences'])
    assert {h.doc_key for h in only.level('sentences').hits} == {'for'}


def test_evaluate_and_sweep_on_adopted_levels(adopted: SemanticIndexCascade) -> None:
    queries = [
        {'query': 'what happens when an exception is raised', 'relevant': ['try']},
        {'query': 'repeat a block for every item of a list', 'relevant': ['for']},
        {'query': 'context manager enter and exit', 'relevant': ['with']},
        {'query': 'the else clause of a loop', 'relevant': ['for']},
    ]
    report = adopted.evaluate(queries, k=3)
    assert set(report.scores) >= {'sections', 'chunks', 'sentences', 'fused'}
    assert report.scores['sentences'].mrr > 0.5
    sweep = adopted.sweep(queries, window_sizes=[64], embedding='wordllama', k=3)
    assert sweep.keep == 'window_64' and adopted.level('window_64').adopted is None
    assert adopted.stats()[-1]['units'] > 0 or any(s['name'] == 'window_64' for s in adopted.stats())


def test_reopen_in_a_fresh_process_without_loading_the_model(rag: str, adopted: SemanticIndexCascade) -> None:
    script = f"""
import json, time
import sentence_transformers
made = []
init = sentence_transformers.SentenceTransformer.__init__
def counting(self, *a, **k):
    made.append(1)
    init(self, *a, **k)
sentence_transformers.SentenceTransformer.__init__ = counting
from pxwidgets.patterns.cascade import SemanticIndexCascade
c = SemanticIndexCascade.open({rag + '/docs'!r})
names, lines = c.level_names, c.describe()
stats = c.stats()
opened = len(made)
hits = c.search('what happens when an exception is raised', k=2).level('sentences').hits
print(json.dumps({{'names': names, 'opened': opened, 'units': {{s['name']: s['units'] for s in stats}},
                  'doc': hits[0].doc_key, 'lines': len(lines)}}))
"""
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert [n for n in data['names'] if not n.startswith('window_')] == ['sections', 'chunks', 'sentences']
    assert data['opened'] == 0  # open, describe and stats construct no model
    assert data['units'] == {s['name']: s['units'] for s in adopted.stats()}
    assert data['doc'] == 'try'
