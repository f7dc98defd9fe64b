"""patterns.catalog() and pxwidgets.open() on a real catalog holding every kind of pattern, made by the library and
by plain Pixeltable, plus unrelated tables, a broken UDF module, tables dropped by hand, and a "model" column."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable as pxt
import pytest

import pxwidgets as pxw
from pxwidgets.demo.drifting_digits import drifting_batches
from pxwidgets.errors import InvalidRequestError, TableNotFoundError
from pxwidgets.patterns import catalog
from pxwidgets.patterns.catalog_scan import KINDS
from tests.support.cascade import counting_embed, html_doc, write_docs
from tests.support.consensus import digits_table, flaky_digit
from tests.support.incremental import predictions_table
from tests.support.model_loads import loading_embed
from tests.support.udfs import fails_on_odd
from tests.support.versioned import build_numbers, fail_midway

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def cat(pxt_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A directory holding one of every kind, hand-made structures and unrelated tables."""
    d = f'cat_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    nums = pxt.create_table(f'{d}/nums', {'n': pxt.Int})
    nums.insert([{'n': i} for i in range(10)])
    p = pxw.ProgressiveRefinement(nums)
    p.add_stage('tenfold', column=fails_on_odd(nums.n))
    p.add_stage('big', where=nums.n > 4)
    hand = pxt.create_table(f'{d}/hand', {'text': pxt.String})
    hand.insert([{'text': f'row {i} of hand'} for i in range(6)])
    long = pxt.create_view(f'{d}/hand_long', hand.where(hand.text != ''))
    long.add_computed_column(emb=loading_embed(long.text, model_id='fake-minilm'))
    plain = pxt.create_table(f'{d}/plain', {'a': pxt.Int})
    plain.add_computed_column(b=plain.a + 1)
    pxt.create_snapshot(f'{d}/plain_snap', plain)
    digits = digits_table(f'{d}/digits', n=20)
    c = pxw.MultiModelConsensus(digits, 'image', ground_truth='label')
    c.add_model('hand', 'hand')
    c.add_model('flaky', flaky_digit(digits.idx, digits.label))
    docs_dir = tmp_path_factory.mktemp('catalog_docs')
    files = write_docs(
        docs_dir, {'a': html_doc('A', ('One', ['alpha beta.', 'gamma'])), 'b': html_doc('B', ('Two', ['x']))}
    )
    docs = pxt.create_table(f'{d}/docs', {'doc': pxt.Document})
    docs.insert([{'doc': f} for f in files])
    s = pxw.SemanticIndexCascade(docs, 'doc', name='ref')
    s.add_level('paragraphs', 'paragraph', embedding=counting_embed)
    batches = drifting_batches(n_batches=2, batch_size=20, drift_from=1, seed=3)
    preds = predictions_table(f'{d}/preds', batches[:1])
    ev = pxw.IncrementalEvaluation(preds, 'prediction', 'label', 'ts', window='1h')
    ev.refresh()
    pxw.VersionedExperiment(f'{d}/exp', build_numbers).run(threshold=0.3)
    with pytest.raises(pxw.patterns.versioned.SetupFailedError):
        pxw.VersionedExperiment(f'{d}/exp', fail_midway).run()
    yield d
    pxt.drop_dir(d, force=True, if_not_exists='ignore')


def rows_by(df, kind: str) -> dict[str, dict]:
    return {r['path']: r for r in df[df.kind == kind].to_dict('records')}


def test_catalog_finds_every_kind_and_ignores_unrelated_tables(cat: str) -> None:
    df = catalog(cat)
    assert sorted(set(df.kind)) == sorted(KINDS)
    pipelines = rows_by(df, 'pipeline')
    assert set(pipelines) == {f'{cat}/nums', f'{cat}/hand'}  # not plain (no views), digits, docs, preds, exp/*
    made, adopted = pipelines[f'{cat}/nums'], pipelines[f'{cat}/hand']
    assert not made['adopted'] and adopted['adopted']
    assert made['details']['stages'] == ['nums', 'tenfold', 'big']
    assert made['owns'] == [f'{cat}/big'] and made['rows'] == {f'{cat}/big': 5, f'{cat}/nums': 10}
    assert adopted['details']['stages'] == ['hand', 'hand_long', 'emb'] and adopted['rows'][f'{cat}/hand_long'] == 6
    (consensus,) = rows_by(df, 'consensus').values()
    assert consensus['path'] == f'{cat}/digits' and consensus['details']['models'] == ['hand', 'flaky']
    assert consensus['summary'] == '2 models: hand, flaky' and consensus['rows'] == {f'{cat}/digits': 20}
    (cascade,) = rows_by(df, 'cascade').values()
    assert cascade['path'] == f'{cat}/ref' and cascade['details']['levels'] == ['paragraphs']
    assert cascade['reads'] == [f'{cat}/docs'] and set(cascade['owns']) == {
        f'{cat}/ref/documents',
        f'{cat}/ref/paragraphs',
    }
    (evaluation,) = rows_by(df, 'evaluation').values()
    assert evaluation['path'] == f'{cat}/preds' and evaluation['name'] == 'eval'
    assert evaluation['details']['windows'] >= 1 and evaluation['problems'] == []
    (experiment,) = rows_by(df, 'experiment').values()
    assert experiment['path'] == f'{cat}/exp' and experiment['details']['runs'] == 2
    assert experiment['problems'] == ['1 failed run.'] and experiment['summary'] == '2 runs, 1 failed'
    assert f'{cat}/exp/v1/items' in experiment['owns']
    for row in df.to_dict('records'):  # the last change is one of its tables' current version, with its time
        assert row['changed_table'] in row['owns'] + row['reads'] and row['changed_at'] is not None
        assert row['version'] == pxt.get_table(row['changed_table']).get_metadata()['version']


