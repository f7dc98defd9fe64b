"""Document structure and multi-granularity units for the semantic index cascade, defined in a module (restart-safe).

A document is parsed once into a small JSON *outline*: its plain text (blocks joined by blank lines) and the character
span of every heading, paragraph and code block in that text. Every granularity (section, paragraph, sentence, window
of N words) is then cut from the same text, so each unit carries a ``[span_start, span_end)`` span in one coordinate
system per document: a sentence lies inside exactly one paragraph, which lies inside exactly one section.

Why not Pixeltable's ``document_splitter``: it reads a ``.txt`` file as one paragraph, one Markdown heading it cannot
parse aborts the whole view, and its chunks carry no character offsets. Here, a document that cannot be parsed fails
alone (``on_error='ignore'`` on the outline column keeps its error message), and the others are indexed.

Example:
    >>> outline = outline_text('Intro\\n\\nFirst point. Second point.', key='n1', title='Note')
    >>> [(b[0], outline['text'][b[1]:b[2]]) for b in outline['blocks']]
    [('p', 'Intro'), ('p', 'First point. Second point.')]
    >>> [u['unit_text'] for u in units_of(outline, 'sentence')]
    ['Intro', 'First point.', 'Second point.']
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypedDict

import pixeltable as pxt

from pxwidgets.functions.text import sentencizer_dir

UNIT_KINDS = ('section', 'paragraph', 'sentence', 'window')
"""The granularities :func:`units_of` cuts."""


_HEADING_TAGS = {'h1': 1, 'h2': 2, 'h3': 3, 'h4': 4, 'h5': 5, 'h6': 6}
_SKIP_TAGS = {'script', 'style', 'nav', 'head', 'title', 'template', 'noscript'}
_BLOCK_TAGS = {'p', 'pre', 'li', 'blockquote', 'dd', 'dt', 'td', 'th', 'figcaption', 'caption'}
_WS = re.compile(r'\s+')
_WORD = re.compile(r'\S+')


class Unit(TypedDict):
    """One row of a cascade level: a unit of text and where it sits in its document."""

    unit_text: str
    unit_kind: str
    doc_key: str
    doc_title: str
    unit_heading: str
    span_start: int
    span_end: int


# ---------------------------------------------------------------------------------------------------- outlines


class _Builder:
    """Accumulates blocks into one text, recording each block's span."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[list[Any]] = []
        self.length = 0

    def add(self, kind: str, text: str, level: int = 0) -> None:
        text = text.strip('\n') if kind == 'code' else _WS.sub(' ', text).strip()
        if not text.strip():
            return
        if self.parts:
            self.parts.append('\n\n')
            self.length += 2
        self.blocks.append([kind, self.length, self.length + len(text), level])
        self.parts.append(text)
        self.length += len(text)

    def outline(self, key: str, title: str, fmt: str) -> dict[str, Any]:
        text = ''.join(self.parts)
        if not title:
            title = next((text[start:end] for kind, start, end, _ in self.blocks if kind == 'h'), '')
        return {'key': key, 'title': title or key, 'format': fmt, 'text': text, 'blocks': self.blocks}


def outline_text(text: str, *, key: str, title: str = '') -> dict[str, Any]:
    """The outline of plain text: paragraphs separated by blank lines; Markdown-style ``#`` lines are headings.

    Args:
        text: The text.
        key: The document's key (unique within the corpus).
        title: Its title ('' = its first heading, else the key).

    Example:
        >>> outline_text('# T\\n\\nBody.', key='k')['blocks']
        [['h', 0, 1, 1], ['p', 3, 8, 0]]
    """
    b = _Builder()
    for para in re.split(r'\n\s*\n', text.replace('\r\n', '\n')):
        stripped = para.strip()
        match = re.match(r'^(#{1,6})\s+(.*)$', stripped)
        if match and '\n' not in stripped:
            b.add('h', match.group(2), len(match.group(1)))
        else:
            b.add('p', stripped)
    return b.outline(key, title, 'text')


