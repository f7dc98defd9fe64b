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
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pxwidgets.patterns.cascade.catalog import OUTLINE_COLUMN
from pxwidgets.patterns.cascade.store import doc_stem, level_counts
from pxwidgets.tables.internals import table_version

if TYPE_CHECKING:
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


def documents(c: SemanticIndexCascade) -> list[dict[str, Any]]:
    """Every document: its key, title and its outline's error (see ``SemanticIndexCascade.documents``)."""
    docs = c.table()
    # what names a document: its key column or its file's URL (never its whole text)
    column = docs[c.key_column] if c.key_column else docs[c.content_column].fileurl
    if OUTLINE_COLUMN not in docs.columns():  # adopted: its views split the documents
        keys = {c.doc_key_of(str(v)) for v in docs.select(v=column).collect()['v'] if v is not None}
        return [{'key': k, 'title': k, 'error': None} for k in sorted(keys)]
    col = docs[OUTLINE_COLUMN]
    fields = {'key': col['key'], 'title': col['title'], 'errortype': col.errortype, 'errormsg': col.errormsg}
    built = [lv for lv in c.levels if lv.adopted is None]
    if not c.key_column or not built:
        return _listed(docs.select(**fields, content=column).collect())
    # An outline holds its document's whole text and Pixeltable reads a JSON field only after fetching the whole
    # value: take titles from the coarsest built level (its units carry them) and read the outlines of the few
    # documents it does not name (failed or empty ones) only.
    lv = c.table(built[0].name)
    titled = lv.group_by(lv.doc_key, lv.doc_title).select(key=lv.doc_key, title=lv.doc_title).collect()
    out = [{'key': str(r['key']), 'title': str(r['title'] or r['key']), 'error': None} for r in titled]
    named = {d['key'] for d in out}
    rest = sorted({str(k) for k in docs.select(k=column).collect()['k'] if k is not None} - named)
    if rest:
        out += _listed(docs.where(column.isin(rest)).select(**fields, content=column).collect())
    return sorted(out, key=lambda d: d['key'])


def _listed(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Documents from rows of their outline's key, title and error."""
    out = []
    for r in rows:
        error = None if r['errortype'] is None else f'{r["errortype"]}: {r["errormsg"]}'
        key = r['key'] if r['key'] is not None else str(r['content'])[-80:]
        out.append({'key': str(key), 'title': str(r['title'] or key), 'error': error})
    return sorted(out, key=lambda d: d['key'])


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
    return half + [d for d in documents(c) if d['error'] is not None]


def stats(c: SemanticIndexCascade) -> list[dict[str, Any]]:
    """Per level: its definition, units, documents with units, mean words (see ``SemanticIndexCascade.stats``)."""
    return [{**lv.to_json(), **level_counts(c, lv)} for lv in c.levels]
