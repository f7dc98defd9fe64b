"""The table access layer on real Pixeltable: pages, thumbnails, filters, sorting, errors, lineage, history."""

from __future__ import annotations

import io
from pathlib import Path

import PIL.Image
import pixeltable as pxt
import pytest
from pixeltable.functions.video import frame_iterator

from pxwidgets.errors import InvalidRequestError, TableNotFoundError
from pxwidgets.tables import (
    Filter,
    PageQuery,
    count_rows,
    describe_columns,
    fetch_page,
    lineage,
    list_catalog,
    list_versions,
)
from pxwidgets.tables.counting import failed_rows
from pxwidgets.tables.pages import CellError
from pxwidgets.tables.thumbnails import THUMB_BOX, Thumbnail
from tests.support.tables import XSS_STRINGS, make_mixed_table


@pytest.fixture
def mixed(pxt_dir: str, tmp_path: Path) -> pxt.Table:
    return make_mixed_table(f'{pxt_dir}/mixed', tmp_path / 'media')


def titles(page_rows: list[list[object]], col: int = 1) -> list[object]:
    return [row[col] for row in page_rows]


def test_first_page_has_thumbnails_of_original_size(mixed: pxt.Table) -> None:
    page = fetch_page(mixed, PageQuery(limit=5))
    assert page.total == 12
    assert len(page.rows) == 5
    thumb = page.rows[0][0]
    assert isinstance(thumb, Thumbnail)
    img = PIL.Image.open(io.BytesIO(thumb.data))
    assert img.format == 'JPEG'
    assert max(img.size) <= max(THUMB_BOX)
    assert (thumb.width, thumb.height) == PIL.Image.open(
        mixed.select(mixed.image.localpath).limit(1).collect()[0]['image_localpath']
    ).size


def test_pages_follow_each_other_without_overlap(mixed: pxt.Table) -> None:
    first = fetch_page(mixed, PageQuery(offset=0, limit=5, order_by=('n', True)))
    second = fetch_page(mixed, PageQuery(offset=5, limit=5, order_by=('n', True)))
    last = fetch_page(mixed, PageQuery(offset=10, limit=5, order_by=('n', True)))
    assert titles(first.rows, 2) == [0, 1, 2, 3, 4]
    assert titles(second.rows, 2) == [5, 6, 7, 8, 9]
    assert titles(last.rows, 2) == [10, 11]


def test_sort_descending(mixed: pxt.Table) -> None:
    page = fetch_page(mixed, PageQuery(limit=3, order_by=('n', False)))
    assert titles(page.rows, 2) == [11, 10, 9]
    assert '.order_by(t.n, asc=False)' in page.code


def test_filters_run_in_the_database_and_count(mixed: pxt.Table) -> None:
    page = fetch_page(mixed, PageQuery(filters=(Filter('n', '>=', 8), Filter('title', 'startswith', 'photo'))))
    assert page.total == 4
    assert sorted(titles(page.rows, 2)) == [8, 9, 10, 11]
    assert "t.where((t.n >= 8) & (t.title.startswith('photo')))" in page.code
    nulls = fetch_page(mixed, PageQuery(filters=(Filter('score', 'is_null'),)))
    assert titles(nulls.rows, 2) == [3]
    text = fetch_page(mixed, PageQuery(filters=(Filter('title', 'contains', 'script'),)))
    assert titles(text.rows) == [XSS_STRINGS[1]]


def test_filter_values_are_coerced_and_validated(mixed: pxt.Table) -> None:
    assert fetch_page(mixed, PageQuery(filters=(Filter('n', '==', '3'),))).total == 1
    with pytest.raises(InvalidRequestError, match='not a valid value'):
        fetch_page(mixed, PageQuery(filters=(Filter('n', '>', 'three'),)))
    with pytest.raises(InvalidRequestError, match="Unknown column 'nope'"):
        fetch_page(mixed, PageQuery(filters=(Filter('nope', '==', 1),)))
    with pytest.raises(InvalidRequestError, match='applies to text columns'):
        fetch_page(mixed, PageQuery(filters=(Filter('n', 'contains', '1'),)))
    with pytest.raises(InvalidRequestError, match='only be filtered with is_null'):
        fetch_page(mixed, PageQuery(filters=(Filter('image', '==', 'x'),)))
    with pytest.raises(InvalidRequestError, match='Unknown filter operator'):
        fetch_page(mixed, PageQuery(filters=(Filter('n', 'LIKE', 1),)))


def test_errors_only_shows_failed_cells_with_type_and_message(mixed: pxt.Table) -> None:
    page = fetch_page(mixed, PageQuery(errors_only=True, order_by=('n', True)))
    assert page.total == 6
    col = [c.name for c in page.columns].index('tenfold')
    errors = [row[col] for row in page.rows]
    assert all(isinstance(e, CellError) and e.errortype == 'ValueError' for e in errors)
    assert errors[0].errormsg == 'odd value 1'  # type: ignore[union-attr]


