"""A small pipeline whose stages' table suits every compose action: model columns (labels and boxes), a truth, a
timestamp, documents, and two registry stages (a filter and a computed column) to rebuild in an experiment."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import PIL.Image
import pixeltable as pxt

from pxwidgets.patterns import ProgressiveRefinement
from tests.support.cascade import html_doc, write_docs

N_ROWS = 12


def docs(folder: Path) -> list[str]:
    """Three small HTML documents (headings and paragraphs)."""
    return write_docs(
        folder,
        {
            f'doc{i}': html_doc(
                f'Doc {i}',
                ('Cats', [f'Cats sleep most of the day in document {i}.', 'They purr when they are happy.']),
                ('Boats', [f'Boats float on water in document {i}.', 'A sail catches the wind.']),
            )
            for i in range(3)
        },
    )


def build(dir: str, folder: Path) -> ProgressiveRefinement:
    """``<dir>/preds`` with its rows, and a pipeline on it: ``confident`` (keep_if score > 0.3) and ``high``."""
    t = pxt.create_table(
        f'{dir}/preds',
        {
            'doc': pxt.Document | None,
            'img': pxt.Image,
            'score': pxt.Float,
            'pred_a': pxt.Int,
            'pred_b': pxt.Int,
            'label': pxt.Int | None,
            'ts': pxt.Timestamp,
            'title': pxt.String,
            'note': pxt.String,
            'boxes': pxt.Json,
            'boxes_b': pxt.Json,
        },
    )
    files = docs(folder)
    image = folder / 'square.png'
    PIL.Image.new('RGB', (8, 8), 'red').save(image)
    start = datetime.datetime(2024, 1, 1)
    t.insert(
        {
            'doc': files[i % len(files)] if i < len(files) else None,
            'img': str(image),
            'score': i / N_ROWS,
            'pred_a': i % 3,
            'pred_b': (i + (i % 4 == 0)) % 3,
            'label': i % 3 if i % 5 else None,
            'ts': start + datetime.timedelta(minutes=20 * i),
            'title': f'doc {i}',
            'note': 'ok' if i % 2 else 'check',
            'boxes': {'bboxes': [[1.0, 1.0, 5.0, 5.0]], 'labels': ['cat'], 'scores': [0.9]},
            'boxes_b': {'bboxes': [[1.0, 2.0, 5.0, 6.0]], 'labels': ['cat'], 'scores': [0.5 + i / 100]},
        }
        for i in range(N_ROWS)
    )
    p = ProgressiveRefinement(t, dir=dir)
    p.add_stage('confident', transform='keep_if', params={'op': '>', 'value': 0.3}, input='score')
    p.add_stage(
        'band', transform='when', params={'op': '>', 'value': 0.7, 'then': 'hi', 'otherwise': 'lo'}, input='score'
    )
    return p


def catalog_shape(dir: str) -> dict[str, Any]:
    """Every table under ``dir`` (recursively) with its kind, columns (type, definition, custom metadata) and custom
    metadata, with ``dir`` written as ``<DIR>``: what two equal sets of calls in two directories both write."""
    out: dict[str, Any] = {}
    for path in sorted(pxt.list_tables(dir, recursive=True)):
        md = pxt.get_table(path).get_metadata()
        out[path[len(dir) :]] = {
            'kind': md['kind'],
            'base': md.get('base'),
            'custom_metadata': md.get('custom_metadata'),
            'columns': {
                n: [c['type_'], c.get('computed_with'), c.get('custom_metadata')] for n, c in md['columns'].items()
            },
            'indices': sorted(md.get('indices', {})),
        }
    text = json.dumps(out, sort_keys=True, default=str).replace(f'{dir}/', '<DIR>/').replace(f"'{dir}'", '<DIR>')
    return json.loads(text)
