"""A cascade's documents: their keys (a file's stem, unless two files share it), the list the panel shows, the
documents and half-built levels that need attention, and each level's counts.

Every function reads through the cascade's public methods (``table``, ``table_at``, ``levels``, ``doc_key_of``).

Example:
    >>> keys = DocKeys()
    >>> keys.maps(['file:///d/try.html', 'file:///e/try.html', 'file:///d/for.html'], version=1)[0]['file:///d/for.html']
    'for'
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from pxwidgets.patterns.cascade.catalog import OUTLINE_COLUMN, TITLE_COLUMN
from pxwidgets.patterns.cascade.store import doc_stem
from pxwidgets.tables.internals import table_version

if TYPE_CHECKING:
    import pixeltable as pxt

    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade
    from pxwidgets.patterns.cascade.tables import CascadeTables


class DocKeys:
    """Stored document value → key and back, cached per version of the documents table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[int, dict[str, str], dict[str, str]] | None = None

    def maps(self, values: Iterable[str], version: int) -> tuple[dict[str, str], dict[str, str]]:
        """The maps for these stored values (a file URL's stem, or the whole URL where two stems collide)."""
        stems: dict[str, list[str]] = {}
        for v in values:
            stems.setdefault(doc_stem(v), []).append(v)
        to_key = {v: (s if len(vs) == 1 else v) for s, vs in stems.items() for v in vs}
        to_value = {k: v for v, k in to_key.items()}
        with self._lock:
            self._cached = (version, to_key, to_value)
        return to_key, to_value

    def of(self, c: CascadeTables) -> tuple[dict[str, str], dict[str, str]]:
        """The maps of the cascade's documents table (read again when its version changed)."""
        source = c.table_at(c.source)
        version = table_version(source)
        with self._lock:
            cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        column = source[c.content_column]
        values = [str(v) for v in source.select(v=column.fileurl).collect()['v'] if v is not None]
        return self.maps(values, version)


DOC_PAGE = 100
"""Documents per page of :func:`page` (the panel's first paint lists one page)."""

TITLE_MATCHES = 200
"""At most this many documents found by their title join a search's key matches."""


def _name(c: CascadeTables, docs: pxt.Table) -> Any:
    """What names a document in the documents view: its key column or its file's URL (never its whole text)."""
    return docs[c.key_column] if c.key_column else docs[c.content_column].fileurl


def _url_stem(value: str) -> str:
    """An outline's key for a file URL: the file name's stem (what ``outline_file`` names a document by)."""
    return doc_stem(unquote(urlparse(value).path) or value)


def _title_level(c: CascadeTables) -> str | None:
    """The coarsest built level (its units carry their document's key and title), if any."""
    return next((lv.name for lv in c.levels if lv.adopted is None), None)


def page(
    c: SemanticIndexCascade, search: str | None = None, *, offset: int = 0, limit: int | None = DOC_PAGE
) -> tuple[list[dict[str, Any]], int]:
    """One page of documents (key, title, error) in the database's order of their names, and how many there are.

    Costs what the page costs: the documents view is counted and paged in SQL with each document's title (its
    ``cascade_title`` column) and error, and no outline is read. A cascade made before that column existed takes the
    titles from the coarsest built level's units of the page's documents and reads the outlines of the page's
    documents without units.

    Args:
        c: The cascade.
        search: Only documents whose key (a file's URL for ``Document`` cascades) or title contains it, ignoring case,
            matched in SQL (a keyed cascade made before the title column: over the coarsest built level's units, up
            to :data:`TITLE_MATCHES` documents; a ``Document`` one: by file URL only).
        offset: Documents to skip.
        limit: The page's size (``None``: all of them).

    Example:
        >>> docs, total = page(cascade, 'exc', limit=20)  # doctest: +SKIP
    """
    docs = c.table()
    name = _name(c, docs)
    titles = TITLE_COLUMN in docs.columns()
    query: Any = docs
    if search:
        found = name.contains(search, case=False)
        if titles:
            found = found | docs[TITLE_COLUMN].contains(search, case=False)
        elif c.key_column:  # made before the title column: titles from the coarsest level's units
            titled = _title_matches(c, search)
            if titled:
                found = found | name.isin(titled)
        query = docs.where(found)
    total = int(query.count())
    outlined = OUTLINE_COLUMN in docs.columns()
    fields = {'v': name}
    if outlined:
        col = docs[OUTLINE_COLUMN]
        fields |= {'errortype': col.errortype, 'errormsg': col.errormsg}
    if titles:
        fields['title'] = docs[TITLE_COLUMN]
    ordered = query.order_by(name)
    if limit is not None or offset:
        ordered = ordered.limit(limit if limit is not None else total, offset=offset or None)
    rows = [r for r in ordered.select(**fields).collect() if r['v'] is not None]
    if not outlined:  # adopted: its views split the documents
        keys = [c.doc_key_of(str(r['v'])) for r in rows]
        return [{'key': k, 'title': k, 'error': None} for k in keys], total
    return _described(c, rows), total


