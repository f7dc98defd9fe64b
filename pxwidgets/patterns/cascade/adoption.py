"""Adopting hand-made levels: iterator views made with plain Pixeltable (``document_splitter``, ``string_splitter``, …)
that carry an embedding index of their own, the way Pixeltable's RAG notebooks build them.

Everything is checked before anything is written; the adoption itself writes one directory and one view (the
cascade's ``documents`` view, whose ``cascade.cascade`` role lists the adopted levels). The adopted views are not
changed.

Example:
    >>> adopt('rag/docs', ['rag/chunks', 'rag/sentences'], name=None, dir=None, key_column=None)  # doctest: +SKIP
    'rag/docs_cascade'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pixeltable as pxt

from pxwidgets.patterns.cascade.build import create
from pxwidgets.patterns.cascade.catalog import POS_SHIFTS, AdoptedLevel, cascade_config
from pxwidgets.patterns.cascade.errors import AdoptionError, CascadeConflictError
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.tables.internals import column_facts, table_id, type_kind
from pxwidgets.tables.resolve import open_table, table_path

_CALL = re.compile(r'^\s*([\w.]+)\(\s*([A-Za-z_]\w*)')


def unit_of(iterator: str) -> str:
    """What one unit of an iterator view is, read from its iterator call.

    Example:
        >>> unit_of("document_splitter(document, separators='heading')")
        'section'
        >>> unit_of("document_splitter(document, separators='heading,paragraph')")
        'paragraph'
        >>> unit_of("string_splitter(text, separators='sentence')")
        'sentence'
    """
    match = _CALL.match(iterator)
    name = match.group(1).rsplit('.', 1)[-1] if match else iterator
    seps = re.search(r"separators\s*=\s*'([^']*)'", iterator)
    found = seps.group(1).split(',') if seps else []
    if name == 'string_splitter' or 'sentence' in found:
        return 'sentence'
    if 'paragraph' in found:
        return 'paragraph'
    if 'heading' in found:
        return 'section'
    if 'page' in found:
        return 'page'
    if any(s in found for s in ('token_limit', 'char_limit')):
        return 'chunk'
    return name


def _base_path(md: dict[str, Any]) -> str | None:
    base = md.get('base')
    return None if base is None else str(base)


def _embedding_index(md: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(index name, text column, embedding call)`` of the first embedding index on a string column."""
    for name, info in (md.get('indexes') or {}).items():
        if info.get('index_type') != 'embedding':
            continue
        for column in info.get('columns') or []:
            col = (md.get('columns') or {}).get(column) or {}
            if str(col.get('type_', '')).startswith('String'):
                params = info.get('parameters') or {}
                fns = params.get('embedding_functions') or [params.get('embedding', '')]
                return str(name), str(column), str(fns[0])
    return None


def adopt(
    source: pxt.Table | str,
    views: Sequence[pxt.Table | str] | None,
    *,
    name: str | None,
    dir: str | None,
    key_column: str | None,
) -> str:
    """Check the views, record them as a cascade's levels and return its path (see ``SemanticIndexCascade.adopt``).

    Raises:
        AdoptionError: Nothing to adopt, a view without an embedding index or iterator, a view of another table, a
            content column the cascade cannot key (nothing written).
        CascadeConflictError: A cascade of that name exists with another definition.
    """
    src = open_table(source)
    src_path = table_path(src)
    explicit = views is not None
    if views is None:
        paths = list(src.list_views(recursive=True))  # opens each view: a sentence-transformer index loads its model
    else:
        paths = [table_path(v) if isinstance(v, pxt.Table) else str(v).strip('/') for v in views]
        if not paths:
            raise AdoptionError('views is empty: name the views to adopt, or pass None to adopt every indexed view.')
    metadata: dict[str, dict[str, Any]] = {}

    def md_of(path: str) -> dict[str, Any]:
        if path not in metadata:
            tbl = pxt.get_table(path, if_not_exists='ignore')
            if tbl is None:
                raise AdoptionError(f'There is no table {path!r}.')
            metadata[path] = {**tbl.get_metadata(), 'table_id': table_id(tbl)}
        return metadata[path]

    chosen: list[str] = []
    skipped: list[str] = []
    for path in dict.fromkeys(paths):
        md = md_of(path)
        lineage, base = [], _base_path(md)
        while base is not None and base != src_path:
            lineage.append(base)
            base = _base_path(md_of(base))
        if base != src_path:
            raise AdoptionError(
                f'{path} is not a view of {src_path}'
                + (f' (its lineage: {" -> ".join([path, *lineage])})' if lineage else ' (it is a table)')
                + '; a cascade adopts views of one documents table.',
                hint=f'Adopt it with its own documents table: SemanticIndexCascade.adopt(<its table>, [{path!r}]).',
            )
        problem = None
        if not md.get('iterator_call'):
            problem = f'{path} is not an iterator view (it does not split documents into units)'
        elif _embedding_index(md) is None:
            problem = f'{path} has no embedding index on a string column'
        if problem is not None:
            if explicit:
                raise AdoptionError(
                    problem + '; nothing was adopted.',
                    hint=f"Add one first, e.g. pxt.get_table({path!r}).add_embedding_index('text', embedding=...).",
                )
            skipped.append(problem)
            continue
        chosen.append(path)
    if not chosen:
        raise AdoptionError(
            f'No view of {src_path} has an embedding index to adopt.' + (f' ({"; ".join(skipped)})' if skipped else ''),
            hint='Make one the way the RAG notebooks do: pxt.create_view(..., iterator=document_splitter(...)), '
            "then view.add_embedding_index('text', embedding=...).",
        )
    content, kind = _content_column(src, src_path, chosen, md_of)
    if kind == 'string' and key_column is None:
        raise AdoptionError(
            f'The views split the String column {content!r}: name the column that names each document.',
            hint=f'e.g. SemanticIndexCascade.adopt({src_path!r}, key_column=...)',
        )
    if key_column is not None:
        facts = {f.name: f for f in column_facts(src)}
        if key_column not in facts or type_kind(facts[key_column].col_type) != 'string':
            raise AdoptionError(f'key_column {key_column!r} must be a String column of {src_path}.')
    records = _records(chosen, md_of)
    parent_dir, _, table_name = src_path.rpartition('/')
    cascade_name = validate_stage_name(name if name is not None else f'{table_name}_cascade')
    base_dir = parent_dir if dir is None else dir.strip('/')
    path = f'{base_dir}/{cascade_name}' if base_dir else cascade_name
    config = {
        'source': src_path,
        'content_column': content,
        'key_column': key_column,
        'format': 1,
        'adopted': records,
    }
    existing = cascade_config(path)
    if existing is not None:
        keys = ('source', 'content_column', 'key_column', 'adopted')
        if {k: existing.get(k) for k in keys} == {k: config[k] for k in keys}:
            return path
        raise CascadeConflictError(
            f'A cascade at {path!r} exists with another definition.',
            hint='Open it with SemanticIndexCascade.open(path), or give this adoption another name=.',
        )
    create(path, src, config, kind, outline=False)
    return path


