"""The transform registry: schemas a panel can turn into forms, strict validation, user registration."""

from __future__ import annotations

import json
from pathlib import Path

import pixeltable as pxt
import pytest
from pixeltable import type_system as ts

from pxwidgets.errors import InvalidParameterError, InvalidRequestError, NotebookUDFError, TransformNotFoundError
from pxwidgets.patterns import Param, ProgressiveRefinement, Registry, Transform, default_registry
from pxwidgets.patterns.common.builtin import builtin_transforms
from pxwidgets.patterns.common.names import computed_column_keywords, validate_stage_name
from tests.unit.test_progressive_helpers import brightness, fails_on_odd, notebook_udf, pieces, write_html

BUILTINS = {
    'extract_frames': ('iterator', 'video'),
    'split_document': ('iterator', 'document'),
    'split_sentences': ('iterator', 'string'),
    'detect_faces': ('column', 'image'),
    'detect_eyes': ('column', 'image'),
    'detect_people': ('column', 'image'),
    'detect_objects': ('column', 'image'),
    'keep_detections': ('column', 'json'),
    'count_detections': ('column', 'json'),
    'resize_image': ('column', 'image'),
    'embed_text': ('column', 'string'),
    'when': ('column', 'number'),
    'keep_if': ('filter', 'number'),
    'has_detections': ('filter', 'json'),
    'text_contains': ('filter', 'string'),
}


def builtins_only() -> Registry:
    """A registry as the default one starts: the builtins only (other tests register into the process-wide one)."""
    return Registry(builtin_transforms())


def test_builtin_entries_are_json_schemas() -> None:
    entries = json.loads(json.dumps(builtins_only().to_json()))
    assert {e['name']: (e['kind'], e['input_type']) for e in entries} == BUILTINS
    for entry in entries:
        assert entry['description']
        assert entry['builtin'] is True
        schema = entry['json_schema']
        assert schema['type'] == 'object' and schema['additionalProperties'] is False
        for param in entry['params']:
            assert set(param) == {
                'name',
                'type',
                'default',
                'description',
                'minimum',
                'maximum',
                'exclusive_minimum',
                'choices',
                'nullable',
            }
            assert param['name'] in schema['properties']
            assert param['type'] in ('int', 'float', 'string', 'bool', 'choice')
            if param['type'] == 'choice':
                assert param['default'] in param['choices']
    frames = next(e for e in entries if e['name'] == 'extract_frames')
    assert frames['output'] == 'frame'
    assert frames['params'][0] | {'description': ''} == {
        'name': 'fps',
        'type': 'float',
        'default': 1.0,
        'description': '',
        'minimum': None,
        'maximum': 120.0,
        'exclusive_minimum': 0.0,
        'choices': None,
        'nullable': False,
    }


def test_validation_is_strict() -> None:
    reg = default_registry()
    assert reg.validate('extract_frames', None) == {'fps': 1.0}
    assert reg.validate('extract_frames', {'fps': 3}) == {'fps': 3.0}
    assert reg.validate('detect_faces', {'cascade': 'frontalface_alt2'})['cascade'] == 'frontalface_alt2'
    bad = [
        ('extract_frames', {'fps': 0}),
        ('extract_frames', {'fps': '2'}),
        ('extract_frames', {'fps': True}),
        ('extract_frames', {'fps': float('nan')}),
        ('detect_faces', {'min_neighbors': 2.5}),
        ('detect_faces', {'cascade': 'cat'}),
        ('detect_faces', {'min_size': 0}),
        ('split_document', {'separator': 'token_limit'}),
        ('text_contains', {'case': 'yes'}),
        ('resize_image', {'width': 10, 'depth': 3}),
        ('resize_image', [('width', 10)]),
    ]
    for name, params in bad:
        with pytest.raises(InvalidParameterError) as info:
            reg.validate(name, params)  # type: ignore[arg-type]
        assert name in str(info.value)
    with pytest.raises(TransformNotFoundError, match='extract_frames'):
        reg.validate('nope', {})


def test_entries_filtered_by_kind_and_input() -> None:
    reg = builtins_only()
    assert [t.name for t in reg.entries(kind='iterator', input_type='video')] == ['extract_frames']
    assert {t.name for t in reg.entries(input_type='int')} == {'when', 'keep_if'}
    assert {t.name for t in reg.entries(input_type=ts.ImageType())} == {
        'detect_faces',
        'detect_eyes',
        'detect_people',
        'detect_objects',
        'resize_image',
    }


