"""The demo data sets: files decode, generation is deterministic and cached, videos hold real faces, documents split
into many chunks in Pixeltable, digits are labelled and split, and the catalog builder is idempotent."""

from __future__ import annotations

import collections
import html.parser
from pathlib import Path
from pydoc_data.topics import topics as pydoc_topics

import av
import cv2
import numpy as np
import PIL.Image
import pytest

from pxwidgets import demo
from pxwidgets.demo import cache, media, video_files
from pxwidgets.demo import digits as digits_mod
from pxwidgets.errors import InvalidRequestError

# ------------------------------------------------------------------------------------------------------------------
# helpers


def _decode_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format='rgb24') for frame in container.decode(video=0)]


_CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml')


def _faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = _CASCADE.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(30, 30))
    return [tuple(int(v) for v in box) for box in found]


def _tree(paths: list[Path]) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in paths}


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory for one test."""
    monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path / 'cache'))
    return tmp_path / 'cache'


# ------------------------------------------------------------------------------------------------------------------
# cache


def test_cache_dir_follows_env_var(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert demo.cache_root() == fresh_cache
    assert demo.cache_dir('photos').is_dir()
    assert demo.cache_dir('photos').is_relative_to(fresh_cache)
    monkeypatch.delenv(cache.CACHE_ENV_VAR)
    assert demo.cache_root() == Path.home() / '.cache' / 'pxwidgets'


def test_cached_file_is_atomic_and_written_once(tmp_path: Path) -> None:
    target = tmp_path / 'sub' / 'data.bin'

    def crash(tmp: Path) -> None:
        tmp.write_bytes(b'half a fi')
        raise RuntimeError('crash while writing')

    with pytest.raises(RuntimeError, match='crash while writing'):
        cache.cached_file(target, crash)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left behind

    calls = []
    cache.cached_file(target, lambda tmp: calls.append(tmp.write_bytes(b'complete')))
    cache.cached_file(target, lambda tmp: calls.append(tmp.write_bytes(b'again')))
    assert target.read_bytes() == b'complete'
    assert len(calls) == 1


# ------------------------------------------------------------------------------------------------------------------
# photos


def test_bundled_photos_are_jpeg_files_that_decode() -> None:
    paths = demo.bundled_photos()
    names = [p.stem for p in paths]
    assert names[:5] == ['astronaut', 'coffee', 'chelsea', 'camera', 'rocket']
    assert len(paths) >= 18
    assert 'skin' not in names  # needs a download
    assert 'eagle' not in names
    for path in paths:
        with PIL.Image.open(path) as im:
            assert im.format == 'JPEG'
            im.load()
            assert 32 <= max(im.size) <= media.MAX_PHOTO_SIDE
        assert demo.photo_caption(path)
    with PIL.Image.open(paths[0]) as astronaut:
        assert astronaut.size == (512, 512)
        assert _faces(np.asarray(astronaut.convert('RGB')))  # a real face, for the face demos


def test_photos_n_adds_deterministic_variations() -> None:
    base = demo.bundled_photos()
    more = demo.photos(len(base) + 7)
    assert more[: len(base)] == base
    assert len(set(more)) == len(more)
    first_variation = more[len(base)]
    assert first_variation.name == 'astronaut__0_mirror.jpg'
    assert demo.photo_caption(first_variation).endswith('(mirror)')
    with PIL.Image.open(first_variation) as mirrored, PIL.Image.open(base[0]) as original:
        diff = np.abs(np.asarray(mirrored, dtype=int) - np.asarray(original, dtype=int)[:, ::-1]).mean()
        assert diff < 3  # the mirror image, up to JPEG noise
    assert demo.photos(3) == base[:3]
    assert demo.photos(0) == []
    with pytest.raises(ValueError, match='n must be'):
        demo.photos(-1)


# ------------------------------------------------------------------------------------------------------------------
# determinism and caching of every generator


def test_generation_is_byte_for_byte_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trees = []
    for name in ('a', 'b'):
        monkeypatch.setenv(cache.CACHE_ENV_VAR, str(tmp_path / name))
        files = (
            demo.photos(20)
            + demo.videos(3, seconds=1.5)
            + [demo.shapes_video(seconds=1)]
            + demo.reference_documents(10)
            + demo.digit_image_files(demo.digit_rows(20))
        )
        assert all(p.is_relative_to(tmp_path / name) for p in files)
        trees.append(_tree(files))
    assert trees[0].keys() == trees[1].keys()
    differing = [name for name in trees[0] if trees[0][name] != trees[1][name]]
    assert differing == []


def test_second_call_uses_the_cache(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = demo.videos(2, seconds=1)
    stamps = [p.stat().st_mtime_ns for p in first]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError('regenerated a cached video')

    monkeypatch.setattr(video_files, '_write_video', refuse)  # where videos() finds it
    assert demo.videos(2, seconds=1) == first
    assert [p.stat().st_mtime_ns for p in first] == stamps
    with pytest.raises(AssertionError, match='regenerated'):
        demo.videos(2, seconds=2)  # other parameters: another file


# ------------------------------------------------------------------------------------------------------------------
# videos


def test_videos_are_small_h264_mp4_files_with_real_faces() -> None:
    paths = demo.videos(3)
    assert [p.suffix for p in paths] == ['.mp4'] * 3
    assert demo.video_titles(3)[0] == 'astronaut_pan'
    for path in paths:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == 'h264'
            assert (stream.width, stream.height) == (320, 240)
            assert stream.average_rate == 10
        frames = _decode_frames(path)
        assert len(frames) == 40
        sampled = frames[::4]
        with_faces = [i for i, frame in enumerate(sampled) if _faces(frame)]
        assert len(with_faces) >= 0.8 * len(sampled), path.name
        assert path.stat().st_size < 500_000


def test_videos_past_the_distinct_shots_are_variants() -> None:
    titles = demo.video_titles(len(media._face_shots()) + 1)
    assert titles[-1] == 'astronaut_pan_v1'
    base, mirrored = demo.videos(len(titles), seconds=1)[0], demo.videos(len(titles), seconds=1)[-1]
    a, b = _decode_frames(base)[0].astype(int), _decode_frames(mirrored)[0].astype(int)
    assert np.abs(a[:, ::-1] - b).mean() < 8  # horizontally mirrored camera path
    assert np.abs(a - b).mean() > 20


def test_mpeg4_codec_and_argument_checks() -> None:
    (path,) = demo.videos(1, seconds=1, codec='mpeg4', size=(160, 120))
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == 'mpeg4'
    assert len(_decode_frames(path)) == 10
    with pytest.raises(ValueError, match='even'):
        demo.videos(1, size=(321, 240))
    with pytest.raises(ValueError, match='positive'):
        demo.videos(1, fps=0)


def test_shapes_video_matches_its_ground_truth() -> None:
    truth = demo.shapes_ground_truth()
    frames = _decode_frames(demo.shapes_video())
    assert len(frames) == len(truth) == 40
    for frame, shapes in zip(frames[::5], truth[::5], strict=True):
        assert [s['label'] for s in shapes] == ['circle', 'square', 'triangle']
        # label every pixel with the nearest of the background and shape colours
        palette = np.array([(245, 245, 245)] + [s['color'] for s in shapes])
        nearest = np.argmin(((frame[:, :, None, :].astype(int) - palette[None, None]) ** 2).sum(axis=3), axis=2)
        for k, shape in enumerate(shapes, start=1):
            # the largest blob of that colour (compression leaves a few stray pixels elsewhere)
            _, _, stats, _ = cv2.connectedComponentsWithStats((nearest == k).astype(np.uint8))
            x, y, bw, bh, area = stats[1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])]
            assert area > 400, shape['label']
            found = (x, y, x + bw - 1, y + bh - 1)
            assert np.abs(np.array(found) - np.array(shape['box'])).max() <= 2, (shape, found)
    circle_x = [shapes[0]['box'][0] for shapes in truth]
    assert circle_x == sorted(circle_x)  # moves left to right
    assert circle_x[0] < circle_x[-1]


# ------------------------------------------------------------------------------------------------------------------
# documents


class _Outline(html.parser.HTMLParser):
    """Collects the text of each top-level element of a document body."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, str]] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {'h1', 'h2', 'h3', 'h4', 'p', 'pre', 'title'}:
            self._tag = tag
            self.elements.append((tag, ''))

    def handle_endtag(self, tag: str) -> None:
        self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            tag, text = self.elements[-1]
            self.elements[-1] = (tag, text + data)


