"""Where a cascade lives in the catalog, and how it is read back (no model is loaded to describe anything).

A cascade named ``ref`` over ``demo/docs`` is a Pixeltable directory ``demo/ref`` holding:

- ``demo/ref/documents``: a view of the source table with one computed column, ``cascade_outline`` (each document's
  text and the spans of its headings, paragraphs and code blocks; a document that fails keeps its error there).
  Its ``custom_metadata`` plays the role ``cascade.cascade``: the source, the content column, the key column.
- one iterator view per level (``demo/ref/sections``, ``demo/ref/sentences``, …) over the documents view, with the
  role ``cascade.level``: its splitter and its embedding key (or ``'bm25'`` for a lexical level), and an embedding
  index named ``cascade_embedding`` on ``unit_text``.

Inserting into the source flows through the documents view into every level and its index: nothing else to keep up.

An *adopted* cascade (``SemanticIndexCascade.adopt``) is a directory holding only the documents view; its levels are
views the user made with plain Pixeltable (``document_splitter``, ``string_splitter``, … with an embedding index of
their own), listed in the ``cascade.cascade`` role under ``'adopted'`` (one :class:`AdoptedLevel` record each). Their
views are never opened to describe the cascade: opening a view whose index calls a sentence-transformer loads the model.

Example:
    >>> state = read_cascade('demo/ref')  # doctest: +SKIP
    >>> [lv.name for lv in state.levels]  # doctest: +SKIP
    ['sections', 'paragraphs', 'sentences']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

import pixeltable as pxt

from pxwidgets.patterns.cascade.errors import CascadeNotFoundError
from pxwidgets.patterns.cascade.splitters import describe_splitter, granularity, is_nested
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.tables.internals import fallback_metadata, index_names

ROLE_CASCADE = 'cascade.cascade'
"""The role of a cascade's documents view."""

ROLE_LEVEL = 'cascade.level'
"""The role of a level's view."""

DOCS_VIEW = 'documents'
"""The name of the documents view inside a cascade's directory."""

OUTLINE_COLUMN = 'cascade_outline'
"""The documents view's column holding each document's outline."""

TITLE_COLUMN = 'cascade_title'
"""The documents view's column holding each document's title (from its outline; cascades made before it have none)."""

INDEX_NAME = 'cascade_embedding'
"""The name of a level's embedding index."""

LEXICAL = 'bm25'
"""The index kind of a lexical level."""

UNIT_COLUMNS = ('doc_key', 'doc_title', 'unit_heading', 'unit_text', 'unit_kind', 'span_start', 'span_end')
"""The columns of a level's units (the iterator's outputs), in :data:`~pxwidgets.patterns.cascade.units.Row` order."""


POS_SHIFTS = (40, 20, 0)
"""Bits each depth of an adopted chain takes in a unit's span: a root unit at position ``p`` spans
``[p << 40, (p + 1) << 40)``, its ``q``-th child ``[(p << 40) + (q << 20), … + (1 << 20))`` and so on."""


class AdoptedLevel(TypedDict):
    """How an adopted (hand-made) view is read as a level; kept in the cascade's role under ``'adopted'``."""

    name: str
    path: str
    table_id: str
    """Its Pixeltable table id (its units are counted in the store without opening it)."""
    text: str
    """Its text column (the one its embedding index is on)."""
    index: str
    """The name of its embedding index."""
    embedding: str
    """The index's embedding call, as Pixeltable prints it."""
    iterator: str
    """Its iterator call, as Pixeltable prints it."""
    unit: str
    """What one unit is, read from the iterator: ``section``, ``paragraph``, ``sentence``, ``chunk`` …"""
    title: str | None
    heading: str | None
    chain: list[str]
    """The paths of the adopted levels it descends from, root first, itself last (its span reads their ``pos``)."""
    parent: str | None
    """The level it nests in (its base view), or ``None``."""
    flat: str | None
    """Why it is a flat level (its units cannot be placed inside another level's), or ``None``."""


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
    adopted: AdoptedLevel | None = field(default=None, compare=False)

    @property
    def lexical(self) -> bool:
        return self.embedding is None

    @property
    def nested(self) -> bool:
        """Whether its units nest exactly inside coarser nested levels' units."""
        if self.adopted is not None:
            return self.adopted['flat'] is None
        return is_nested(self.splitter)

    @property
    def text_column(self) -> str:
        """The column holding each unit's text."""
        return self.adopted['text'] if self.adopted is not None else 'unit_text'

    @property
    def index_name(self) -> str:
        """The name of its embedding index."""
        return self.adopted['index'] if self.adopted is not None else INDEX_NAME

    @property
    def unit(self) -> str:
        return str(self.splitter.get('unit'))

    def describe(self) -> str:
        if self.adopted is not None:
            a = self.adopted
            where = f'inside {a["parent"]}' if a['parent'] else ('flat: ' + a['flat'] if a['flat'] else 'root')
            return f'adopted {a["path"]}: {a["iterator"]}; index {a["index"]} ({a["embedding"]}); {where}'
        index = 'BM25 (lexical)' if self.lexical else f'embedding {self.embedding}'
        return f'{describe_splitter(self.splitter)}; {index}'

    def to_json(self) -> dict[str, Any]:
        return {
            'adopted': self.adopted is not None,
            'flat_reason': self.adopted['flat'] if self.adopted is not None else None,
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
    half_built: list[Level] = field(default_factory=list)
    """Levels whose view exists without its embedding index (a process ended between the two): not searchable,
    listed by ``problems()``; ``add_level`` with the same definition completes them."""


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
    levels: list[Level] = []
    half_built: list[Level] = []
    for table_path in pxt.list_tables(path, recursive=False):
        if table_path == f'{path}/{DOCS_VIEW}':
            continue
        tbl = pxt.get_table(table_path, if_not_exists='ignore')
        if tbl is None:
            continue
        role = read_role(_custom_metadata(tbl), ROLE_LEVEL)
        if role is None:
            continue
        index = role.get('index')
        level = Level(
            name=str(role.get('level') or table_path.rsplit('/', 1)[-1]),
            path=table_path,
            splitter=dict(role.get('splitter') or {}),
            embedding=None if index == LEXICAL else str(index),
        )
        (half_built if not level.lexical and INDEX_NAME not in index_names(tbl) else levels).append(level)
    levels.sort(key=lambda lv: (granularity(lv.splitter), lv.name))
    adopted = [adopted_level(a) for a in config.get('adopted') or []]
    adopted.sort(key=lambda lv: (len(lv.adopted['chain']) if lv.adopted else 0, granularity(lv.splitter), lv.name))
    return CascadeState(path, config, levels + adopted, sorted(half_built, key=lambda lv: lv.name))


def adopted_level(record: AdoptedLevel) -> Level:
    """The level an adoption record describes (its embedding key names the index's own embedding call)."""
    return Level(
        name=record['name'],
        path=record['path'],
        splitter={'unit': record['unit'], 'iterator': record['iterator']},
        embedding=f'index:{record["embedding"]}',
        adopted=record,
    )


def find_cascades(source_path: str) -> list[str]:
    """The paths of the cascades made over the table at ``source_path``.

    Looks only at ``<dir>/documents`` views (``list_views()`` would open every view of the source, and opening a view
    whose index calls a sentence-transformer loads the model).
    """
    found = []
    for table_path in pxt.list_tables('', recursive=True):
        parent, _, name = table_path.rpartition('/')
        if name != DOCS_VIEW:
            continue
        config = cascade_config(parent)
        if config is not None and config.get('source') == source_path:
            found.append(parent)
    return sorted(found)