def test_detections_become_overlays_on_the_image(mixed: pxt.Table) -> None:
    thumb = fetch_page(mixed, PageQuery(limit=1)).rows[0][0]
    assert isinstance(thumb, Thumbnail)
    assert thumb.overlays == [
        {'column': 'dets', 'boxes': [[10.0, 20.0, 110.0, 220.0]], 'labels': ['face'], 'scores': [0.9]}
    ]


def test_page_past_the_end_and_bad_sort_are_refused(mixed: pxt.Table) -> None:
    with pytest.raises(InvalidRequestError, match='past the end') as info:
        fetch_page(mixed, PageQuery(offset=12, limit=5))
    assert 'offset 10' in str(info.value)
    with pytest.raises(InvalidRequestError, match='no order'):
        fetch_page(mixed, PageQuery(order_by=('image', True)))
    with pytest.raises(InvalidRequestError):
        PageQuery.from_dict({'offset': -5})
    with pytest.raises(InvalidRequestError):
        PageQuery.from_dict({'limit': 10_000})


def test_unknown_and_dropped_tables(pxt_dir: str, tmp_path: Path) -> None:
    with pytest.raises(TableNotFoundError, match='nope'):
        fetch_page(f'{pxt_dir}/nope')
    t = make_mixed_table(f'{pxt_dir}/gone', tmp_path / 'm', n=2)
    handle_path = f'{pxt_dir}/gone'
    pxt.drop_table(t)
    with pytest.raises(TableNotFoundError):
        fetch_page(handle_path)


def test_unstored_frames_are_rendered(pxt_dir: str, tmp_path: Path) -> None:
    from tests.support.media import write_video

    videos = pxt.create_table(f'{pxt_dir}/videos', {'video': pxt.Video})
    videos.insert([{'video': write_video(tmp_path / 'v.mp4', frames=6)}])
    frames = pxt.create_view(f'{pxt_dir}/frames', videos, iterator=frame_iterator(videos.video, fps=3.0))
    page = fetch_page(frames, PageQuery(limit=3))
    specs = {c.name: c for c in page.columns}
    assert not specs['frame'].is_stored
    col = list(specs).index('frame')
    assert all(isinstance(row[col], Thumbnail) for row in page.rows)
    poster = fetch_page(videos, PageQuery(limit=1)).rows[0][0]
    assert isinstance(poster, Thumbnail) and poster.width == 64


def test_lineage_shows_base_chain_views_filters_and_iterators(mixed: pxt.Table, pxt_dir: str) -> None:
    big = pxt.create_view(f'{pxt_dir}/big', mixed.where(mixed.n > 5))
    pxt.create_snapshot(f'{pxt_dir}/snap', big)
    graph = lineage(big)
    paths = [n.path for n in graph.nodes]
    assert paths[:2] == [f'{pxt_dir}/mixed', f'{pxt_dir}/big']
    assert f'{pxt_dir}/snap' in paths
    node = next(n for n in graph.nodes if n.path == f'{pxt_dir}/big')
    assert node.is_current and node.filter == 'n > 5' and node.row_count == 6
    assert {'source': f'{pxt_dir}/mixed', 'target': f'{pxt_dir}/big', 'label': 'where n > 5'} in graph.edges


def test_history_lists_versions_newest_first(mixed: pxt.Table) -> None:
    versions = list_versions(mixed)
    assert [v['version'] for v in versions] == sorted((v['version'] for v in versions), reverse=True)
    assert any(v['schema_change'] == 'Added: tenfold' and v['errors'] == 6 for v in versions)
    assert isinstance(versions[0]['created_at'], str)


def test_catalog_lists_tables_with_kind(mixed: pxt.Table, pxt_dir: str) -> None:
    pxt.create_view(f'{pxt_dir}/v', mixed)
    entries = [e for e in list_catalog() if e['path'].startswith(pxt_dir)]
    assert entries == [{'path': f'{pxt_dir}/mixed', 'kind': 'table'}, {'path': f'{pxt_dir}/v', 'kind': 'view'}]


def test_columns_describe_types_and_computed_expressions(mixed: pxt.Table) -> None:
    specs = {c.name: c for c in describe_columns(mixed)}
    assert specs['image'].kind == 'image' and not specs['image'].sortable
    assert specs['tenfold'].computed_with is not None and 'fails_on_odd' in specs['tenfold'].computed_with
    assert specs['tenfold'].records_errors
    assert specs['vec'].kind == 'array'