def _content_column(src: pxt.Table, src_path: str, chosen: list[str], md_of: Any) -> tuple[str, str]:
    """The source column the root views split, and its kind."""
    facts = {f.name: type_kind(f.col_type) for f in column_facts(src)}
    found: set[str] = set()
    for path in chosen:
        root = path
        while _base_path(md_of(root)) != src_path:
            root = str(_base_path(md_of(root)))
        match = _CALL.match(str(md_of(root).get('iterator_call') or ''))
        if match is None or match.group(2) not in facts:
            raise AdoptionError(
                f'Cannot tell which column of {src_path} the view {root} splits '
                f'(its iterator: {md_of(root).get("iterator_call")}).'
            )
        found.add(match.group(2))
    if len(found) != 1:
        raise AdoptionError(f'The views split different columns of {src_path} ({", ".join(sorted(found))}).')
    content = found.pop()
    if facts[content] not in ('document', 'string'):
        raise AdoptionError(f'The views split {content!r}, a {facts[content]} column; a cascade indexes text.')
    return content, facts[content]


def _records(chosen: list[str], md_of: Any) -> list[AdoptedLevel]:
    """One adoption record per view, with its chain of iterator views, its parent and why it is flat."""
    names = {p: p.rsplit('/', 1)[-1] for p in chosen}
    if len(set(names.values())) != len(names):
        raise AdoptionError('Two views to adopt have the same name; adopt them in separate cascades (name=...).')
    records: list[AdoptedLevel] = []
    for path in chosen:
        md = md_of(path)
        chain = [path]
        base = _base_path(md)
        while base is not None and md_of(base).get('base') is not None:
            if md_of(base).get('iterator_call'):
                chain.insert(0, base)
            base = _base_path(md_of(base))
        if len(chain) > len(POS_SHIFTS):
            raise AdoptionError(
                f'{path} is {len(chain)} iterator views deep; a cascade reads at most {len(POS_SHIFTS)}.'
            )
        index = _embedding_index(md)
        assert index is not None
        columns = md.get('columns') or {}
        parent_path = chain[-2] if len(chain) > 1 else None
        records.append(
            AdoptedLevel(
                name=names[path],
                path=path,
                table_id=str(md['table_id']),
                text=index[1],
                index=index[0],
                embedding=index[2],
                iterator=str(md['iterator_call']),
                unit=unit_of(str(md['iterator_call'])),
                title='title' if 'title' in columns else None,
                heading='heading' if 'heading' in columns else None,
                chain=chain,
                parent=names.get(parent_path) if parent_path else None,
                flat=None,
            )
        )
    by_path = {r['path']: r for r in records}
    for r in records:
        parent_path = r['chain'][-2] if len(r['chain']) > 1 else None
        if parent_path is not None and parent_path not in by_path:
            r['flat'] = (
                f'it is split from the view {parent_path}, which is not one of the levels (adopt it too to nest '
                'this level inside it)'
            )
            r['parent'] = None
    for r in records:
        has_children = any(o['parent'] == r['name'] for o in records)
        if r['parent'] is None and r['flat'] is None and not has_children and len(records) > 1:
            others = ', '.join(o['name'] for o in records if o is not r)
            r['flat'] = (
                f'its units ({r["iterator"]}) carry no position in their document (no character offsets), and no '
                f'other level is split from it, so they cannot be placed inside or around the units of {others}'
            )
    return records
