"""Building a cascade: its definition checked against the documents table, its documents view with their outlines,
and its levels (an iterator view each, with an embedding index or none for BM25), removed again when a step fails.

Example:
    >>> define('demo/docs', 'doc', name='ref', dir=None, key_column=None)  # doctest: +SKIP
    'demo/ref'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pixeltable as pxt

from pxwidgets.errors import CancelledError, InvalidRequestError, InvalidStageNameError, PxWidgetsError
from pxwidgets.functions.cascade import cascade_units, document_outline, outline_title, text_outline
from pxwidgets.patterns.cascade.catalog import (
    DOCS_VIEW,
    INDEX_NAME,
    OUTLINE_COLUMN,
    ROLE_CASCADE,
    ROLE_LEVEL,
    TITLE_COLUMN,
    Level,
    cascade_config,
    is_dir,
    level_metadata,
)
from pxwidgets.patterns.cascade.embeddings import resolve_embedding
from pxwidgets.patterns.cascade.errors import CascadeConflictError, LevelBuildError, LevelNameError
from pxwidgets.patterns.cascade.splitters import parse_splitter
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.plans import Plan, Step
from pxwidgets.tables.internals import column_facts, table_version, type_kind
from pxwidgets.tables.resolve import open_table, table_path

if TYPE_CHECKING:
    from pxwidgets.patterns.cascade.cascade import SemanticIndexCascade

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``; raising from it (e.g. ``CancelledError``) stops the work cleanly."""


def define(
    documents_table: pxt.Table | str,
    content_column: str,
    *,
    name: str | None,
    dir: str | None,
    key_column: str | None,
) -> str:
    """Check a cascade's definition, create it if it is new, and return its path (see ``SemanticIndexCascade``).

    Raises:
        TableNotFoundError: If there is no such table.
        InvalidRequestError: If the content or key column is missing or has the wrong type.
        CascadeConflictError: If a cascade of that name exists over another table or column.
    """
    source = open_table(documents_table)
    source_path = table_path(source)
    parent, _, table_name = source_path.rpartition('/')
    cascade_name = validate_stage_name(name if name is not None else f'{table_name}_cascade')
    base_dir = parent if dir is None else dir.strip('/')
    path = f'{base_dir}/{cascade_name}' if base_dir else cascade_name
    facts = {f.name: f for f in column_facts(source)}
    content = facts.get(content_column)
    if content is None:
        raise InvalidRequestError(
            f'{source_path} has no column {content_column!r}.', hint=f'Columns: {", ".join(facts)}.'
        )
    kind = type_kind(content.col_type)
    if kind not in ('document', 'string'):
        raise InvalidRequestError(
            f'Column {content_column!r} holds {kind} values; a cascade indexes Document or String columns.'
        )
    if key_column is not None:
        key_fact = facts.get(key_column)
        if key_fact is None or type_kind(key_fact.col_type) != 'string':
            raise InvalidRequestError(f'key_column {key_column!r} must be a String column of {source_path}.')
    elif kind == 'string':
        raise InvalidRequestError(
            'A String content column needs key_column: the column that names each document.',
            hint=f"e.g. SemanticIndexCascade({source_path!r}, {content_column!r}, key_column='title')",
        )
    config = {'source': source_path, 'content_column': content_column, 'key_column': key_column, 'format': 1}
    existing = cascade_config(path)
    if existing is not None:
        same = {k: existing.get(k) for k in ('source', 'content_column', 'key_column')}
        if same != {k: config[k] for k in same}:
            raise CascadeConflictError(
                f'A cascade at {path!r} already indexes {existing.get("source")}.{existing.get("content_column")}.',
                hint='Open it with SemanticIndexCascade.open(path), or give this one another name=.',
            )
    else:
        create(path, source, config, kind)
    return path


