"""ProgressiveRefinement on real Pixeltable: each stage kind, re-runs, previews, progress and incremental inserts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidParameterError, StageConflictError
from pxwidgets.functions import count_detections, when
from pxwidgets.patterns import ProgressiveRefinement
from tests.unit.test_progressive_helpers import brightness, write_face_video, write_plain_video


@pytest.fixture
def videos(pxt_dir: str, tmp_path: Path) -> pxt.Table:
    t = pxt.create_table(f'{pxt_dir}/videos', {'video': pxt.Video, 'title': pxt.String})
    t.insert([{'video': write_face_video(tmp_path / 'face.mp4'), 'title': 'astronaut'}])
    return t


def build(path: str) -> ProgressiveRefinement:
    p = ProgressiveRefinement(path)
    p.add_stage('frames', transform='extract_frames', params={'fps': 2.0})
    p.add_stage('faces', transform='detect_faces')
    p.add_stage('n_faces', transform='count_detections')
    p.add_stage('with_faces', transform='keep_if', params={'op': '>', 'value': 0})
    return p


def all_versions(p: ProgressiveRefinement) -> dict[str, int]:
    return {s.table: p.table(s.name).get_metadata()['version'] for s in p.stages}


def test_each_stage_kind_is_a_real_pixeltable_object(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    assert [(s.name, s.kind) for s in p.stages] == [
        ('videos', 'source'),
        ('frames', 'iterator'),
        ('faces', 'column'),
        ('n_faces', 'column'),
        ('with_faces', 'filter'),
    ]
    frames = pxt.get_table(f'{pxt_dir}/frames')
    assert frames.count() == 6
    assert frames.get_metadata()['iterator_call'] == 'frame_iterator(video, fps=2.0)'
    faces = frames.select(frames.faces, frames.n_faces).collect()
    assert faces['n_faces'] == [1] * 6
    box = faces['faces'][0]
    assert set(box) == {'bboxes', 'labels', 'scores'}
    assert box['labels'] == ['face']
    x1, y1, x2, y2 = box['bboxes'][0]
    assert 40 < x1 < x2 < 220 and 30 < y1 < y2 < 220
    with_faces = pxt.get_table(f'{pxt_dir}/with_faces')
    assert with_faces.count() == 6
    assert with_faces.get_metadata()['view_filter'] is not None
    stage = p.stage('faces')
    assert stage.table == f'{pxt_dir}/frames'
    assert stage.column == 'faces'
    assert stage.transform == 'detect_faces'
    assert stage.params['min_size'] == 30
    assert stage.definition.startswith('detect_faces(frames.frame')
    assert p.head == 'with_faces'
    assert frames.get_metadata()['columns']['faces']['comment'].startswith('pxwidgets: Faces found')
    code = p.stage_code('with_faces')
    assert f"frames = pxt.get_table('{pxt_dir}/frames')" in code
    assert f"\n    '{pxt_dir}/with_faces',\n    frames.where(frames.n_faces > 0.0),\n" in code
    assert 'from pxwidgets.functions import detect_faces' in p.stage_code('faces')


def test_bare_udf_expression_and_when(videos: pxt.Table, pxt_dir: str) -> None:
    p = ProgressiveRefinement(f'{pxt_dir}/videos')
    p.add_stage('frames', transform='extract_frames', params={'fps': 1.0})
    s = p.add_stage('light', column=brightness, params={'scale': 2.0})
    assert s.definition == 'brightness(frames.frame, scale=2.0)'
    frames = p.table('frames')
    p.add_stage('bright', column=when(frames.light > 150.0).then('bright').otherwise('dark'), after='light')
    p.add_stage('dark_frames', where=frames.bright == 'dark', after='bright')
    values = frames.select(frames.light, frames.bright).collect()
    assert all(v > 0 for v in values['light'])
    assert values['bright'] == ['bright' if v > 150 else 'dark' for v in values['light']]
    assert p.table('dark_frames').count() == values['bright'].count('dark')
    assert p.stage('dark_frames').inputs == ('bright',)
    assert p.stage('bright').inputs == ('light',)


def test_rerun_converges_without_writing(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    before = all_versions(p)
    again = build(f'{pxt_dir}/videos')  # a new object, as after re-running the notebook
    assert all_versions(again) == before
    assert [s.name for s in again.stages] == [s.name for s in p.stages]
    assert sorted(pxt.list_tables(pxt_dir)) == [f'{pxt_dir}/{n}' for n in ('frames', 'videos', 'with_faces')]
    # re-declaring one stage alone, in a fresh object, finds where it lives
    single = ProgressiveRefinement(f'{pxt_dir}/videos')
    assert single.add_stage('faces', transform='detect_faces').name == 'faces'
    assert single.head == 'faces'
    assert all_versions(single) == before


def test_changed_definition_is_reported_not_applied(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    before = all_versions(p)
    with pytest.raises(StageConflictError) as info:
        p.add_stage('faces', transform='detect_faces', params={'min_size': 40})
    message = str(info.value)
    assert 'min_size: 30 -> 40' in message
    assert 'drop_stage' in message
    with pytest.raises(StageConflictError):
        p.add_stage('frames', transform='extract_frames', params={'fps': 1.0})
    with pytest.raises(StageConflictError):
        p.add_stage('n_faces', column=count_detections(p.table('frames').faces) + 1)
    assert all_versions(p) == before
    assert p.table('frames').select(p.table('frames').faces).collect()[0]['faces']['labels'] == ['face']


def test_previews_write_nothing(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    before = all_versions(p)
    column = p.preview_transform(transform='detect_eyes', after='frames', n=3, name='eyes')
    assert list(column.columns) == ['frame', 'eyes']
    assert len(column) == 3
    assert all(set(v) == {'bboxes', 'labels', 'scores'} for v in column['eyes'])
    filtered = p.preview_transform(transform='keep_if', params={'op': '>=', 'value': 1}, after='n_faces', n=4)
    assert list(filtered.columns) == ['n_faces', 'keep']
    assert filtered['keep'].tolist() == [True] * 4
    frames = p.preview_transform(transform='extract_frames', params={'fps': 1.0}, after='videos', n=2)
    assert list(frames.columns[:2]) == ['source_row', 'pos']
    assert len(frames) == 2
    assert frames['frame'][0].size == (256, 256)
    assert p.preview('faces', n=2).columns.tolist() == ['frame', 'faces', 'faces_errortype', 'faces_errormsg']
    assert len(p.preview('frames', n=4)) == 4
    assert all_versions(p) == before
    assert [s.name for s in p.stages] == ['videos', 'frames', 'faces', 'n_faces', 'with_faces']


def test_progress_callback(videos: pxt.Table, pxt_dir: str) -> None:
    p = ProgressiveRefinement(f'{pxt_dir}/videos')
    calls: list[tuple[int, int, str]] = []
    p.add_stage('frames', transform='extract_frames', params={'fps': 2.0}, on_progress=lambda *a: calls.append(a))
    p.add_stage('faces', transform='detect_faces', on_progress=lambda *a: calls.append(a))
    assert calls[0][:2] == (0, 1)
    assert calls[1][:2] == (1, 1)
    assert calls[2][:2] == (0, 6)
    assert calls[3][:2] == (6, 6)
    assert '0 failed' in calls[3][2]


def test_incremental_insert_flows_into_every_stage(videos: pxt.Table, pxt_dir: str, tmp_path: Path) -> None:
    p = build(f'{pxt_dir}/videos')
    videos.insert([{'video': write_plain_video(tmp_path / 'coffee.mp4'), 'title': 'coffee'}])
    graph = p.lineage()
    rows = {n['id']: n['rows'] for n in graph['nodes']}
    assert rows == {'videos': 2, 'frames': 10, 'faces': 10, 'n_faces': 10, 'with_faces': 6}
    frames = p.table('frames')
    coffee = frames.where(frames.title == 'coffee').select(frames.n_faces).collect()
    assert coffee['n_faces'] == [0, 0, 0, 0]


def test_lineage_graph(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    graph = p.lineage()
    assert graph['root'] == 'videos'
    assert graph['head'] == 'with_faces'
    assert [(e['source'], e['target']) for e in graph['edges']] == [
        ('videos', 'frames'),
        ('frames', 'faces'),
        ('faces', 'n_faces'),
        ('n_faces', 'with_faces'),
    ]
    node = next(n for n in graph['nodes'] if n['id'] == 'faces')
    assert node == {
        'id': 'faces',
        'kind': 'column',
        'table': f'{pxt_dir}/frames',
        'column': 'faces',
        'output': 'faces',
        'rows': 6,
        'errors': 0,
        'error_rate': 0.0,
        'compute_seconds': node['compute_seconds'],
        'definition': node['definition'],
        'transform': 'detect_faces',
        'params': {'cascade': 'frontalface_default', 'scale_factor': 1.1, 'min_neighbors': 5, 'min_size': 30},
        'managed': True,
        'problem': None,
    }
    assert node['compute_seconds'] > 0  # measured when add_stage computed it
    assert next(n for n in graph['nodes'] if n['id'] == 'with_faces')['errors'] is None
    pd.io.json.ujson_dumps(graph)  # JSON-able


def test_transforms_offered_for_a_stage_output(videos: pxt.Table, pxt_dir: str) -> None:
    p = build(f'{pxt_dir}/videos')
    for_frames = {t['name'] for t in p.transforms('frames')}
    assert {'detect_faces', 'detect_eyes', 'detect_people', 'detect_objects', 'resize_image'} <= for_frames
    assert 'count_detections' not in for_frames
    assert {t['name'] for t in p.transforms('videos')} == {'extract_frames'}
    assert 'keep_if' in {t['name'] for t in p.transforms('n_faces')}
    assert p.validate_params('resize_image', {'width': 32}) == {'width': 32, 'height': 224}
    with pytest.raises(InvalidParameterError) as info:
        p.validate_params('resize_image', {'width': 0, 'height': 'big'})
    assert {e['param'] for e in info.value.errors} == {'width', 'height'}


def test_image_column_on_a_table_validated_on_read(pxt_dir: str, tmp_path: Path) -> None:
    """Pixeltable refuses SQL count() of a media column's errors when media is validated on read: still works."""
    import PIL.Image

    photos = pxt.create_table(f'{pxt_dir}/photos', {'image': pxt.Image}, media_validation='on_read')
    PIL.Image.new('RGB', (64, 48), 'red').save(tmp_path / 'red.jpg')
    photos.insert([{'image': str(tmp_path / 'red.jpg')}] * 3)
    p = ProgressiveRefinement(photos)
    calls: list[tuple[int, int, str]] = []
    p.add_stage(
        'small', transform='resize_image', params={'width': 32, 'height': 24}, on_progress=lambda *a: calls.append(a)
    )
    assert calls[-1][:2] == (3, 3) and '0 failed' in calls[-1][2]
    node = next(n for n in p.lineage()['nodes'] if n['id'] == 'small')
    assert node['errors'] == 0