def outline_html(markup: str, *, key: str) -> dict[str, Any]:
    """The outline of an HTML document: ``<h1>``-``<h6>`` headings, ``<p>``/``<li>``/... paragraphs, ``<pre>`` code.

    Text outside any block element (loose text in ``<body>`` or a ``<div>``) becomes a paragraph of its own.

    Example:
        >>> o = outline_html('<title>T</title><h1>A</h1><p>x <b>y</b></p><pre>a = 1</pre>', key='k')
        >>> o['title'], [o['text'][s:e] for _, s, e, _ in o['blocks']]
        ('T', ['A', 'x y', 'a = 1'])
    """
    import bs4

    soup = bs4.BeautifulSoup(markup, 'html.parser')
    title_tag = soup.find('title')
    title = _WS.sub(' ', title_tag.get_text()).strip() if title_tag is not None else ''
    root = soup.body if soup.body is not None else soup
    b = _Builder()
    loose: list[str] = []

    def flush() -> None:
        if loose:
            b.add('p', ' '.join(loose))
            loose.clear()

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, bs4.element.Comment | bs4.element.Doctype | bs4.element.ProcessingInstruction):
                continue
            if isinstance(child, bs4.element.NavigableString):
                if child.strip():
                    loose.append(str(child))
                continue
            name = (child.name or '').lower()
            if name in _SKIP_TAGS:
                continue
            if name in _HEADING_TAGS:
                flush()
                b.add('h', child.get_text(' '), _HEADING_TAGS[name])
            elif name == 'pre':
                flush()
                b.add('code', child.get_text())
            elif name in _BLOCK_TAGS and not child.find(list(_BLOCK_TAGS | set(_HEADING_TAGS))):
                flush()
                b.add('p', child.get_text(' '))
            else:
                walk(child)
                if name in ('div', 'section', 'article', 'ul', 'ol', 'table', 'br', 'main', 'body'):
                    flush()

    walk(root)
    flush()
    return b.outline(key, title, 'html')


def _md_text(node: Any) -> str:
    if isinstance(node, list):
        return ''.join(_md_text(n) for n in node)
    if not isinstance(node, dict):
        return ''
    if 'raw' in node:
        return str(node['raw'])
    if node.get('type') in ('linebreak', 'softbreak'):
        return ' '
    return _md_text(node.get('children', []))


def outline_markdown(markup: str, *, key: str) -> dict[str, Any]:
    """The outline of a Markdown document (any inline markup in headings is fine, unlike Pixeltable's splitter).

    Example:
        >>> o = outline_markdown('# **Bold** title\\n\\nText.\\n\\n```\\ncode\\n```', key='k')
        >>> [o['text'][s:e] for _, s, e, _ in o['blocks']]
        ['Bold title', 'Text.', 'code']
    """
    import mistune

    ast = mistune.create_markdown(renderer=None)(markup)
    b = _Builder()

    def walk(nodes: Any) -> None:
        for node in nodes if isinstance(nodes, list) else []:
            kind = node.get('type')
            if kind == 'heading':
                b.add('h', _md_text(node.get('children', [])), int(node.get('attrs', {}).get('level', 1)))
            elif kind == 'block_code':
                b.add('code', str(node.get('raw', '')))
            elif kind in ('paragraph', 'block_text'):
                b.add('p', _md_text(node.get('children', [])))
            else:
                walk(node.get('children', []))

    walk(ast if isinstance(ast, list) else [])
    return b.outline(key, '', 'markdown')


