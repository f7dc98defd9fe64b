"""Failed rows per computed column: one SQL count per column, the fallback where SQL cannot count, the cache per
table version."""

from __future__ import annotations

from pathlib import Path

import pixeltable as pxt

from pxwidgets.tables.counting import failed_rows_by_column
from pxwidgets.tables.internals import failed_rows_in_store, live_rows_in_store
from tests.support.tables import make_mixed_table, write_photos
from tests.support.udfs import fails_on_odd


def test_counts_per_column_follow_the_table_version(pxt_dir: str, tmp_path: Path) -> None:
    t = make_mixed_table(f'{pxt_dir}/mixed', tmp_path / 'media', n=12)
    t.add_computed_column(again=fails_on_odd(t.n + 1), on_error='ignore')
    assert failed_rows_by_column(t, ['tenfold', 'again', 'width']) == {'tenfold': 6, 'again': 6, 'width': 0}
    t.insert([{'image': str(tmp_path / 'media' / 'photo_000.jpg'), 'title': 'x', 'n': 13}], on_error='ignore')
    assert failed_rows_by_column(t, ['tenfold', 'again']) == {'tenfold': 7, 'again': 6}


def test_media_column_validated_on_read_is_counted_another_way(pxt_dir: str, tmp_path: Path) -> None:
    t = pxt.create_table(f'{pxt_dir}/lazy', {'image': pxt.Image, 'n': pxt.Int}, media_validation='on_read')
    good = write_photos(tmp_path / 'media', 1)[0]
    bad = tmp_path / 'not_an_image.jpg'
    bad.write_text('not a JPEG')
    t.insert([{'image': good, 'n': 0}, {'image': str(bad), 'n': 1}, {'image': good, 'n': 3}])
    t.add_computed_column(rotated=t.image.rotate(90), on_error='ignore')
    t.add_computed_column(tenfold=fails_on_odd(t.n), on_error='ignore')
    recorded = len(t.where(t.rotated.errortype != None).select(t.rotated.errortype).collect())  # noqa: E711
    assert failed_rows_by_column(t, ['rotated', 'tenfold']) == {'rotated': recorded, 'tenfold': 2}


def test_store_counts_agree_with_pixeltable_queries(pxt_dir: str, tmp_path: Path) -> None:
    t = make_mixed_table(f'{pxt_dir}/stored', tmp_path / 'media', n=12)
    t.add_computed_column(again=fails_on_odd(t.n + 1), on_error='ignore')
    v = pxt.create_view(f'{pxt_dir}/even', t.where(t.n % 2 == 0))
    v.add_computed_column(third=fails_on_odd(t.n // 2), on_error='ignore')
    t.where(t.n == 0).delete()  # an expired store row must not count
    for table, columns in ((t, ['tenfold', 'again']), (v, ['third'])):
        failing = {c: table.where(table[c].errortype != None) for c in columns}  # noqa: E711
        expected = {c: len(q.collect()) for c, q in failing.items()}
        assert failed_rows_in_store(table, columns) == expected
        assert live_rows_in_store(table) == table.count()
    assert live_rows_in_store(v) == 5
    assert failed_rows_in_store(v, ['tenfold']) is None  # the base's column: not in the view's store
    assert failed_rows_in_store(t, ['n']) is None  # not computed: no errors recorded


def test_store_cannot_count_media_validated_on_read(pxt_dir: str, tmp_path: Path) -> None:
    t = pxt.create_table(f'{pxt_dir}/lazy2', {'image': pxt.Image}, media_validation='on_read')
    t.insert([{'image': write_photos(tmp_path / 'media', 1)[0]}])
    t.add_computed_column(rotated=t.image.rotate(90), on_error='ignore')
    assert failed_rows_in_store(t, ['rotated']) is None
    assert live_rows_in_store(t) == 1