def test_catalog_limits_to_a_directory_and_refuses_a_bad_one(cat: str) -> None:
    everything = catalog()
    assert set(catalog(cat).path) <= set(everything.path)
    assert catalog(f'{cat}/exp').path.tolist() == [f'{cat}/exp']
    with pytest.raises(InvalidRequestError, match='not a Pixeltable directory'):
        catalog(f'{cat}/nums')


def test_stale_windows_are_a_problem_until_refreshed(cat: str) -> None:
    ev = pxw.IncrementalEvaluation.open(f'{cat}/preds')
    batches = drifting_batches(n_batches=2, batch_size=20, drift_from=1, seed=3)
    ev.table.insert(batches[1].rows)
    (row,) = rows_by(catalog(cat), 'evaluation').values()
    assert row['problems'] == [f'Stale windows: {cat}/preds changed after the last refresh.']
    ev.refresh()
    (row,) = rows_by(catalog(cat), 'evaluation').values()
    assert row['problems'] == []


def test_tables_columns_and_indexes_dropped_by_hand_are_problems(pxt_home: Path, tmp_path: Path) -> None:
    d = f'cat_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    try:
        batches = drifting_batches(n_batches=1, batch_size=10, drift_from=1, seed=1)
        preds = predictions_table(f'{d}/preds', batches)
        pxw.IncrementalEvaluation(preds, 'prediction', 'label', 'ts', window='1h').refresh()
        exp = pxw.VersionedExperiment(f'{d}/exp', build_numbers)
        exp.run(threshold=0.5)
        exp.run(threshold=0.7)
        nums = pxt.create_table(f'{d}/nums', {'n': pxt.Int})
        nums.insert([{'n': i} for i in range(4)])
        p = pxw.ProgressiveRefinement(nums)
        p.add_stage('tenfold', column=fails_on_odd(nums.n))
        p.add_stage('big', where=nums.n > 1)  # after 'tenfold', without reading it
        docs = pxt.create_table(f'{d}/docs', {'doc': pxt.Document})
        docs.insert([{'doc': f} for f in write_docs(tmp_path, {'a': html_doc('A', ('One', ['alpha beta.']))})])
        pxw.SemanticIndexCascade(docs, 'doc', name='ref').add_level('paras', 'paragraph', embedding=counting_embed)
        pxt.drop_table(f'{d}/preds_eval/windows')
        pxt.drop_dir(f'{d}/exp/v1', force=True)
        nums.drop_column('tenfold')
        pxt.get_table(f'{d}/ref/paras').drop_embedding_index(idx_name='cascade_embedding')
        df = catalog(d)
        (pipeline,) = rows_by(df, 'pipeline').values()
        assert pipeline['problems'] == ["Stage 'tenfold' (before 'big') is gone: dropped by hand."]
        (cascade,) = rows_by(df, 'cascade').values()
        assert cascade['problems'] == ["Level 'paras' lost its embedding index (dropped by hand)."]
        (evaluation,) = rows_by(df, 'evaluation').values()
        assert evaluation['problems'] == [f'Its windows table {d}/preds_eval/windows was dropped by hand.']
        (experiment,) = rows_by(df, 'experiment').values()
        assert experiment['problems'] == ['1 run directory dropped by hand (still recorded).']
        pxt.drop_dir(f'{d}/preds_eval', force=True)  # every table of the evaluation: its column role remains
        (evaluation,) = rows_by(catalog(d), 'evaluation').values()
        assert evaluation['problems'] == [
            f"Its tables in {d}/preds_eval were dropped by hand; column 'eval_correct' remains."
        ]
    finally:
        pxt.drop_dir(d, force=True, if_not_exists='ignore')


