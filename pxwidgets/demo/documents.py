"""A real text corpus that ships with Python: the language reference topics of ``pydoc_data.topics``.

Each of the 79 topics (``'assert'``, ``'try'``, ``'customization'``, ...) is written as one small HTML file with
``<h1>``-``<h4>`` headings and one ``<p>`` per paragraph (literal code blocks as ``<pre>``). HTML rather than plain
text or Markdown, because Pixeltable's ``document_splitter`` treats a ``.txt`` file as a single paragraph, and one
Markdown heading it cannot parse aborts a whole view; the HTML versions split into ~2,000 heading/paragraph chunks.

Example:
    >>> from pxwidgets.demo.documents import reference_documents, reference_title
    >>> paths = reference_documents(3)
    >>> [p.name for p in paths], reference_title('assert')
    (['assert.html', 'assignment.html', 'async.html'], 'The "assert" statement')
"""

from __future__ import annotations

import functools
import html
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pxwidgets.demo.cache import cache_dir, cached_file

# reST underline characters as rendered by pydoc -> HTML heading level
_UNDERLINES = {'*': 1, '=': 2, '-': 3, '~': 4}


@dataclass(frozen=True)
class Block:
    """One block of a topic: a heading, a paragraph or a literal (code) block."""

    kind: Literal['heading', 'paragraph', 'code']
    text: str
    level: int = 0


def _topics() -> dict[str, str]:
    from pydoc_data.topics import topics

    return dict(topics)


def reference_topics() -> list[str]:
    """The names of the language reference topics, sorted.

    Returns:
        Topic names such as ``'assert'`` (79 in CPython 3.11-3.13).

    Example:
        >>> reference_topics()[:3]
        ['assert', 'assignment', 'async']
    """
    return sorted(_topics())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(' '))


def _is_underline(line: str, title: str) -> bool:
    stripped = line.rstrip()
    return (
        len(stripped) >= 3
        and stripped[0] in _UNDERLINES
        and set(stripped) == {stripped[0]}
        and bool(title.strip())
        and _indent(title) == 0
        and len(stripped) >= len(title.rstrip()) - 1
    )


# Admonition labels: the indented block after one is prose, not code.
_ADMONITIONS = frozenset(
    {'Note:', 'See also:', 'Warning:', 'Caution:', 'Important:', 'Tip:', 'Hint:', 'Attention:', 'Danger:', 'Error:'}
)
_BULLETS = ('* ', '- ', '+ ')


def _starts_literal(blocks: list[Block], lines: list[str], i: int) -> bool:
    """Whether the indented block starting at ``lines[i]`` is a literal (code) block."""
    prev = blocks[-1] if blocks else None
    if prev is not None and prev.kind == 'paragraph' and prev.text in _ADMONITIONS:
        return False
    if prev is not None and prev.kind == 'paragraph' and prev.text.endswith(':'):
        return True
    first = lines[i].strip()
    if first.startswith(('>>>', '$ ')) or '::=' in first:
        return True
    if first.startswith(_BULLETS) or first[:1].isdigit():
        return False
    block = []
    for ln in lines[i:]:
        if not ln.strip():
            break
        block.append(ln)
    return any(_indent(ln) > _indent(block[0]) for ln in block[1:])


