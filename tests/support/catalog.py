"""One small catalog with every pattern on it, for the fuzz and hostile-data suites (built once per session).

``build_catalog(root, media, text=...)`` makes, under the Pixeltable directory ``root``:

- ``mixed``: the TableBrowser's table of every cell kind (``tests/support/tables.py``);
- ``photos`` with two stages (``small`` resized images, ``faces`` detected on them): a progressive pipeline;
- ``digits`` with a consensus of two adopted label columns (``hand``, ``guess``, string labels);
- ``ref``: a semantic index cascade over two HTML documents (sections, sentences; wordllama);
- ``preds`` with an incremental evaluation (three hourly windows);
- ``exp``: a versioned experiment with two runs.

``text`` turns every human-readable text the catalog holds (titles, labels, headings, paragraphs, run parameters,
metric names, error messages, file names) into what the suite wants there: itself for the fuzz suite, a script or
markup string for the hostile-data suite.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pixeltable as pxt

from tests.support.cascade import write_docs
from tests.support.tables import write_photos

Text = Callable[[str], str]


def plain(s: str) -> str:
    return s


@dataclass(frozen=True)
class Catalog:
    """The paths of what :func:`build_catalog` made."""

    root: str
    mixed: str
    photos: str
    digits: str
    cascade: str
    preds: str
    experiment: str


def _html(title: str, sections: list[tuple[str, list[str]]]) -> str:
    import html

    parts = [f'<html><head><title>{html.escape(title)}</title></head><body>']
    for heading, paragraphs in sections:
        parts.append(f'<h2>{html.escape(heading)}</h2>')
        parts += [f'<p>{html.escape(p)}</p>' for p in paragraphs]
    return '\n'.join([*parts, '</body></html>'])


def build_catalog(root: str, media: Path, text: Text = plain) -> Catalog:
    """Every pattern on a few rows under ``root`` (a new Pixeltable directory); ``text`` maps every shown text."""
    from pxwidgets import MultiModelConsensus, ProgressiveRefinement, SemanticIndexCascade
    from pxwidgets.patterns.incremental import IncrementalEvaluation
    from pxwidgets.patterns.versioned import VersionedExperiment
    from tests.support.catalog_udfs import build_run, fail_on_title

    pxt.create_dir(root, if_exists='ignore')
    # the table browser's table: every kind of cell, a computed column failing on some rows with a shown message
    photos = write_photos(media / 'photos', 6)
    named = []
    for i, p in enumerate(photos):  # file names are shown too
        target = Path(p).with_name(f'{text(f"photo {i}")}.jpg'.replace('/', '_'))
        Path(p).rename(target)
        named.append(str(target))
    mixed = pxt.create_table(
        f'{root}/mixed',
        {'image': pxt.Image, 'title': pxt.String, 'n': pxt.Int, 'score': pxt.Float | None, 'meta': pxt.Json | None},
        comment=text('a table of photos'),
    )
    mixed.insert(
        {
            'image': named[i],
            'title': text(f'title {i}'),
            'n': i,
            'score': i / 10,
            'meta': {text('key'): text(f'value {i}'), 'labels': [text('cat')]},
        }
        for i in range(6)
    )
    mixed.add_computed_column(checked=fail_on_title(mixed.title, mixed.n), on_error='ignore')

    # a pipeline: photos -> small (resized) -> faces (detections)
    src = pxt.create_table(f'{root}/photos', {'image': pxt.Image, 'title': pxt.String})
    src.insert({'image': named[i], 'title': text(f'photo {i}')} for i in range(4))
    pipeline = ProgressiveRefinement(f'{root}/photos')
    pipeline.add_stage('small', transform='resize_image', params={'width': 64, 'height': 64})
    pipeline.add_stage('faces', transform='detect_faces', after='small')

    # a consensus of two adopted string-label columns with ground truth
    labels = [text('cat'), text('dog'), text('bird')]
    rng = random.Random(7)
    digits = pxt.create_table(
        f'{root}/digits',
        {'idx': pxt.Int, 'image': pxt.Image, 'truth': pxt.String | None, 'hand': pxt.String, 'guess': pxt.String},
    )
    digits.insert(
        {
            'idx': i,
            'image': named[i % len(named)],
            'truth': labels[i % 3] if i % 5 else None,
            'hand': labels[i % 3],
            'guess': labels[rng.randrange(3)],
        }
        for i in range(12)
    )
    consensus = MultiModelConsensus(digits, 'image', ground_truth='truth')
    consensus.add_models({'hand': 'hand', 'guess': 'guess'})

    # a cascade over two small HTML documents
    docs_dir = media / 'docs'
    files = write_docs(
        docs_dir,
        {
            text('loops').replace('/', '_'): _html(
                text('Loops'),
                [
                    (text('The for statement'), [text('A for loop repeats a block for every item.'), text('Break.')]),
                    (text('The while statement'), [text('A while loop repeats while a condition holds.')]),
                ],
            ),
            text('errors').replace('/', '_'): _html(
                text('Errors'),
                [(text('The try statement'), [text('An exception raised in try goes to the except clause.')])],
            ),
        },
    )
    docs = pxt.create_table(f'{root}/docs', {'doc': pxt.Document})
    docs.insert({'doc': f} for f in files)
    cascade = SemanticIndexCascade(docs, 'doc', name='ref')
    cascade.add_level('sections', 'section', embedding='wordllama')
    cascade.add_level('sentences', 'sentence', embedding='wordllama')

    # an incremental evaluation: three hourly windows of string labels
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    preds = pxt.create_table(
        f'{root}/preds',
        {
            'id': pxt.Int,
            'ts': pxt.Timestamp | None,
            'pred': pxt.String | None,
            'label': pxt.String | None,
            'confidence': pxt.Float | None,
        },
        primary_key='id',
    )
    preds.insert(
        {
            'id': i,
            'ts': start + datetime.timedelta(minutes=7 * i),
            'pred': labels[i % 3],
            'label': labels[(i * 5) % 3] if i % 4 else None,
            'confidence': (i % 10) / 10,
        }
        for i in range(26)
    )
    evaluation = IncrementalEvaluation(preds, 'pred', 'label', 'ts', window='1h', numeric=['confidence'])
    evaluation.refresh()

    # a versioned experiment with two runs, its parameters and metric names texts too
    experiment = VersionedExperiment(f'{root}/exp', build_run, keep=1)
    for threshold in (0.3, 0.6):
        experiment.run(threshold=threshold, note=text('run note'), metric=text('flagged'))
    return Catalog(
        root=root,
        mixed=f'{root}/mixed',
        photos=f'{root}/photos',
        digits=f'{root}/digits',
        cascade=f'{root}/ref',
        preds=f'{root}/preds',
        experiment=f'{root}/exp',
    )


def table_versions(root: str) -> dict[str, int]:
    """The version of every table, view and snapshot under ``root`` (a fresh handle each, no model loaded)."""
    from pxwidgets.tables.internals import table_version

    out: dict[str, int] = {}
    for path in sorted(pxt.list_tables(root, recursive=True)):
        handle = pxt.get_table(path, if_not_exists='ignore')
        if handle is not None:
            out[path] = table_version(handle)
    return out


def catalog_state() -> dict[str, Any]:
    """Every table's name, version and metadata digest, every directory, every pending operation: one query each.

    Equal before and after a command means the command wrote nothing anywhere in the catalog.
    """
    import sqlalchemy as sql

    from pxwidgets.tables.internals import connect

    with connect() as conn:
        tables = conn.execute(
            sql.text("select id::text, md->>'name', md->>'current_version', md5(md::text), dir_id::text from tables")
        ).all()
        dirs = conn.execute(sql.text("select id::text, md->>'name', parent_id::text from dirs")).all()
        pending = conn.execute(sql.text('select count(*) from pendingtableops')).scalar()
    return {
        'tables': {row[0]: tuple(row[1:]) for row in tables},
        'dirs': {row[0]: tuple(row[1:]) for row in dirs},
        'pending': pending,
    }