def test_reference_documents_are_escaped_html_with_headings_and_paragraphs() -> None:
    paths = demo.reference_documents()
    assert len(paths) == len(demo.reference_topics()) == 79
    assert [p.stem for p in paths] == sorted(p.stem for p in paths)
    assert demo.reference_documents(5) == paths[:5]
    paragraphs = 0
    for path in paths:
        assert path.suffix == '.html'
        parser = _Outline()
        parser.feed(path.read_text(encoding='utf-8'))
        tags = [tag for tag, _ in parser.elements]
        assert tags[:2] == ['title', 'h1']
        assert parser.elements[1][1] == demo.reference_title(path)
        paragraphs += tags.count('p')
        # what the parser reads back is exactly the original text of the blocks (so escaping is complete)
        blocks = demo.parse_topic(pydoc_topics[path.stem])
        assert [text for _, text in parser.elements[1:]] == [b.text for b in blocks]
    assert paragraphs > 1500
    summary = next(p for p in paths if p.stem == 'operator-summary').read_text(encoding='utf-8')
    assert '&lt;' in summary
    assert '<pre>+---' in summary
    with pytest.raises(KeyError):
        demo.reference_documents(topics=['no-such-topic'])


def test_parse_topic_recognises_headings_code_and_admonitions() -> None:
    text = (
        'Main title\n**********\n\nIntro text that is\nwrapped.\n\nExample:\n\n   x = 1\n\n   y = 2\n\n'
        'Note:\n\n   Prose in a note.\n\nSection\n=======\n\nequivalent to\n\n   if a:\n       b()\n'
    )
    blocks = demo.parse_topic(text)
    assert [(b.kind, b.level) for b in blocks] == [
        ('heading', 1),
        ('paragraph', 0),
        ('paragraph', 0),
        ('code', 0),
        ('paragraph', 0),
        ('paragraph', 0),
        ('heading', 2),
        ('paragraph', 0),
        ('code', 0),
    ]
    assert blocks[1].text == 'Intro text that is wrapped.'
    assert blocks[3].text == 'x = 1\n\ny = 2'
    assert blocks[5].text == 'Prose in a note.'
    assert blocks[8].text == 'if a:\n    b()'