def test_to_pandas_gives_the_page_as_a_dataframe(mixed: pxt.Table) -> None:
    df = fetch_page(mixed, PageQuery(limit=4, order_by=('n', True))).to_pandas()
    assert list(df['n']) == [0, 1, 2, 3]
    assert df['tenfold'][1] == 'ValueError: odd value 1'


def test_errors_of_media_validated_on_read(pxt_dir: str, tmp_path: Path) -> None:
    """Pixeltable refuses SQL count() of a media column's errors when media is validated on read; pages still work.

    (Pixeltable 0.7.21 also records no errortype for such failures: the failed value is simply None.)
    """
    from tests.support.udfs import rotate_landscape

    photos = pxt.create_table(f'{pxt_dir}/lazy', {'image': pxt.Image}, media_validation='on_read')
    PIL.Image.new('RGB', (30, 40), 'red').save(tmp_path / 'portrait.png')
    PIL.Image.new('RGB', (40, 30), 'blue').save(tmp_path / 'landscape.png')
    photos.insert([{'image': str(tmp_path / 'portrait.png')}, {'image': str(tmp_path / 'landscape.png')}])
    photos.add_computed_column(turned=rotate_landscape(photos.image), on_error='ignore')
    with pytest.raises(pxt.Error, match='non-SQL node'):  # the Pixeltable behaviour this works around
        photos.where(photos.turned.errortype != None).count()  # noqa: E711
    recorded = len(photos.where(photos.turned.errortype != None).select(photos.turned.errortype).collect())  # noqa: E711
    assert fetch_page(photos, PageQuery(errors_only=True)).total == recorded
    assert failed_rows(photos, 'turned') == recorded
    page = fetch_page(photos, PageQuery())
    assert page.total == 2 and page.rows[0][1] is None


def test_rows_need_not_wait_for_the_count(mixed: pxt.Table) -> None:
    import pxwidgets.tables.pages as pages

    pages._counts.clear()  # nothing counted yet
    page = fetch_page(mixed, PageQuery(limit=3, filters=(Filter('n', '>', 4),)), wait_for_count=False)
    assert len(page.rows) == 3
    assert page.total in (None, 7)  # None while the count still runs
    assert count_rows(mixed, PageQuery(filters=(Filter('n', '>', 4),))) == 7
    again = fetch_page(mixed, PageQuery(limit=3, filters=(Filter('n', '>', 4),)), wait_for_count=False)
    assert again.total == 7  # from the cache now
    with pytest.raises(InvalidRequestError, match='past the end'):  # an empty page waits for the count to say so
        fetch_page(mixed, PageQuery(offset=40, limit=5), wait_for_count=False)


def test_describing_never_calls_get_metadata(pxt_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """get_metadata() calls every embedding index's function (loading its model); describing must not need it."""
    from pxwidgets.patterns import ProgressiveRefinement
    from pxwidgets.tables.lineage import lineage
    from pxwidgets.tables.summary import summarize

    t = pxt.create_table(f'{pxt_dir}/docs', {'text': pxt.String})
    t.insert([{'text': 'a'}, {'text': 'b'}])
    pxt.create_view(f'{pxt_dir}/short', t.where(t.text == 'a'))

    def refuse(self: object) -> None:
        raise AssertionError('get_metadata() was called')

    for cls in {type(t), type(pxt.get_table(f'{pxt_dir}/short'))}:
        monkeypatch.setattr(cls, 'get_metadata', refuse)
    assert summarize(f'{pxt_dir}/docs')['total_rows'] == 2
    assert {n.path for n in lineage(f'{pxt_dir}/docs').nodes} == {f'{pxt_dir}/docs', f'{pxt_dir}/short'}
    assert [s.name for s in ProgressiveRefinement.open(f'{pxt_dir}/docs').stages] == ['docs', 'short']


def test_a_page_of_chosen_columns(pxt_dir: str) -> None:
    from pxwidgets.errors import InvalidRequestError
    from pxwidgets.tables import PageQuery, fetch_page

    t = pxt.create_table(f'{pxt_dir}/three', {'a': pxt.Int, 'b': pxt.String, 'c': pxt.Float})
    t.insert([{'a': i, 'b': f's{i}', 'c': i / 2} for i in range(6)])
    query = PageQuery.from_dict({'limit': 2, 'columns': ['c', 'a'], 'order_by': {'column': 'b', 'asc': False}})
    page = fetch_page(t, query)
    assert [c.name for c in page.columns] == ['c', 'a']
    assert page.rows == [[2.5, 5], [2.0, 4]]  # sorted and filterable by a column it does not show
    assert '.select(t.c, t.a)' in page.code
    with pytest.raises(InvalidRequestError, match='Unknown column'):
        fetch_page(t, PageQuery.from_dict({'columns': ['zz']}))