def create(path: str, source: pxt.Table, config: dict[str, Any], kind: str, *, outline: bool = True) -> None:
    """The cascade's directory and documents view (with each document's outline unless ``outline`` is false: an
    adopted cascade gets it with its first built level); nothing is left when it fails."""
    if pxt.get_table(path, if_not_exists='ignore') is not None:
        raise CascadeConflictError(f'{path!r} is a table; a cascade needs a directory of that name.')
    made_dir = not is_dir(path)
    if made_dir:
        pxt.create_dir(path, parents=True, if_exists='ignore')
    elif pxt.list_tables(path, recursive=False):
        raise CascadeConflictError(
            f'The directory {path!r} already holds tables that are not a cascade.', hint='Choose another name=.'
        )
    try:
        docs: pxt.Table = pxt.create_view(  # type: ignore[assignment]
            f'{path}/{DOCS_VIEW}',
            source,
            custom_metadata=role_metadata(ROLE_CASCADE, config),
            comment=f'pxwidgets: the documents of the semantic index cascade {path}',
        )
        if outline:
            add_outline(docs, config, kind)
    except Exception:
        if made_dir:
            pxt.drop_dir(path, force=True, if_not_exists='ignore')
        else:
            pxt.drop_table(f'{path}/{DOCS_VIEW}', force=True, if_not_exists='ignore')
        raise


def add_outline(docs: pxt.Table, config: dict[str, Any], kind: str) -> None:
    """The documents view's outline column (each document's text and block spans; errors kept per document) and
    its title column (read in SQL by the panel's list of documents)."""
    content = docs[config['content_column']]
    key = docs[config['key_column']] if config['key_column'] else None
    outline = document_outline(content, key) if kind == 'document' else text_outline(content, key)
    docs.add_computed_column(
        **{OUTLINE_COLUMN: outline},  # type: ignore[arg-type]
        on_error='ignore',
        comment='pxwidgets: text and block spans of each document (errors kept per document)',
    )
    docs.add_computed_column(
        **{TITLE_COLUMN: outline_title(docs[OUTLINE_COLUMN])},  # type: ignore[arg-type]
        comment="pxwidgets: each document's title (from its outline), paged and searched in SQL",
    )


def level_name(name: object) -> str:
    """A valid level name that is not the documents view's."""
    try:
        folded = validate_stage_name(name)
    except InvalidStageNameError as exc:
        raise LevelNameError(exc.message, hint=exc.hint) from None
    if folded == DOCS_VIEW:
        raise LevelNameError(f"{DOCS_VIEW!r} is the cascade's documents view.", hint='Choose another name.')
    return folded