def parse_topic(text: str) -> list[Block]:
    """Split the plain text of one topic into headings, paragraphs and literal blocks.

    Headings are lines underlined with ``*``, ``=``, ``-`` or ``~`` (levels 1-4). Paragraphs are separated by blank
    lines; their lines are joined with single spaces. An indented block is a literal block (code or grammar, keeping
    its lines and relative indentation) when it follows a paragraph ending with ``:`` (other than an admonition label
    such as ``Note:``), starts with ``>>>`` or holds a grammar rule, or indents some of its lines further. Grid tables
    are literal blocks too.

    Args:
        text: A value of ``pydoc_data.topics.topics``.

    Returns:
        The blocks in document order.

    Example:
        >>> [b.kind for b in parse_topic('Title\\n*****\\n\\nIt is:\\n\\n   x = 1\\n\\nDone.\\n')]
        ['heading', 'paragraph', 'code', 'paragraph']
    """
    lines = text.replace('\r\n', '\n').split('\n')
    blocks: list[Block] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if i + 1 < n and _is_underline(lines[i + 1], line):
            blocks.append(Block('heading', line.strip(), _UNDERLINES[lines[i + 1].strip()[0]]))
            i += 2
            continue
        indent = _indent(line)
        if indent > 0 and _starts_literal(blocks, lines, i):
            # literal block: runs through blank lines while the next text is indented at least as much
            start = i
            end = i
            j = i
            while j < n:
                if lines[j].strip():
                    if _indent(lines[j]) < indent:
                        break
                    end = j
                j += 1
            code_lines = [ln[indent:] if ln.strip() else '' for ln in lines[start : end + 1]]
            blocks.append(Block('code', '\n'.join(code_lines).rstrip()))
            i = end + 1
            continue
        if line.lstrip().startswith('+-') and line.rstrip().endswith('+'):
            # grid table: keep it as drawn
            table = []
            while i < n and lines[i].strip():
                table.append(lines[i][indent:])
                i += 1
            blocks.append(Block('code', '\n'.join(table).rstrip()))
            continue
        para: list[str] = []
        while i < n and lines[i].strip():
            if i + 1 < n and para and _is_underline(lines[i + 1], lines[i]):
                break
            para.append(lines[i].strip())
            i += 1
        blocks.append(Block('paragraph', ' '.join(para)))
    return blocks


def topic_html(topic: str) -> str:
    """The HTML document written for one reference topic.

    Args:
        topic: A name from :func:`reference_topics`.

    Returns:
        A complete, HTML-escaped document: ``<title>``, headings, ``<p>`` paragraphs and ``<pre>`` literal blocks.

    Raises:
        KeyError: If there is no such topic.

    Example:
        >>> '<h1>The &quot;assert&quot; statement</h1>' in topic_html('assert')
        True
    """
    blocks = parse_topic(_topics()[topic])
    title = reference_title(topic)
    out = [
        '<!DOCTYPE html>',
        '<html lang="en">',
        '<head>',
        '<meta charset="utf-8">',
        f'<title>{html.escape(title)}</title>',
        f'<meta name="topic" content="{html.escape(topic)}">',
        '</head>',
        '<body>',
    ]
    for block in blocks:
        text = html.escape(block.text)
        if block.kind == 'heading':
            out.append(f'<h{block.level}>{text}</h{block.level}>')
        elif block.kind == 'code':
            out.append(f'<pre>{text}</pre>')
        else:
            out.append(f'<p>{text}</p>')
    out += ['</body>', '</html>', '']
    return '\n'.join(out)


def reference_title(topic: str | Path) -> str:
    """The title (first heading) of a reference topic.

    Args:
        topic: A topic name, or a path that :func:`reference_documents` returned.

    Returns:
        The title, e.g. ``'The "assert" statement'``; the topic name when the topic has no heading.

    Example:
        >>> reference_title('try')
        'The "try" statement'
    """
    name = Path(topic).stem if isinstance(topic, Path) else topic
    for block in parse_topic(_topics()[name]):
        if block.kind == 'heading':
            return block.text
    return name


def reference_documents(n: int | None = None, *, topics: Sequence[str] | None = None) -> list[Path]:
    """Write the language reference topics as HTML files into the cache (once) and return their paths.

    Args:
        n: How many documents, taken from the sorted topic list (None: all 79).
        topics: Explicit topic names instead (then ``n`` further limits their number).

    Returns:
        ``<topic>.html`` paths, sorted by topic name unless ``topics`` gives an order.

    Raises:
        KeyError: If a name in ``topics`` is not a topic.
        ValueError: If ``n`` is negative.

    Example:
        >>> reference_documents(topics=['try', 'with'])[1].name
        'with.html'
    """
    if n is not None and n < 0:
        raise ValueError(f'n must be >= 0, got {n}')
    names = list(topics) if topics is not None else reference_topics()
    all_topics = _topics()
    for name in names:
        if name not in all_topics:
            raise KeyError(f'no such reference topic: {name!r}')
    if n is not None:
        names = names[:n]
    folder = cache_dir('docs', f'python{sys.version_info.major}.{sys.version_info.minor}')
    return [cached_file(folder / f'{name}.html', functools.partial(_write_topic, name)) for name in names]


def _write_topic(topic: str, tmp: Path) -> None:
    tmp.write_text(topic_html(topic), encoding='utf-8')
