"""Pipelines rebuilt from the catalog: in a fresh process, made by hand, written as code, branched."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pixeltable as pxt
import pytest
from pixeltable.functions.document import document_splitter
from pixeltable.functions.video import frame_iterator

from pxwidgets.functions import count_detections, detect_faces
from pxwidgets.patterns import ProgressiveRefinement
from tests.unit.test_progressive_helpers import brightness, run_fresh, write_face_video, write_html


@pytest.fixture
def videos(pxt_dir: str, tmp_path: Path) -> pxt.Table:
    t = pxt.create_table(f'{pxt_dir}/videos', {'video': pxt.Video})
    t.insert([{'video': write_face_video(tmp_path / 'face.mp4', frames=4)}])
    return t


@pytest.fixture
def other_dir() -> object:
    name = f't_{uuid.uuid4().hex[:10]}'
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def build(path: str) -> ProgressiveRefinement:
    p = ProgressiveRefinement(path)
    p.add_stage('frames', transform='extract_frames', params={'fps': 2.0})
    p.add_stage('faces', transform='detect_faces', params={'min_neighbors': 3})
    p.add_stage('n_faces', transform='count_detections')
    p.add_stage('label', transform='when', params={'op': '>', 'value': 0, 'then': 'face', 'otherwise': 'none'})
    p.add_stage('with_faces', transform='keep_if', params={'op': '>', 'value': 0}, after='n_faces')
    p.add_stage('small', transform='resize_image', params={'width': 32, 'height': 32})
    return p


def summary(p: ProgressiveRefinement) -> list[tuple[object, ...]]:
    return [(s.name, s.kind, s.column, s.output, s.inputs, s.definition, s.transform, dict(s.params)) for s in p.stages]


def test_open_in_a_fresh_process(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    expected = [[*row[:4], list(row[4]), *row[5:]] for row in summary(p)]
    seen = run_fresh(f"""
        import json
        from pxwidgets.patterns import ProgressiveRefinement
        p = ProgressiveRefinement.open('{pxt_dir}/videos')
        graph = p.lineage()
        p.add_stage('eyes', transform='detect_eyes', after='frames')
        print(json.dumps({{
            'stages': [[s.name, s.kind, s.column, s.output, list(s.inputs), s.definition, s.transform, s.params]
                       for s in p.stages],
            'head': graph['head'],
            'rows': {{n['id']: n['rows'] for n in graph['nodes']}},
            'problems': p.problems(),
        }}))
    """)
    assert [row for row in seen['stages'] if row[0] != 'eyes'] == expected
    assert next(row for row in seen['stages'] if row[0] == 'eyes')[:5] == ['eyes', 'column', 'eyes', 'eyes', ['frames']]
    assert seen['head'] == 'small'
    assert seen['rows'] == {'videos': 1, 'frames': 4, 'faces': 4, 'n_faces': 4, 'label': 4, 'with_faces': 4, 'small': 4}
    assert seen['problems'] == []
    # this process sees the stage the other one added
    assert p.stage('eyes').transform == 'detect_eyes'


def test_open_a_hand_made_pipeline(videos: pxt.Table, pxt_dir: str) -> None:
    frames = pxt.create_view(f'{pxt_dir}/frames', videos, iterator=frame_iterator(videos.video, fps=2.0))
    frames.add_computed_column(faces=detect_faces(frames.frame))
    frames.add_computed_column(n_faces=count_detections(frames.faces))
    busy = pxt.create_view(f'{pxt_dir}/busy', frames.where(frames.n_faces >= 1))
    busy.add_computed_column(light=brightness(busy.frame))
    p = ProgressiveRefinement.open(f'{pxt_dir}/videos')
    assert [(s.name, s.kind, s.table.rsplit('/', 1)[1], s.output, s.inputs, s.managed) for s in p.stages] == [
        ('videos', 'source', 'videos', 'video', (), False),
        ('frames', 'iterator', 'frames', 'frame', ('videos',), False),
        ('faces', 'column', 'frames', 'faces', ('frames',), False),
        ('n_faces', 'column', 'frames', 'n_faces', ('faces',), False),
        ('busy', 'filter', 'busy', 'frame', ('n_faces',), False),
        ('light', 'column', 'busy', 'light', ('busy',), False),
    ]
    assert p.stage('busy').definition == 'where frames.n_faces >= 1'
    assert p.stage('n_faces').requires == ('frames', 'faces')
    assert p.head == 'light'
    # it can be refined further, and declaring an existing hand-made stage again converges
    version = frames.get_metadata()['version']
    assert p.add_stage('faces', column=detect_faces(frames.frame)).managed is False
    assert frames.get_metadata()['version'] == version
    p.add_stage('faces2', column=detect_faces, params={'min_size': 60}, after='frames')
    assert p.stage('faces2').definition == 'detect_faces(frames.frame, min_size=60)'
    assert p.drop_plan('faces') == ['light', 'busy', 'n_faces', 'faces']
    assert ProgressiveRefinement.open(f'{pxt_dir}/frames').stages[0].kind == 'source'


def test_to_code_rebuilds_an_equal_pipeline(videos: pxt.Table, pxt_dir: str, other_dir: str, tmp_path: Path) -> None:
    p = build(f'{pxt_dir}/videos')
    code = p.to_code(dir=other_dir)
    assert 'pxwidgets.patterns' not in code and 'ProgressiveRefinement' not in code
    assert 'from pixeltable.functions.video import frame_iterator' in code
    assert 'frames.where(frames.n_faces > 0.0)' in code
    exec(compile(code, 'pipeline.py', 'exec'), {})
    copy = ProgressiveRefinement.open(f'{other_dir}/videos')
    assert summary(copy) == summary(p)
    assert copy.to_code(dir='X').splitlines()[1:] == p.to_code(dir='X').splitlines()[1:]  # all but the docstring
    exec(compile(code, 'pipeline.py', 'exec'), {})  # running it again changes nothing
    assert summary(ProgressiveRefinement.open(f'{other_dir}/videos')) == summary(p)
    copy.table('videos').insert([{'video': write_face_video(tmp_path / 'again.mp4', frames=4)}])
    rows = {n['id']: n['rows'] for n in copy.lineage()['nodes']}
    assert rows == {'videos': 1, 'frames': 4, 'faces': 4, 'n_faces': 4, 'label': 4, 'with_faces': 4, 'small': 4}
    plain = p.to_code(metadata=False)
    assert 'custom_metadata' not in plain


def test_to_code_of_a_hand_made_pipeline(pxt_dir: str, other_dir: str, tmp_path: Path) -> None:
    docs = pxt.create_table(f'{pxt_dir}/docs', {'doc': pxt.Document, 'meta': pxt.Json | None})
    docs.insert(
        [{'doc': write_html(tmp_path / 'a.html', 'Alpha', {'One': ['First. Second.', 'Third.']}), 'meta': None}]
    )
    chunks = pxt.create_view(
        f'{pxt_dir}/chunks', docs, iterator=document_splitter(docs.doc, separators='paragraph', metadata='heading')
    )
    chunks.add_computed_column(h2=chunks.heading['h2'])
    chunks.add_computed_column(long=chunks.text.len() > 8)
    chunks.add_computed_column(upper=chunks.text.upper(), stored=False)
    p = ProgressiveRefinement.open(f'{pxt_dir}/docs')
    code = p.to_code(dir=other_dir)
    assert "chunks.heading['h2']" in code
    assert 'stored=False' in code
    assert "'meta': pxt.Json | None" in code
    exec(compile(code, 'pipeline.py', 'exec'), {})
    copy = ProgressiveRefinement.open(f'{other_dir}/docs')
    assert [(s.name, s.kind, s.definition) for s in copy.stages] == [(s.name, s.kind, s.definition) for s in p.stages]


def test_branch(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    b = p.branch('frames')
    assert b.path == f'{pxt_dir}/frames'
    assert b.head == 'frames'
    assert (b.stages[0].name, b.stages[0].kind) == ('frames', 'source')
    eyes = b.add_stage('eyes', transform='detect_eyes')
    assert eyes.table == f'{pxt_dir}/frames' and eyes.inputs == ('frames',)
    big = b.add_stage('big_faces', transform='keep_detections', params={'min_score': 1.0}, after='faces')
    assert big.inputs == ('faces',)
    assert {'eyes', 'big_faces'} <= {s.name for s in p.stages}  # the branch's stages are real: the main sees them
    sub = p.branch('with_faces')
    assert [s.name for s in sub.stages] == ['with_faces', 'small']
    sub.add_stage('tiny', transform='resize_image', params={'width': 8, 'height': 8})
    assert p.stage('tiny').table == f'{pxt_dir}/with_faces'
    assert p.table('tiny').select(p.table('tiny').tiny).collect()[0]['tiny'].size == (8, 8)


def test_table_pixeltable_cannot_describe(pxt_dir: str) -> None:
    # Pixeltable's get_metadata() raises KeyError once an Array column has an embedding index; stages still show
    t = pxt.create_table(f'{pxt_dir}/vectors', {'text': pxt.String, 'vec': pxt.Array[(3,), pxt.Float]})
    t.insert([{'text': 'a', 'vec': np.array([1.0, 0.0, 0.0], dtype=np.float32)}])
    t.add_embedding_index('vec', metric='cosine')
    t.add_computed_column(up=t.text.upper())
    with pytest.raises(KeyError):
        t.get_metadata()
    p = ProgressiveRefinement.open(f'{pxt_dir}/vectors')
    assert [(s.name, s.kind, s.output, s.problem) for s in p.stages] == [
        ('vectors', 'source', 'text', None),
        ('up', 'column', 'up', None),
    ]
    p.add_stage('low', column=t.text.lower())
    assert p.preview('low', n=1)['low'].tolist() == ['a']
    assert {n['id']: n['errors'] for n in p.lineage()['nodes']} == {'vectors': None, 'up': 0, 'low': 0}