def test_a_udf_module_that_cannot_be_imported_is_a_problem_not_a_crash(pxt_home: Path, tmp_path: Path) -> None:
    d = f'cat_{uuid.uuid4().hex[:8]}'
    module = f'pxw_gone_{uuid.uuid4().hex[:8]}'
    (tmp_path / f'{module}.py').write_text(
        textwrap.dedent(
            """
            import pixeltable as pxt

            @pxt.udf
            def shout(text: str) -> str:
                return text.upper()
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    pxt.create_dir(d)
    try:
        shout = importlib.import_module(module).shout
        t = pxt.create_table(f'{d}/words', {'text': pxt.String})
        t.insert([{'text': 'a'}, {'text': 'b'}])
        v = pxt.create_view(f'{d}/loud', t)
        v.add_computed_column(loud=shout(v.text))
        assert catalog(d).problems.tolist() == [[]]
        sys.path.remove(str(tmp_path))
        del sys.modules[module]
        (tmp_path / f'{module}.py').unlink()
        (row,) = catalog(d).to_dict('records')
        assert row['kind'] == 'pipeline' and row['rows'] == {f'{d}/loud': 2, f'{d}/words': 2}
        assert row['problems'] == [
            f"{d}/loud: column 'loud' calls {module}.shout, which cannot be imported (no module {module})."
        ]
    finally:
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))
        pxt.drop_dir(d, force=True, if_not_exists='ignore')


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh Python process on this session's catalog; its last printed line."""
    prelude = f'import sys; sys.path.insert(0, {str(ROOT)!r}); import pixeltable as pxt\n'
    done = subprocess.run(
        [sys.executable, '-c', prelude + code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_catalog_never_loads_a_model(cat: str) -> None:
    probe = 'from tests.support.model_loads import LOADS\n'
    # the control: opening the view with the "model" column in a fresh process loads the model once
    assert _fresh(f'pxt.get_table({cat + "/hand_long"!r})\n{probe}print(LOADS["n"])') == '1'
    # the catalog lists that view's pipeline, with its row counts, and loads nothing
    out = _fresh(
        f'import pxwidgets as pxw\ndf = pxw.patterns.catalog({cat!r})\n{probe}'
        f'print(LOADS["n"], sorted(df.kind), df[df.path == {cat + "/hand"!r}].rows.iloc[0][{cat + "/hand_long"!r}])'
    )
    assert out == f'0 {sorted(["pipeline", "pipeline", "consensus", "cascade", "evaluation", "experiment"])} 6'


def test_open_gives_the_pattern_objects(cat: str) -> None:
    opened = pxw.open(f'{cat}/digits')
    assert [type(o).__name__ for o in opened] == ['MultiModelConsensus']
    (pipeline,) = pxw.open(f'{cat}/big')  # a stage's view: the pipeline it belongs to
    assert isinstance(pipeline, pxw.ProgressiveRefinement) and pipeline.path == f'{cat}/nums'
    assert [type(o).__name__ for o in pxw.open(f'{cat}/preds')] == ['IncrementalEvaluation']
    (cascade,) = pxw.open(f'{cat}/ref')
    assert cascade.level_names == ['paragraphs']
    (experiment,) = pxw.open(f'{cat}/exp', kind='experiment')
    assert isinstance(experiment, pxw.VersionedExperiment)
    everything = pxw.open(cat)
    assert sorted(type(o).__name__ for o in everything) == sorted(
        [
            'ProgressiveRefinement',
            'ProgressiveRefinement',
            'MultiModelConsensus',
            'SemanticIndexCascade',
            'IncrementalEvaluation',
            'VersionedExperiment',
        ]
    )
    assert pxw.open(f'{cat}/plain') == []
    with pytest.raises(TableNotFoundError):
        pxw.open(f'{cat}/nothing_here')
    with pytest.raises(InvalidRequestError, match='Unknown pattern kind'):
        pxw.open(cat, kind='pipelines')


def test_catalog_removes_the_records_kept_for_dropped_tables(pxt_home: Path) -> None:
    """Records pxwidgets keeps beside the catalog (label counts, stage times) are named after their table: once the
    table is dropped, the next ``catalog()`` deletes them; a live table's stay, and files not named after a table are
    left alone."""
    from pxwidgets.tables.internals import table_id
    from pxwidgets.tables.sidecar import read_record, write_record

    d = f'side_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(d)
    kept, gone = (pxt.create_table(f'{d}/{name}', {'n': pxt.Int}) for name in ('kept', 'gone'))
    kept_id, gone_id = table_id(kept), table_id(gone)
    write_record('counts', f'{kept_id}-0123456789abcdef', {'n': 1})
    write_record('counts', f'{gone_id}-0123456789abcdef', {'n': 2})
    write_record('stage-times', gone_id, {f'{gone_id}': 1.5})
    write_record('counts', 'not-a-table', {'n': 3})
    pxt.drop_table(f'{d}/gone')
    catalog()
    assert read_record('counts', f'{kept_id}-0123456789abcdef') == {'n': 1}
    assert read_record('counts', f'{gone_id}-0123456789abcdef') is None
    assert read_record('stage-times', gone_id) is None
    assert read_record('counts', 'not-a-table') == {'n': 3}