def outline_file(path: str | Path, key: str | None = None) -> dict[str, Any]:
    """The outline of a document file (``.html``/``.htm``, ``.md``, ``.txt``); its key is the file name's stem.

    Args:
        path: The file.
        key: The document's key (default: the file name without its suffix).

    Raises:
        ValueError: For other formats (PDF, Office): split those with Pixeltable's ``document_splitter``.
        UnicodeDecodeError: If the file is not UTF-8 text.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    key = key or p.stem
    readers: dict[str, Callable[..., dict[str, Any]]] = {
        '.html': outline_html,
        '.htm': outline_html,
        '.xhtml': outline_html,
    }
    readers |= {'.md': outline_markdown, '.markdown': outline_markdown}
    readers |= {'.txt': outline_text, '.text': outline_text, '.rst': outline_text, '': outline_text}
    reader = readers.get(suffix)
    if reader is None:
        raise ValueError(
            f'cannot outline a {suffix} document ({p.name}): HTML, Markdown and plain text are supported; '
            "split PDFs and Office files with Pixeltable's document_splitter"
        )
    return reader(p.read_bytes().decode('utf-8'), key=key)


@pxt.udf
def document_outline(doc: pxt.Document, key: str | None = None) -> pxt.Json:
    """The outline of a document (see :func:`outline_file`), for a cascade's documents view.

    Example:
        >>> docs.add_computed_column(cascade_outline=document_outline(docs.doc), on_error='ignore')  # doctest: +SKIP
    """
    return outline_file(doc, key)  # type: ignore[return-value]


@pxt.udf
def text_outline(text: str, key: str) -> pxt.Json:
    """The outline of a string value (see :func:`outline_text`); ``key`` names the document."""
    return outline_text(text, key=key)  # type: ignore[return-value]


@pxt.udf
def outline_title(outline: dict) -> str:
    """An outline's title (its key when it has none), stored beside it so that titles are paged and searched in SQL.

    Example:
        >>> docs.add_computed_column(cascade_title=outline_title(docs.cascade_outline))  # doctest: +SKIP
    """
    return str(outline.get('title') or outline.get('key') or '')


# ---------------------------------------------------------------------------------------------------- units


@functools.cache
def _nlp() -> Any:
    import spacy

    return spacy.load(str(sentencizer_dir()))


_nlp_lock = threading.Lock()


def _sentences(text: str, offset: int) -> Iterator[tuple[int, int]]:
    with _nlp_lock:
        doc = _nlp()(text)
    for sent in doc.sents:
        chunk = sent.text
        lead = len(chunk) - len(chunk.lstrip())
        stripped = chunk.strip()
        if stripped:
            start = offset + sent.start_char + lead
            yield start, start + len(stripped)


def _headings_at(outline: dict[str, Any]) -> list[str]:
    """The heading path in force at each block (' › '-joined)."""
    text = outline['text']
    stack: list[tuple[int, str]] = []
    paths = []
    for kind, start, end, level in outline['blocks']:
        if kind == 'h':
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, text[start:end])]
        paths.append(' › '.join(t for _, t in stack))
    return paths


def units_of(outline: dict[str, Any] | None, unit: str, *, size: int = 0, overlap: int = 0) -> Iterator[Unit]:
    """Cut one granularity out of a document outline.

    Args:
        outline: A value of :func:`document_outline` / :func:`outline_text` (``None``: a document that failed).
        unit: ``'section'`` (a heading and everything up to the next heading), ``'paragraph'`` (a paragraph or code
            block), ``'sentence'`` (spaCy's rule-based sentencizer inside each paragraph; a code block stays whole)
            or ``'window'`` (``size`` words, each window starting ``size - overlap`` words after the previous one).
        size: Words per window.
        overlap: Words shared by consecutive windows (``0 <= overlap < size``).

    Yields:
        Units in document order, each with its span in the outline's text.

    Example:
        >>> o = outline_text('# A\\n\\nOne two three.\\n\\n# B\\n\\nFour.', key='k')
        >>> [(u['unit_text'], u['unit_heading']) for u in units_of(o, 'section')]
        [('A\\n\\nOne two three.', 'A'), ('B\\n\\nFour.', 'B')]
        >>> [u['unit_text'] for u in units_of(o, 'window', size=3, overlap=1)]
        ['A One two', 'two three. B', 'B Four.']
    """
    if outline is None:
        return
    text: str = outline['text']
    blocks = outline['blocks']
    headings = _headings_at(outline)
    key, title = str(outline['key']), str(outline.get('title') or outline['key'])

    def make(kind: str, start: int, end: int, heading: str, body: str | None = None) -> Unit:
        return Unit(
            unit_text=text[start:end] if body is None else body,
            unit_kind=kind,
            doc_key=key,
            doc_title=title,
            unit_heading=heading,
            span_start=start,
            span_end=end,
        )

    if unit == 'section':
        current: list[int] | None = None  # [start, end, block index of its heading]
        for i, (kind, start, end, _level) in enumerate(blocks):
            if kind == 'h' or current is None:
                if current is not None:
                    yield make('section', current[0], current[1], headings[current[2]])
                current = [start, end, i]
            else:
                current[1] = end
        if current is not None:
            yield make('section', current[0], current[1], headings[current[2]])
    elif unit == 'paragraph':
        for i, (kind, start, end, _level) in enumerate(blocks):
            if kind != 'h':
                yield make('code' if kind == 'code' else 'paragraph', start, end, headings[i])
    elif unit == 'sentence':
        for i, (kind, start, end, _level) in enumerate(blocks):
            if kind == 'code':
                yield make('code', start, end, headings[i])
            elif kind == 'p':
                for s, e in _sentences(text[start:end], start):
                    yield make('sentence', s, e, headings[i])
    elif unit == 'window':
        if size < 1 or not 0 <= overlap < size:
            raise ValueError(f'a window needs size >= 1 and 0 <= overlap < size (got size={size}, overlap={overlap})')
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        starts = [b[1] for b in blocks]
        step = size - overlap
        for first in range(0, max(len(words) - overlap, 1), step):
            chunk = words[first : first + size]
            if not chunk:
                break
            start, end = chunk[0][0], chunk[-1][1]
            block = max(0, _bisect_right(starts, start) - 1)
            body = ' '.join(text[s:e] for s, e in chunk)
            yield make('window', start, end, headings[block] if headings else '', body)
            if first + size >= len(words):
                break
    else:
        raise ValueError(f'unknown unit {unit!r}; expected one of {", ".join(UNIT_KINDS)}')


def _bisect_right(values: list[int], x: int) -> int:
    import bisect

    return bisect.bisect_right(values, x)


@pxt.iterator
def cascade_units(outline: pxt.Json, unit: str, *, size: int = 0, overlap: int = 0) -> Iterator[Unit]:
    """Pixeltable iterator: the units of one granularity of a document outline (see :func:`units_of`).

    A document whose outline is null (it failed to parse; its error is kept on the outline column) has no units.

    Example:
        >>> pxt.create_view('demo/ref/sentences', docs,
        ...                 iterator=cascade_units(docs.cascade_outline, unit='sentence'))  # doctest: +SKIP
    """
    yield from units_of(outline, unit, size=size, overlap=overlap)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------- embeddings
