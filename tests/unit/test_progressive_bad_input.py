"""Bad input to ProgressiveRefinement: a clear exception, nothing written, every table version unchanged."""

from __future__ import annotations

import warnings

import pixeltable as pxt
import pytest

from pxwidgets.errors import (
    BrokenColumnError,
    ForeignColumnError,
    InvalidParameterError,
    InvalidRequestError,
    InvalidStageNameError,
    NotebookUDFError,
    PxWidgetsError,
    StageConflictError,
    StageCreationError,
    StageHasDependentsError,
    TransformNotFoundError,
)
from pxwidgets.patterns import BrokenStageWarning, ProgressiveRefinement
from tests.unit.test_progressive_helpers import fails_on_odd, notebook_udf, pieces, run_fresh, versions


@pytest.fixture
def numbers(pxt_dir: str) -> pxt.Table:
    t = pxt.create_table(f'{pxt_dir}/numbers', {'n': pxt.Int, 'label': pxt.String | None})
    t.insert([{'n': i, 'label': f'#{i}'} for i in range(6)])
    return t


@pytest.fixture
def pipeline(numbers: pxt.Table, pxt_dir: str) -> ProgressiveRefinement:
    p = ProgressiveRefinement(numbers)
    p.add_stage('double', column=numbers.n * 2)
    p.add_stage('big', where=numbers.double > 4)
    return p


def snapshot(pxt_dir: str) -> dict[str, int]:
    return {path: pxt.get_table(path).get_metadata()['version'] for path in pxt.list_tables(pxt_dir)}


BAD_NAMES: list[tuple[object, type[PxWidgetsError]]] = [
    *((kw, InvalidStageNameError) for kw in ('stored', 'destination', 'comment', 'custom_metadata', 'print_stats')),
    *((kw, InvalidStageNameError) for kw in ('on_error', 'if_exists', 'count', 'pos', 'select', 'columns')),
    *((bad, InvalidStageNameError) for bad in ('_hidden', '2nd', 'has space', 'naïve', '', None, 'a/b')),
    ('n', InvalidStageNameError),  # a column of the source that is not a stage
    ('label', InvalidStageNameError),
    ('double', StageConflictError),  # a stage with another definition
    ('Double', StageConflictError),  # names fold to lower case, like Pixeltable's
    ('big', StageConflictError),
]


