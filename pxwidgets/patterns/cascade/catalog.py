"""Where a cascade lives in the catalog, and how it is read back (no model is loaded to describe anything).

A cascade named ``ref`` over ``demo/docs`` is a Pixeltable directory ``demo/ref`` holding:

- ``demo/ref/documents``: a view of the source table with one computed column, ``cascade_outline`` (each document's
  text and the spans of its headings, paragraphs and code blocks; a document that fails keeps its error there).
  Its ``custom_metadata`` plays the role ``cascade.cascade``: the source, the content column, the key column.
- one iterator view per level (``demo/ref/sections``, ``demo/ref/sentences``, …) over the documents view, with the
  role ``cascade.level``: its splitter and its embedding key (or ``'bm25'`` for a lexical level), and an embedding
  index named ``cascade_embedding`` on ``unit_text``.

Inserting into the source flows through the documents view into every level and its index: nothing else to keep up.

Example:
    >>> state = read_cascade('demo/ref')  # doctest: +SKIP
    >>> [lv.name for lv in state.levels]  # doctest: +SKIP
    ['sections', 'paragraphs', 'sentences']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pixeltable as pxt

from pxwidgets.patterns.cascade.errors import CascadeNotFoundError
from pxwidgets.patterns.cascade.splitters import describe_splitter, granularity, is_nested
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.tables.internals import fallback_metadata

ROLE_CASCADE = 'cascade.cascade'
"""The role of a cascade's documents view."""

ROLE_LEVEL = 'cascade.level'
"""The role of a level's view."""

DOCS_VIEW = 'documents'
"""The name of the documents view inside a cascade's directory."""

OUTLINE_COLUMN = 'cascade_outline'
"""The documents view's column holding each document's outline."""

INDEX_NAME = 'cascade_embedding'
"""The name of a level's embedding index."""

LEXICAL = 'bm25'
"""The index kind of a lexical level."""

UNIT_COLUMNS = ('doc_key', 'doc_title', 'unit_heading', 'unit_text', 'unit_kind', 'span_start', 'span_end')
"""The columns of a level's units (the iterator's outputs), in :data:`~pxwidgets.patterns.cascade.units.Row` order."""


@dataclass(frozen=True)
class Level:
    """One granularity of a cascade.

    Attributes:
        name: The level's name (its view's name).
        path: Its view's path.
        splitter: Its stored splitter (``{'unit': 'sentence'}``, ``{'unit': 'window', 'size': 128, 'overlap': 32}``).
        embedding: Its embedding key (``'minilm'``, …), or ``None`` for a lexical (BM25) level.
    """

    name: str
    path: str
    splitter: dict[str, Any]
    embedding: str | None

    @property
    def lexical(self) -> bool:
        return self.embedding is None

    @property
    def nested(self) -> bool:
        """Whether its units nest exactly inside coarser nested levels' units."""
        return is_nested(self.splitter)

    @property
    def unit(self) -> str:
        return str(self.splitter.get('unit'))

    def describe(self) -> str:
        index = 'BM25 (lexical)' if self.lexical else f'embedding {self.embedding}'
        return f'{describe_splitter(self.splitter)}; {index}'

    def to_json(self) -> dict[str, Any]:
        return {
            'name': self.name,
            'path': self.path,
            'splitter': dict(self.splitter),
            'embedding': self.embedding,
            'lexical': self.lexical,
            'nested': self.nested,
            'description': self.describe(),
        }


def level_metadata(cascade: str, name: str, splitter: dict[str, Any], embedding: str | None) -> dict[str, Any]:
    """The role data a level's view carries."""
    return {'cascade': cascade, 'level': name, 'splitter': dict(splitter), 'index': embedding or LEXICAL}


@dataclass(frozen=True)
class CascadeState:
    """A cascade as the catalog holds it."""

    path: str
    config: dict[str, Any]
    levels: list[Level]


def _custom_metadata(tbl: pxt.Table) -> Any:
    return fallback_metadata(tbl).get('custom_metadata')


def is_dir(path: str) -> bool:
    """Whether ``path`` is a Pixeltable directory."""
    parent, _, name = path.rpartition('/')
    try:
        return path in pxt.list_dirs(parent, recursive=False) if parent else name in pxt.list_dirs('', recursive=False)
    except Exception:
        return False


def cascade_config(path: str) -> dict[str, Any] | None:
    """The ``cascade.cascade`` role of ``path/documents``, or ``None`` if ``path`` is not a cascade."""
    try:
        docs = pxt.get_table(f'{path}/{DOCS_VIEW}', if_not_exists='ignore')
    except Exception:
        return None
    if docs is None:
        return None
    return read_role(_custom_metadata(docs), ROLE_CASCADE)


def read_cascade(path: str) -> CascadeState:
    """Read a cascade's configuration and levels from the catalog (levels coarse to fine, then by name).

    Raises:
        CascadeNotFoundError: If ``path`` holds no cascade.
    """
    config = cascade_config(path)
    if config is None:
        raise CascadeNotFoundError(
            f'No semantic index cascade at {path!r}.',
            hint='Make one with SemanticIndexCascade(documents_table, content_column).',
        )
    levels = []
    for table_path in pxt.list_tables(path, recursive=False):
        if table_path == f'{path}/{DOCS_VIEW}':
            continue
        tbl = pxt.get_table(table_path, if_not_exists='ignore')
        role = read_role(_custom_metadata(tbl), ROLE_LEVEL) if tbl is not None else None
        if role is None:
            continue
        index = role.get('index')
        levels.append(
            Level(
                name=str(role.get('level') or table_path.rsplit('/', 1)[-1]),
                path=table_path,
                splitter=dict(role.get('splitter') or {}),
                embedding=None if index == LEXICAL else str(index),
            )
        )
    levels.sort(key=lambda lv: (granularity(lv.splitter), lv.name))
    return CascadeState(path, config, levels)


def find_cascades(source: pxt.Table) -> list[str]:
    """The paths of the cascades made over ``source``."""
    found = []
    for view_path in source.list_views(recursive=False):
        if view_path.rsplit('/', 1)[-1] != DOCS_VIEW:
            continue
        view = pxt.get_table(view_path, if_not_exists='ignore')
        if view is not None and read_role(_custom_metadata(view), ROLE_CASCADE) is not None:
            found.append(view_path.rsplit('/', 1)[0])
    return found
