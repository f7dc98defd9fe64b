"""Test helpers for the semantic index cascade: a counting embedding UDF and small document corpora.

The UDF lives in a module (not a test body), as every UDF a view keeps must, and counts how many texts it embedded,
so a test can check that a search embeds its query once per model.
"""

from __future__ import annotations

from pathlib import Path

import pixeltable as pxt
from pixeltable.func import Batch

from pxwidgets.functions.embeddings import WordllamaEmbedding, wordllama_vectors

CALLS = {'texts': 0, 'batches': 0}
"""Texts and batches the counting embedding has embedded since the last :func:`reset_calls`."""


def reset_calls() -> None:
    CALLS['texts'] = 0
    CALLS['batches'] = 0


@pxt.udf(batch_size=64)
def counting_embed(texts: Batch[str]) -> Batch[WordllamaEmbedding]:
    """wordllama embeddings that count their calls."""
    CALLS['texts'] += len(texts)
    CALLS['batches'] += 1
    return list(wordllama_vectors(list(texts)))


def write_docs(folder: Path, docs: dict[str, str], suffix: str = '.html') -> list[str]:
    """Write ``{stem: content}`` files and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, content in docs.items():
        path = folder / f'{stem}{suffix}'
        path.write_text(content, encoding='utf-8')
        paths.append(str(path))
    return paths


def html_doc(title: str, *sections: tuple[str, list[str]]) -> str:
    """A small HTML document: a title, then (heading, [paragraphs]) sections."""
    import html

    parts = [f'<html><head><title>{html.escape(title)}</title></head><body>']
    for heading, paragraphs in sections:
        parts.append(f'<h2>{html.escape(heading)}</h2>')
        parts += [f'<p>{html.escape(p)}</p>' for p in paragraphs]
    parts.append('</body></html>')
    return '\n'.join(parts)


def blank_pdf(path: Path) -> str:
    """A valid one-page PDF (Pixeltable accepts it; the cascade's outliner does not read PDFs)."""
    import PIL.Image

    PIL.Image.new('RGB', (64, 64), 'white').save(path)
    return str(path)


def versions(*paths: str) -> list[int]:
    """The current version of each table, from a fresh handle (without describing indexes or loading a model)."""
    from pxwidgets.tables.internals import table_version

    handles = [pxt.get_table(p) for p in paths]
    return [table_version(h) for h in handles if h is not None]