def test_bad_names_are_refused(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    before = snapshot(pxt_dir)
    numbers = pipeline.table('numbers')
    for name, error in BAD_NAMES:
        with pytest.raises(error) as info:
            pipeline.add_stage(name, column=numbers.n + 1, after='numbers')  # type: ignore[arg-type]
        assert str(info.value), name
    assert snapshot(pxt_dir) == before
    assert [s.name for s in pipeline.stages] == ['numbers', 'double', 'big']


def test_keyword_name_message_names_the_trap(pipeline: ProgressiveRefinement) -> None:
    with pytest.raises(InvalidStageNameError, match='keyword argument of add_computed_column'):
        pipeline.add_stage('on_error', column=pipeline.table('numbers').n + 1)


def test_view_name_taken_by_another_table(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    pxt.create_table(f'{pxt_dir}/elsewhere', {'x': pxt.Int})
    before = snapshot(pxt_dir)
    with pytest.raises(InvalidStageNameError, match='not a stage of this pipeline'):
        pipeline.add_stage('elsewhere', where=pipeline.table('numbers').n > 1)
    assert snapshot(pxt_dir) == before


def test_udf_raising_on_some_rows_records_errors(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    before = snapshot(pxt_dir)
    stage = pipeline.add_stage('tens', column=fails_on_odd, input='n', after='numbers')
    assert stage.kind == 'column'
    numbers = pipeline.table('numbers')
    rows = numbers.order_by(numbers.n).select(numbers.n, numbers.tens, numbers.tens.errortype).collect()
    assert rows['tens'] == [0, None, 20, None, 40, None]
    assert rows['tens_errortype'] == [None, 'ValueError', None, 'ValueError', None, 'ValueError']
    errors = pipeline.errors('tens')
    assert sorted(errors['n']) == [1, 3, 5]
    assert set(errors['errormsg']) == {'odd value 1', 'odd value 3', 'odd value 5'}
    assert next(n for n in pipeline.lineage()['nodes'] if n['id'] == 'tens')['errors'] == 3
    after = snapshot(pxt_dir)
    assert after[f'{pxt_dir}/numbers'] == before[f'{pxt_dir}/numbers'] + 1
    assert after[f'{pxt_dir}/big'] == before[f'{pxt_dir}/big']


def test_preview_shows_failing_rows(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    before = snapshot(pxt_dir)
    df = pipeline.preview_transform(column=fails_on_odd, input='n', after='numbers', n=4, name='tens')
    assert df['n'].tolist() == [0, 1, 2, 3]
    assert df['tens'].tolist()[0] == 0 and df['tens'].tolist()[2] == 20
    assert df['error'].isna().tolist() == [True, False, True, False]
    assert 'odd value 1' in df['error'][1]
    assert snapshot(pxt_dir) == before


def test_expression_over_another_table(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    other = pxt.create_table(f'{pxt_dir}/other', {'m': pxt.Int})
    before = snapshot(pxt_dir)
    with pytest.raises(ForeignColumnError, match=r'other\.m'):
        pipeline.add_stage('mixed', column=other.m + 1)
    with pytest.raises(ForeignColumnError):
        pipeline.add_stage('mixed_filter', where=other.m > 1)
    with pytest.raises(ForeignColumnError):
        pipeline.preview_transform(column=other.m + 1)
    # a view's own column cannot be used on its base table either
    big = pipeline.table('big')
    big_only = pipeline.add_stage('plus', column=big.n + 100)
    assert big_only.table == f'{pxt_dir}/big'
    before = snapshot(pxt_dir)
    with pytest.raises(ForeignColumnError):
        pipeline.add_stage('back', column=big.plus * 2, after='numbers')
    assert snapshot(pxt_dir) == before


def test_wrong_parameters(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    before = snapshot(pxt_dir)
    with pytest.raises(InvalidParameterError) as info:
        pipeline.add_stage('kept', transform='keep_if', params={'op': '>', 'value': '3'}, input='n')
    assert info.value.errors[0]['param'] == 'value'
    with pytest.raises(InvalidParameterError):
        pipeline.add_stage('kept', transform='keep_if', params={'op': '=>', 'value': 3}, input='n')
    with pytest.raises(InvalidParameterError):
        pipeline.add_stage('kept', transform='keep_if', params={'threshold': 3}, input='n')
    with pytest.raises(InvalidRequestError, match='reads image values'):
        pipeline.add_stage('faces', transform='detect_faces', input='n')
    with pytest.raises(TransformNotFoundError):
        pipeline.add_stage('kept', transform='no_such_transform')
    with pytest.raises(InvalidRequestError, match='has no column'):
        pipeline.add_stage('kept', transform='keep_if', input='nope')
    with pytest.raises(InvalidRequestError, match='Give only one'):
        pipeline.add_stage('kept', transform='keep_if', column=pipeline.table('numbers').n)
    with pytest.raises(InvalidRequestError, match='plain Python function'):
        pipeline.add_stage('kept', column=lambda x: x)
    with pytest.raises(InvalidRequestError, match='boolean'):
        pipeline.add_stage('kept', where=pipeline.table('numbers').n + 1)
    with pytest.raises(InvalidRequestError):
        pipeline.add_stage('kept', column=fails_on_odd, input='label')  # a string into an int parameter
    assert snapshot(pxt_dir) == before


def test_drop_with_dependents(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    big = pipeline.table('big')
    pipeline.add_stage('plus', column=big.double + 1)
    before = snapshot(pxt_dir)
    with pytest.raises(StageHasDependentsError) as info:
        pipeline.drop_stage('double')
    assert info.value.dependents == ['big', 'plus']
    assert 'cascade=True' in str(info.value)
    assert snapshot(pxt_dir) == before
    with pytest.raises(InvalidRequestError, match='source'):
        pipeline.drop_stage('numbers')
    plan = pipeline.drop_plan('double')
    assert plan == ['plus', 'big', 'double']
    with pytest.raises(StageConflictError, match='changed since'):
        pipeline.drop_stage('double', cascade=True, expect=['big', 'double'])
    snap = pxt.create_snapshot(f'{pxt_dir}/big_snap', big)
    with pytest.raises(InvalidRequestError, match='big_snap'):
        pipeline.drop_stage('double', cascade=True)
    pxt.drop_table(snap)
    assert snapshot(pxt_dir) == before
    assert pipeline.drop_stage('double', cascade=True, expect=plan) == ['plus', 'big', 'double']
    assert [s.name for s in pipeline.stages] == ['numbers']
    assert pxt.list_tables(pxt_dir) == [f'{pxt_dir}/numbers']
    assert 'double' not in pipeline.table('numbers').columns()
    assert pipeline.head == 'numbers'


def test_drop_leaf_stage_alone(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    assert pipeline.drop_stage('big') == ['big']
    assert [s.name for s in pipeline.stages] == ['numbers', 'double']


def test_notebook_udf_is_refused(pipeline: ProgressiveRefinement, pxt_dir: str) -> None:
    udf = notebook_udf()
    assert udf.self_path == '__main__.double_it'
    before = snapshot(pxt_dir)
    with pytest.raises(NotebookUDFError) as info:
        pipeline.add_stage('twice', column=udf, input='n')
    text = str(info.value)
    assert '__main__.double_it' in text and 'kernel restart' in text and 'module' in text
    with pytest.raises(NotebookUDFError):
        pipeline.add_stage('twice', column=udf(pipeline.table('numbers').n))
    with pytest.raises(NotebookUDFError):
        pipeline.preview_transform(column=udf, input='n')
    assert snapshot(pxt_dir) == before


def test_notebook_udf_after_restart(numbers: pxt.Table, pxt_dir: str) -> None:
    # a "notebook" made the column by hand, then its kernel ended: here `__main__.double_it` does not exist
    run_fresh(f"""
        import builtins, json
        builtins.__IPYTHON__ = True
        def double_it(n: int) -> int:
            return n * 2
        double_it = pxt.udf(double_it)
        t = pxt.get_table('{pxt_dir}/numbers')
        t.add_computed_column(twice=double_it(t.n))
        print(json.dumps(t.count()))
    """)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        p = ProgressiveRefinement.open(f'{pxt_dir}/numbers')
    assert any(issubclass(w.category, BrokenStageWarning) and 'twice' in str(w.message) for w in caught)
    problems = p.problems()
    assert [x['stage'] for x in problems] == ['twice']
    assert '__main__.double_it' in problems[0]['problem']
    assert "drop_stage('twice')" in problems[0]['fix']
    assert p.lineage()['nodes'][1]['problem'] is not None
    before = snapshot(pxt_dir)
    with pytest.raises(BrokenColumnError, match='twice'):
        p.add_stage('triple', column=numbers.n * 3)
    assert snapshot(pxt_dir) == before
    with pytest.raises(pxt.Error):
        numbers.insert([{'n': 100, 'label': None}])  # the trap itself: inserts fail
    assert p.drop_stage('twice') == ['twice']
    numbers.insert([{'n': 100, 'label': None}])
    assert p.add_stage('triple', column=numbers.n * 3).name == 'triple'
    assert p.problems() == []


def test_failing_iterator_writes_nothing(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/counts', {'n': pxt.Int})
    t.insert([{'n': 2}, {'n': 13}, {'n': 1}])
    p = ProgressiveRefinement(t)
    before = snapshot(pxt_dir)
    with pytest.raises(StageCreationError, match='unlucky') as info:
        p.add_stage('parts', iterator=pieces, input='n')
    assert 'Nothing was written' in str(info.value)
    assert snapshot(pxt_dir) == before
    assert [s.name for s in p.stages] == ['counts']
    preview = p.preview_transform(iterator=pieces, input='n', n=5)
    assert preview['piece'].tolist()[:2] == [0, 1]
    assert 'unlucky' in preview['error'][2]
    parts = p.add_stage('parts', iterator=pieces(t.n), where=t.n != 13)
    assert parts.output == 'piece'
    assert p.table('parts').count() == 3
    assert versions(t) == [before[f'{pxt_dir}/counts']]