# ------------------------------------------------------------------------------------------------------------------
# digits


def test_digits_are_labelled_with_a_fixed_stratified_split() -> None:
    rows = demo.digit_rows()
    assert len(rows) == demo.digit_count() == 1797
    assert [r['index'] for r in rows] == list(range(1797))
    assert collections.Counter(r['split'] for r in rows) == {'train': 1257, 'test': 540}
    by_label = collections.Counter((r['label'], r['split']) for r in rows)
    for label in range(10):
        share = by_label[label, 'test'] / (by_label[label, 'test'] + by_label[label, 'train'])
        assert 0.27 < share < 0.33
    first = rows[0]
    assert first['label'] == 0
    assert first['image'].size == (64, 64)
    assert first['image'].mode == 'L'
    ink = np.asarray(first['image'].resize((8, 8), PIL.Image.Resampling.NEAREST)).reshape(-1)
    assert np.array_equal(ink < 128, first['pixels'] > 8)  # dark where the features say ink
    digits_mod._load.cache_clear()
    assert [r['split'] for r in demo.digit_rows()] == [r['split'] for r in rows]  # same split when recomputed
    assert {r['split'] for r in demo.digit_rows(10, split='test')} == {'test'}
    assert demo.digit_rows(3, size=8)[0]['image'].size == (8, 8)


