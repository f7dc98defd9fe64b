"""Failed rows per computed column: one SQL count per column, the fallback where SQL cannot count, the cache per
table version."""

from __future__ import annotations

from pathlib import Path

import pixeltable as pxt

from pxwidgets.tables.counting import failed_rows_by_column
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
