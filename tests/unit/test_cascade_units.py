"""Cascade building blocks without a database: outlines, units and their nesting, splitters, metrics, fusion,
auto-merging, BM25, labelled queries and query validation."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from pxwidgets.demo.documents import reference_documents, reference_topics
from pxwidgets.errors import InvalidParameterError, InvalidRequestError
from pxwidgets.functions.cascade import outline_file, outline_html, outline_markdown, outline_text, units_of
from pxwidgets.patterns.cascade.errors import InvalidQueryError
from pxwidgets.patterns.cascade.evaluation import SweepReport, evaluate_rankings, parse_queries
from pxwidgets.patterns.cascade.fusion import auto_merge, reciprocal_rank_fusion
from pxwidgets.patterns.cascade.hits import Hit
from pxwidgets.patterns.cascade.metrics import dedupe, mean_scores, ndcg_at_k, recall_at_k, reciprocal_rank
from pxwidgets.patterns.cascade.queries import MAX_QUERY_CHARS, validate_query
from pxwidgets.patterns.cascade.splitters import granularity, parse_splitter
from pxwidgets.patterns.cascade.units import UnitMap, light_stem, tokens

QUERIES = Path(__file__).resolve().parents[1] / 'data' / 'cascade_queries.json'


def _units(outline: dict, unit: str, **kw: int) -> list[dict]:
    return [dict(u) for u in units_of(outline, unit, **kw)]


def test_html_outline_keeps_headings_paragraphs_and_code_with_exact_spans() -> None:
    o = outline_html(
        '<html><head><title>Doc &amp; co</title><script>x()</script></head><body>'
        '<h1>Top</h1><p>First  <b>para</b>\n graph.</p><pre>  a = 1\n  b = 2</pre>'
        '<div>loose text</div><h2>Sub</h2><ul><li>item one</li><li>item two</li></ul></body></html>',
        key='doc',
    )
    assert o['title'] == 'Doc & co'
    texts = [(kind, o['text'][s:e], level) for kind, s, e, level in o['blocks']]
    assert texts == [
        ('h', 'Top', 1),
        ('p', 'First para graph.', 0),
        ('code', '  a = 1\n  b = 2', 0),
        ('p', 'loose text', 0),
        ('h', 'Sub', 2),
        ('p', 'item one', 0),
        ('p', 'item two', 0),
    ]


def test_markdown_outline_reads_headings_that_break_pixeltables_splitter() -> None:
    # a heading whose first inline element is bold makes document_splitter raise KeyError('raw')
    o = outline_markdown('# **Bold** start\n\nBody text.\n\n## Next\n\n```\ncode\n```\n', key='m')
    assert [o['text'][s:e] for _, s, e, _ in o['blocks']] == ['Bold start', 'Body text.', 'Next', 'code']
    assert o['title'] == 'Bold start'


def test_plain_text_is_split_into_paragraphs_not_one_block() -> None:
    o = outline_text('One para\nsame para.\n\nSecond para.\n\n\nThird.', key='t')
    assert [o['text'][s:e] for _, s, e, _ in o['blocks']] == ['One para same para.', 'Second para.', 'Third.']


def test_unsupported_format_fails_with_a_message_naming_the_fix(tmp_path: Path) -> None:
    pdf = tmp_path / 'x.pdf'
    pdf.write_bytes(b'%PDF-1.4 not really')
    with pytest.raises(ValueError, match='document_splitter'):
        outline_file(pdf)


def test_units_nest_exactly_on_the_real_reference() -> None:
    """Every sentence lies in exactly one paragraph, every paragraph in exactly one section, spans match the text."""
    for path in reference_documents(topics=['try', 'with', 'customization']):
        o = outline_file(path)
        sections = _units(o, 'section')
        paragraphs = _units(o, 'paragraph')
        sentences = _units(o, 'sentence')
        assert len(sections) < len(paragraphs) < len(sentences)
        for unit in sections + paragraphs + sentences:
            assert unit['unit_text'] == o['text'][unit['span_start'] : unit['span_end']]
            assert unit['doc_key'] == Path(path).stem
        for child, parents in ((sentences, paragraphs), (paragraphs, sections)):
            for c in child:
                holders = [p for p in parents if p['span_start'] <= c['span_start'] and c['span_end'] <= p['span_end']]
                assert len(holders) == 1, c
                assert holders[0]['unit_heading'] == c['unit_heading']
        # sections tile the document: each starts at a heading and ends before the next one
        assert [s['span_start'] for s in sections] == sorted(s['span_start'] for s in sections)
        assert all(a['span_end'] < b['span_start'] for a, b in itertools.pairwise(sections))


def test_sentences_and_windows_on_a_small_text() -> None:
    o = outline_text('# Title\n\nDr. Smith came. He left! Did he?\n\n# Two\n\nA b c d e f g.', key='k')
    assert [u['unit_text'] for u in units_of(o, 'sentence')] == [
        'Dr. Smith came.',
        'He left!',
        'Did he?',
        'A b c d e f g.',
    ]
    windows = _units(o, 'window', size=4, overlap=1)
    words = o['text'].split()
    assert [w['unit_text'].split() for w in windows] == [words[0:4], words[3:7], words[6:10], words[9:13], words[12:16]]
    assert all(w['unit_kind'] == 'window' for w in windows)
    assert windows[-1]['span_end'] == len(o['text'])
    with pytest.raises(ValueError, match='overlap'):
        list(units_of(o, 'window', size=4, overlap=4))
    assert list(units_of(None, 'sentence')) == []


def test_splitter_validation_reports_each_bad_field() -> None:
    assert parse_splitter('window', size=64) == {'unit': 'window', 'size': 64, 'overlap': 16}
    with pytest.raises(InvalidParameterError) as info:
        parse_splitter('window', size=4, overlap=-1)
    assert [e['param'] for e in info.value.errors] == ['size', 'overlap']
    with pytest.raises(InvalidParameterError, match='unit'):
        parse_splitter('chapter')
    order = sorted(
        [{'unit': 'sentence'}, {'unit': 'window', 'size': 128}, {'unit': 'section'}, {'unit': 'window', 'size': 512}],
        key=granularity,
    )
    assert [o.get('size', o['unit']) for o in order] == ['section', 512, 128, 'sentence']


def test_metrics_against_hand_computed_values() -> None:
    ranked = ['a', 'x', 'b', 'y', 'c']
    relevant = {'b', 'c', 'z'}
    assert recall_at_k(ranked, relevant, 3) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, relevant, 5) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked, relevant, 5) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, relevant, 2) == 0.0
    # DCG = 1/log2(4) + 1/log2(6); IDCG = 1 + 1/log2(3) + 1/log2(4)
    assert ndcg_at_k(ranked, relevant, 5) == pytest.approx((0.5 + 0.386852807) / (1 + 0.630929754 + 0.5))
    assert ndcg_at_k(['b'], {'b'}, 5) == 1.0
    assert dedupe(['t', 't', 'w', 't']) == ['t', 'w']
    scores = mean_scores('m', [['a', 'b'], ['x']], [{'b'}, {'x'}], 2)
    assert (scores.recall, scores.mrr) == (1.0, 0.75)


def _hit(level: str, doc: str, start: int, end: int, score: float, rank: int) -> Hit:
    return Hit(level, doc, doc.upper(), '', f'{level}-{start}', level, start, end, score, rank, 'q')


def test_rrf_prefers_a_unit_found_at_several_levels() -> None:
    sections = UnitMap('sections', [('d', 'D', 'A', 'A', 'section', 0, 100), ('d', 'D', 'B', 'B', 'section', 100, 200)])
    hits = {
        'sections': [_hit('sections', 'd', 0, 100, 0.9, 1), _hit('sections', 'd', 100, 200, 0.8, 2)],
        'sentences': [_hit('sentences', 'd', 120, 130, 0.7, 1), _hit('sentences', 'd', 150, 160, 0.6, 2)],
    }
    fused = reciprocal_rank_fusion(hits, sections, k0=60)
    assert [(h.start, h.rank) for h in fused] == [(100, 1), (0, 2)]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61 + 1 / 62)
    assert fused[1].score == pytest.approx(1 / 61)
    assert [c.level for c in fused[0].children] == ['sentences', 'sections', 'sentences']
    # a hit in a document the fusion level does not know is ignored, not an error
    assert reciprocal_rank_fusion({'x': [_hit('x', 'other', 0, 5, 1.0, 1)]}, sections) == []


def test_auto_merge_replaces_children_only_above_the_ratio_and_climbs_levels() -> None:
    sections = UnitMap('sections', [('d', 'D', 'S', 's', 'section', 0, 100)])
    paragraphs = UnitMap(
        'paragraphs', [('d', 'D', 'S', 'p', 'paragraph', 0, 40), ('d', 'D', 'S', 'p', 'paragraph', 50, 100)]
    )
    sentences = UnitMap(
        'sentences',
        [('d', 'D', 'S', 's', 'sentence', a, b) for a, b in ((0, 10), (12, 20), (22, 40), (50, 70), (72, 100))],
    )
    chain = [(sentences, paragraphs), (paragraphs, sections)]
    # 2 of 3 sentences of the first paragraph hit (> 0.5): it replaces them; 1 of 2 in the second (= 0.5): kept
    hits = [
        _hit('sentences', 'd', 0, 10, 0.9, 1),
        _hit('sentences', 'd', 50, 70, 0.8, 2),
        _hit('sentences', 'd', 12, 20, 0.5, 3),
    ]
    merged = auto_merge(hits, chain, ratio=0.5)
    assert [(h.level, h.start, h.end) for h in merged] == [('sentences', 50, 70), ('paragraphs', 0, 40)]
    assert merged[1].score == pytest.approx(0.7)
    assert [c.start for c in merged[1].children] == [0, 12]
    # all sentences of both paragraphs: both merge, then the section replaces the two paragraphs
    everything = [
        _hit('sentences', 'd', a, b, 0.5, i) for i, (a, b) in enumerate(((0, 10), (12, 20), (50, 70), (72, 100)), 1)
    ]
    top = auto_merge(everything, chain)
    assert [(h.level, h.start, h.end, h.rank) for h in top] == [('sections', 0, 100, 1)]
    assert auto_merge(hits[:1], chain) == [hits[0]]


def test_bm25_ranks_with_light_stemming_and_filters() -> None:
    units = UnitMap(
        'p',
        [
            ('a', 'A', '', 'Exceptions are raised by the raise statement.', 'paragraph', 0, 10),
            ('b', 'B', '', 'A for loop iterates over items.', 'paragraph', 0, 10),
            ('b', 'B', '', 'Handling an exception with try.', 'paragraph', 20, 40),
        ],
    )
    assert light_stem('exceptions') == light_stem('exception')
    assert tokens('The loops') == ['loop']
    hits = units.bm25_search('exception handling', 5)
    assert [h.doc_key for h in hits] == ['b', 'a']
    assert [h.doc_key for h in units.bm25_search('exception', 5, documents={'a'})] == ['a']
    assert [h.start for h in units.bm25_search('exception', 5, within=('b', 15, 45))] == [20]
    assert units.bm25_search('zebra', 5) == []
    assert UnitMap('empty', []).bm25_search('anything', 3) == []


def test_query_validation() -> None:
    with pytest.raises(InvalidQueryError, match='empty'):
        validate_query('   \n\t')
    with pytest.raises(InvalidQueryError, match='limit'):
        validate_query('word ' * (MAX_QUERY_CHARS // 4))
    with pytest.raises(InvalidQueryError):
        validate_query(None)
    text, notes = validate_query('  catch an exception  ')
    assert (text, notes) == ('catch an exception', [])
    _, notes = validate_query('wie fange ich eine Ausnahme ' * 40)
    assert any('first 200' in n for n in notes)
    _, notes = validate_query('例外を捕まえる方法')
    assert any('English' in n for n in notes)


def test_labelled_query_set_is_valid_and_parsed() -> None:
    queries = parse_queries(QUERIES)
    topics = set(reference_topics())
    assert len(queries) >= 30
    assert len({q.query for q in queries}) == len(queries)
    assert all(q.relevant and q.relevant <= topics for q in queries)
    raw = json.loads(QUERIES.read_text())
    assert parse_queries(raw['queries'])[0] == queries[0]
    assert parse_queries({'q': 'try'})[0].relevant == frozenset({'try'})
    with pytest.raises(InvalidRequestError, match='no relevant'):
        parse_queries([{'query': 'x', 'relevant': []}])
    with pytest.raises(InvalidRequestError, match='no query'):
        parse_queries([{'query': ' ', 'relevant': ['try']}])
    with pytest.raises(InvalidRequestError, match='No labelled'):
        parse_queries([])


def test_report_best_summary_and_sweep_choice() -> None:
    qs = parse_queries({'q1': ['a'], 'q2': ['b']})
    report = evaluate_rankings(
        qs,
        {
            'w128': [['a'], ['x', 'b']],
            'w512': [['x', 'a'], ['x', 'y']],
            'fused': [['a'], ['b']],
            'bm25_baseline': [[], []],
        },
        k=2,
    )
    assert report.best == 'fused'
    assert report.best_level == 'w128'
    assert report.scores['w128'].mrr == pytest.approx(0.75)
    assert 'at least as good as' in report.summary()
    assert report.per_query[1]['methods']['w128'] == {
        'top': ['x', 'b'],
        'rr': 0.5,
        'ndcg': pytest.approx(0.6309, abs=1e-4),
    }
    sweep = SweepReport.from_evaluation(report, ['w128', 'w512'], {'w128': 1.0, 'w512': 0.5})
    assert (sweep.keep, sweep.drop) == ('w128', ['w512'])
    fig = report.figure()
    assert [t.name for t in fig.data] == ['recall@2', 'MRR', 'nDCG@2']
    assert list(fig.data[1].x) == ['w128', 'w512', 'fused', 'bm25_baseline']