def build_level(
    c: SemanticIndexCascade,
    name: str,
    splitter: str | Mapping[str, Any],
    *,
    size: int | None,
    overlap: int | None,
    embedding: str | pxt.Function | None,
    lexical: bool,
    on_progress: ProgressCallback | None,
) -> Level:
    """Add a level (see ``SemanticIndexCascade.add_level``)."""
    report = on_progress or (lambda done, total, message: None)
    name = level_name(name)
    spec = parse_splitter(splitter, size=size, overlap=overlap)
    if lexical and embedding is not None:
        raise InvalidRequestError('A level is either lexical (BM25) or has an embedding, not both.')
    model = None if lexical else resolve_embedding(embedding)
    key = None if model is None else model.key
    path = f'{c.path}/{name}'
    existing = next((lv for lv in c.levels if lv.name == name), None)
    if existing is not None:
        if existing.splitter == spec and existing.embedding == key:
            return existing
        raise LevelNameError(
            f'Level {name!r} exists with another definition ({existing.describe()}).',
            hint=f'Choose another name, or drop it first (plan_drop_level({name!r})).',
        )
    half = next((lv for lv in c._state.half_built if lv.name == name), None)
    if half is not None:
        if half.splitter == spec and half.embedding == key and model is not None:
            return _complete_level(c, half, model, report)
        raise LevelNameError(
            f'Level {name!r} is half-built with another definition ({half.describe()}): its view has no index.',
            hint=f'Add it again with the same definition to complete it, or drop {path!r} first.',
        )
    if pxt.get_table(path, if_not_exists='ignore') is not None or is_dir(path):
        raise LevelNameError(
            f'{path!r} is already taken by another table or directory.', hint='Choose another level name.'
        )
    total = 3 if model is not None else 2
    if model is not None:
        report(0, total, f'Loading the embedding model {model.key}')
        model.probe()
    report(1, total, f'Splitting the documents into {spec["unit"]}s')
    docs = c.table()
    if OUTLINE_COLUMN not in docs.columns():  # an adopted cascade's first built level
        kind = type_kind(next(f.col_type for f in column_facts(docs) if f.name == c.content_column))
        add_outline(docs, c.config, kind)
    outline = docs[OUTLINE_COLUMN]
    iterator = (
        cascade_units(outline, unit='window', size=spec['size'], overlap=spec['overlap'])
        if spec['unit'] == 'window'
        else cascade_units(outline, unit=spec['unit'])
    )
    try:
        view: pxt.Table = pxt.create_view(  # type: ignore[assignment]
            path,
            docs,
            iterator=iterator,
            custom_metadata=role_metadata(ROLE_LEVEL, level_metadata(c.path, name, spec, key)),
            comment=f'pxwidgets: cascade level {name!r} ({spec["unit"]})',
        )
    except pxt.Error as exc:
        raise LevelBuildError(f'Pixeltable refused to create level {name!r}: {exc}') from None
    try:
        if model is not None:
            report(2, total, f'Embedding every {spec["unit"]} with {model.key}')
            view.add_embedding_index('unit_text', idx_name=INDEX_NAME, embedding=model.udf, metric='cosine')
        report(total, total, f'Level {name!r} is ready')
    except BaseException as exc:
        pxt.drop_table(path, force=True, if_not_exists='ignore')
        if isinstance(exc, CancelledError):
            raise CancelledError('Cancelled; the level was removed again, nothing else changed.') from None
        if isinstance(exc, PxWidgetsError):
            raise
        raise LevelBuildError(
            f'Building the index of level {name!r} failed ({type(exc).__name__}: {exc}); the level was removed again.'
        ) from exc
    c.refresh()
    return c.level(name)


def _complete_level(c: SemanticIndexCascade, level: Level, model: Any, report: ProgressCallback) -> Level:
    """Add the missing embedding index of a half-built level (its view and units are already there)."""
    model.probe()
    report(2, 3, f'Embedding every {level.unit} with {model.key}')
    view = open_table(level.path)
    try:
        view.add_embedding_index(
            'unit_text', idx_name=INDEX_NAME, embedding=model.udf, metric='cosine', if_exists='ignore'
        )
    except pxt.Error as exc:
        raise LevelBuildError(f'Completing the index of level {level.name!r} failed: {exc}') from None
    report(3, 3, f'Level {level.name!r} is ready')
    c.refresh()
    return c.level(level.name)


def plan_drop(c: SemanticIndexCascade, name: str) -> Plan:
    """What dropping a level would do (see ``SemanticIndexCascade.plan_drop_level``)."""
    c.refresh()
    lv = c.level(name)
    tbl = c.table(name)
    views = tbl.list_views(recursive=True)
    return Plan(
        f'drop level {name!r}',
        [
            Step(
                'drop_view',
                lv.path,
                f'drop view {lv.path} ({lv.describe()})' + (f' and its {len(views)} view(s)' if views else ''),
                run=lambda: pxt.drop_table(lv.path, force=True),
                details={'views': list(views)},
            )
        ],
        state={'path': lv.path, 'version': table_version(tbl), 'views': sorted(views)},
        atomic=True,
        warnings=[f'views made on this level go too: {", ".join(views)}'] if views else [],
    )