def test_register_module_udf_and_iterator() -> None:
    reg = Registry()
    entry = reg.register(brightness, description='How bright')
    assert (entry.name, entry.kind, entry.input_type, entry.output_type) == ('brightness', 'column', 'image', 'float')
    assert [p.to_json()['type'] for p in entry.params] == ['float']
    assert entry.params[0].default == 1.0
    assert reg.validate('brightness', {'scale': 2}) == {'scale': 2.0}
    it = reg.register(pieces)
    assert (it.kind, it.input_type, it.output) == ('iterator', 'int', 'piece')
    assert reg.names() == ['brightness', 'pieces']
    with pytest.raises(InvalidRequestError, match='already registered'):
        reg.register(brightness)
    reg.register(brightness, replace=True, params=[Param('scale', 'float', 1.0, minimum=0.0, maximum=10.0)])
    with pytest.raises(InvalidParameterError):
        reg.validate('brightness', {'scale': 11})
    with pytest.raises(InvalidRequestError, match='must return a bool'):
        reg.register(fails_on_odd, kind='filter', name='odd_filter')
    with pytest.raises(InvalidRequestError, match=r'@pxt\.udf'):
        reg.register(lambda x: x)  # type: ignore[arg-type]
    reg.remove('brightness')
    assert 'brightness' not in reg


def test_register_refuses_notebook_udfs() -> None:
    udf = notebook_udf()
    reg = Registry()
    with pytest.raises(NotebookUDFError) as info:
        reg.register(udf)
    assert '__main__.double_it' in str(info.value)
    assert 'kernel restart' in str(info.value)
    assert info.value.hint is not None and 'module' in info.value.hint
    assert reg.register(udf, allow_notebook_udfs=True).name == 'double_it'


def test_registered_udf_used_as_a_stage(pxt_dir: str) -> None:
    reg = Registry([default_registry().get('keep_if')])
    reg.register(fails_on_odd, name='tens')
    t = pxt.create_table(f'{pxt_dir}/n', {'n': pxt.Int})
    t.insert([{'n': 2}, {'n': 4}])
    p = ProgressiveRefinement(t, registry=reg)
    assert p.add_stage('tens', transform='tens').definition == 'fails_on_odd(n.n)'
    assert p.table('tens').select(t.tens).collect()['tens'] == [20, 40]
    with pytest.raises(TransformNotFoundError):
        p.add_stage('faces', transform='detect_faces')


def test_document_splitting_by_heading_paragraph_sentence(pxt_dir: str, tmp_path: Path) -> None:
    docs = pxt.create_table(f'{pxt_dir}/docs', {'doc': pxt.Document})
    docs.insert(
        [{'doc': write_html(tmp_path / 'd.html', 'Guide', {'Start': ['One. Two!', 'Three?'], 'End': ['Four.']})}]
    )
    p = ProgressiveRefinement(docs)
    for separator, expected in (('heading', 4), ('paragraph', 7), ('sentence', 8)):
        p.add_stage(f'by_{separator}', transform='split_document', params={'separator': separator}, after='docs')
        assert p.table(f'by_{separator}').count() == expected, separator
    sentences = p.table('by_sentence').select(p.table('by_sentence').text).collect()['text']
    assert sentences[-4:] == ['Two!', 'Three?', 'End', 'Four.']
    p.add_stage('words', transform='split_sentences', after='by_paragraph')
    assert 'Two!' in p.table('words').select(p.table('words').text).collect()['text']
    p.add_stage('mentions', transform='text_contains', params={'text': 'four'}, after='by_sentence')
    assert p.table('mentions').count() == 1


def test_stage_names() -> None:
    assert validate_stage_name('Faces') == 'faces'
    assert computed_column_keywords() >= {
        'stored',
        'destination',
        'comment',
        'custom_metadata',
        'print_stats',
        'on_error',
        'if_exists',
    }


def test_transform_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match='default'):
        Transform('x', 'X', 'column', 'any', (Param('n', 'int', 'five'),), build=lambda v, n: v)
    with pytest.raises(ValueError, match='choices'):
        Param('c', 'choice', 'a')
    with pytest.raises(ValueError, match='input type'):
        Transform('x', 'X', 'column', 'pictures', (), build=lambda v: v)  # type: ignore[arg-type]