def _described(c: CascadeTables, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Key, title and error of a page's rows (``v``: the name column's value; the outline's error)."""
    out: list[dict[str, Any]] = []
    for r in rows:
        value = str(r['v'])
        if r['errortype'] is not None:  # failed: no outline to name it
            out.append({'key': value[-80:], 'title': value[-80:], 'error': f'{r["errortype"]}: {r["errormsg"]}'})
        else:
            key = value if c.key_column else _url_stem(value)
            out.append({'key': key, 'title': r.get('title'), 'error': None, 'v': value})
    untitled = [d for d in out if d['title'] is None]
    level = _title_level(c)
    if untitled and level is not None:
        lv = c.table(level)
        keys = sorted({d['key'] for d in untitled})
        found = lv.where(lv.doc_key.isin(keys)).group_by(lv.doc_key, lv.doc_title)
        titles = {str(t['k']): t['t'] for t in found.select(k=lv.doc_key, t=lv.doc_title).collect()}
        for d in untitled:
            d['title'] = titles.get(d['key'])
    rest = [d['v'] for d in out if d['title'] is None and d['error'] is None]
    if rest:  # documents without units (or no built level yet): their outlines, for this page only
        docs = c.table()
        name, col = _name(c, docs), docs[OUTLINE_COLUMN]
        read = docs.where(name.isin(rest)).select(v=name, key=col['key'], title=col['title']).collect()
        outlines = {str(r['v']): r for r in read}
        for d in out:
            o = outlines.get(d.get('v', ''))
            if d['title'] is None and o is not None:
                d['key'] = str(o['key'] if o['key'] is not None else d['key'])
                d['title'] = o['title']
    return [{'key': d['key'], 'title': str(d['title'] or d['key']), 'error': d['error']} for d in out]


def _title_matches(c: CascadeTables, search: str) -> list[str]:
    """Keys of documents whose title contains ``search`` (ignoring case), from the coarsest built level's units."""
    level = _title_level(c)
    if level is None:
        return []
    lv = c.table(level)
    found = lv.where(lv.doc_title.contains(search, case=False)).group_by(lv.doc_key).order_by(lv.doc_key)
    return [str(k) for k in found.select(k=lv.doc_key).limit(TITLE_MATCHES).collect()['k']]


def documents(c: SemanticIndexCascade) -> list[dict[str, Any]]:
    """Every document: its key, title and its outline's error (see ``SemanticIndexCascade.documents``)."""
    return sorted(page(c, limit=None)[0], key=lambda d: d['key'])


def failed(c: SemanticIndexCascade, *, limit: int | None = DOC_PAGE) -> tuple[list[dict[str, Any]], int]:
    """The documents whose outline failed (a page of them, and how many), found in SQL by the outline's error."""
    docs = c.table()
    if OUTLINE_COLUMN not in docs.columns():
        return [], 0
    col, name = docs[OUTLINE_COLUMN], _name(c, docs)
    query = docs.where(col.errortype != None)  # noqa: E711  (a SQL IS NOT NULL)
    total = int(query.count())
    if not total:
        return [], 0
    ordered = query.order_by(name)
    if limit is not None:
        ordered = ordered.limit(limit)
    rows = ordered.select(v=name, errortype=col.errortype, errormsg=col.errormsg).collect()  # no title: failed
    return _described(c, list(rows)), total


def problems(c: SemanticIndexCascade) -> list[dict[str, Any]]:
    """Half-built levels, then the documents that could not be split (see ``SemanticIndexCascade.problems``)."""
    half = [
        {
            'key': lv.path,
            'title': f'level {lv.name}',
            'level': lv.name,
            'error': f'half-built: its view has no embedding index ({lv.describe()}); '
            f'add_level({lv.name!r}, ...) with the same definition completes it',
        }
        for lv in c.half_built
    ]
    return half + failed(c, limit=None)[0]


def stats(c: SemanticIndexCascade, *, count: bool = True) -> list[dict[str, Any]]:
    """Per level: its definition, units, documents with units, mean words (see ``SemanticIndexCascade.stats``)."""
    return [{**lv.to_json(), **c.counts(lv, count=count)} for lv in c.levels]