# ------------------------------------------------------------------------------------------------------------------
# Pixeltable catalog


def test_catalog_builder_is_idempotent_and_usable(pxt_dir: str) -> None:
    import pixeltable as pxt
    from pixeltable.functions.video import frame_iterator

    cat = demo.build_demo_catalog(f'{pxt_dir}/demo')
    counts = {name: t.count() for name, t in cat.as_dict().items()}
    assert counts == {'photos': 8, 'videos': 2, 'digits': 300, 'docs': 12}
    versions = {name: t.get_metadata()['version'] for name, t in cat.as_dict().items()}

    again = demo.build_demo_catalog(f'{pxt_dir}/demo')
    assert {name: t.count() for name, t in again.as_dict().items()} == counts
    assert {name: t.get_metadata()['version'] for name, t in again.as_dict().items()} == versions  # nothing written
    assert sorted(pxt.list_tables(f'{pxt_dir}/demo')) == sorted(f'{pxt_dir}/demo/{n}' for n in counts)

    photo = cat.photos.where(cat.photos.title == 'astronaut').select(cat.photos.image, cat.photos.caption).collect()[0]
    assert photo['image'].size == (512, 512)
    assert 'astronaut' in photo['caption']

    digit = (
        cat.digits.order_by(cat.digits.idx)
        .select(cat.digits.pixels, cat.digits.image, cat.digits.label)
        .limit(1)
        .collect()
    )
    assert digit[0]['label'] == 0
    assert np.allclose(digit[0]['pixels'], demo.digit_rows(1)[0]['pixels'])
    assert np.array_equal(np.asarray(digit[0]['image']), np.asarray(demo.digit_rows(1)[0]['image']))  # lossless

    frames = pxt.create_view(f'{pxt_dir}/frames', cat.videos, iterator=frame_iterator(cat.videos.video, fps=2.0))
    assert frames.count() == 2 * 6  # two 3-second videos at 2 fps
    first = frames.where(frames.title == 'astronaut_pan').order_by(frames.pos).select(frames.frame).limit(1).collect()
    assert _faces(np.asarray(first[0]['frame'].convert('RGB')))


def test_documents_split_into_many_chunks(pxt_dir: str) -> None:
    import pixeltable as pxt
    from pixeltable.functions.document import document_splitter

    docs = demo.docs_table(f'{pxt_dir}/docs', n=12)
    chunks = pxt.create_view(
        f'{pxt_dir}/chunks',
        docs,
        iterator=document_splitter(docs.doc, separators='heading,paragraph', metadata='title,heading'),
    )
    per_doc = collections.Counter(chunks.select(chunks.topic).collect()['topic'])
    assert sum(per_doc.values()) >= 100
    assert len(per_doc) == 12
    assert min(per_doc.values()) >= 2
    texts = chunks.select(chunks.text).collect()['text']
    assert not any('<p>' in t or '&quot;' in t for t in texts)
    assert any(t.startswith('Assert statements are a convenient way') for t in texts)


def test_tables_grow_and_refuse_a_foreign_schema(pxt_dir: str) -> None:
    import pixeltable as pxt

    assert demo.digits_table(f'{pxt_dir}/digits', n=10).count() == 10
    grown = demo.digits_table(f'{pxt_dir}/digits', n=25)
    assert grown.count() == 25
    assert sorted(grown.select(grown.idx).collect()['idx']) == list(range(25))

    pxt.create_table(f'{pxt_dir}/other', {'x': pxt.Int})
    with pytest.raises(InvalidRequestError, match='lacks the demo column'):
        demo.photos_table(f'{pxt_dir}/other', n=1)
