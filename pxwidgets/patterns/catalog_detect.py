"""One detector per pattern kind: each finds its instances in the stored catalog from the roles they keep (see
``catalog_scan`` for the table of what each is found from).

Example:
    >>> [r.path for r in consensuses(CatalogView(read_catalog()))]  # doctest: +SKIP
    ['demo/digits']
"""

from __future__ import annotations

from collections.abc import Iterable

from pxwidgets.patterns.catalog_view import (
    CASCADE,
    CASCADE_INDEX,
    CONSENSUS_COLUMN,
    CORRECT,
    EVALUATION,
    EXPERIMENT,
    LEVEL,
    MODEL,
    STAGE,
    VERSION_DIR,
    CatalogView,
    PatternRecord,
    under,
)
from pxwidgets.patterns.common.metadata import read_role, read_roles
from pxwidgets.patterns.common.names import parent_of, short_name
from pxwidgets.patterns.versioned.registry import ADOPTED
from pxwidgets.tables.internals import (
    StoredTable,
    count_live_rows_where,
)


def cascades(cat: CatalogView) -> list[PatternRecord]:
    """Every cascade: a ``documents`` view with role ``cascade.cascade`` and its level views."""
    out = []
    for docs in cat.stored.tables:
        config = read_role(docs.custom_metadata, CASCADE)
        if config is None:
            continue
        path = parent_of(docs.path)
        levels = []
        problems = []
        for t in cat.stored.tables:
            role = read_role(t.custom_metadata, LEVEL)
            if role is None or parent_of(t.path) != path:
                continue
            levels.append((str(role.get('level') or short_name(t.path)), t))
            if role.get('index') != 'bm25' and CASCADE_INDEX not in t.indexes:
                problems.append(f'Level {short_name(t.path)!r} lost its embedding index (dropped by hand).')
        for adopted in config.get('adopted') or []:  # hand-made views adopted as levels keep their own index names
            view = cat.by_id.get(str(adopted.get('table_id')))
            name = str(adopted.get('name'))
            if view is None:
                problems.append(f'Adopted level {name!r} ({adopted.get("path")}) was dropped by hand.')
                continue
            levels.append((name, view))
            if adopted.get('index') not in view.indexes:
                problems.append(f'Adopted level {name!r} lost its embedding index {adopted.get("index")!r}.')
        base = cat.base(docs)
        names = [name for name, _ in levels]
        record = PatternRecord(
            'cascade',
            short_name(path),
            path,
            parent_of(path),
            owns=[docs.path, *(t.path for _, t in levels)],
            reads=[base.path] if base is not None else [],
            problems=problems,
            summary=f'{len(names)} level{"s" if len(names) != 1 else ""}' + (f': {", ".join(names)}' if names else ''),
            details={'levels': names, 'source': base.path if base is not None else None},
        )
        out.append(record)
    return out


def evaluations(cat: CatalogView) -> list[PatternRecord]:
    """Every evaluation: a ``settings`` table with role ``incremental.evaluation`` (or a ``correct`` column whose
    tables are gone)."""
    out = []
    found_dirs = set()
    for settings in cat.stored.tables:
        spec = read_role(settings.custom_metadata, EVALUATION)
        if spec is None or short_name(settings.path) != 'settings':
            continue
        dir = parent_of(settings.path)
        found_dirs.add(dir)
        table_path = str(spec.get('table'))
        owns = [t.path for t in cat.stored.tables if under(t.path, dir) and t.path != dir]
        problems = []
        for part in ('windows', 'alerts'):
            if f'{dir}/{part}' not in cat.by_path:
                problems.append(f'Its {part} table {dir}/{part} was dropped by hand.')
        evaluated = cat.by_path.get(table_path)
        if evaluated is None:
            problems.append(f'The evaluated table {table_path} was dropped.')
        else:
            columns = cat.columns(evaluated)
            for what in ('prediction', 'ground_truth', 'correct', 'timestamp', 'key'):
                name = spec.get(what)
                if name and name not in columns:
                    problems.append(f'Column {name!r} ({what.replace("_", " ")}) of {table_path} was dropped by hand.')
            last_refresh = max(
                (cat.by_path[p].changed_at for p in (settings.path, f'{dir}/windows') if p in cat.by_path), default=0.0
            )
            if evaluated.changed_at > last_refresh:
                problems.append(f'Stale windows: {table_path} changed after the last refresh.')
        out.append(
            PatternRecord(
                'evaluation',
                str(spec.get('name') or short_name(dir)),
                table_path,
                parent_of(table_path),
                owns=owns,
                reads=[table_path],
                problems=problems,
                details={
                    'prediction': spec.get('prediction'),
                    'ground_truth': spec.get('ground_truth'),
                    'timestamp': spec.get('timestamp'),
                    'store': dir,
                },
            )
        )
    for t in cat.stored.tables:  # an evaluation whose own tables were dropped: its column role remains
        for col in t.columns:
            data = read_role(col.custom_metadata, CORRECT)
            if data is None or str(data.get('dir')) in found_dirs:
                continue
            found_dirs.add(str(data.get('dir')))
            out.append(
                PatternRecord(
                    'evaluation',
                    str(data.get('name')),
                    t.path,
                    parent_of(t.path),
                    reads=[t.path],
                    problems=[f'Its tables in {data.get("dir")} were dropped by hand; column {col.name!r} remains.'],
                    details={'store': data.get('dir')},
                )
            )
    return out


def experiments(cat: CatalogView) -> list[PatternRecord]:
    """Every experiment: a ``runs`` table with role ``versioned.experiment``."""
    out = []
    for runs in cat.stored.tables:
        config = read_role(runs.custom_metadata, EXPERIMENT)
        if config is None or short_name(runs.path) != 'runs':
            continue
        dir = parent_of(runs.path)
        owns = [t.path for t in cat.stored.tables if under(t.path, dir) and t.path != dir]
        version_dirs = [d for d in cat.dirs if parent_of(d) == dir and VERSION_DIR.match(short_name(d))]
        out.append(
            PatternRecord(
                'experiment',
                dir,
                dir,
                parent_of(dir),
                owns=owns,
                details={'setup': config.get('setup'), 'keep': config.get('keep'), 'versions': len(version_dirs)},
            )
        )
    return out


def experiment_runs(cat: CatalogView, record: PatternRecord) -> None:
    """Runs, failed runs and run directories dropped by hand: three counts on the run registry."""
    runs = cat.by_path[f'{record.path}/runs']
    total = record.rows.get(runs.path)
    failed = count_live_rows_where(runs, {'status': 'failed', 'dropped': False})
    kept = count_live_rows_where(runs, {'status': 'ok', 'dropped': False})
    adopted = count_live_rows_where(runs, {'status': 'ok', 'dropped': False, 'owner': ADOPTED})
    if kept is not None and adopted:  # adopted runs keep their tables where they were: no version directory of ours
        kept -= adopted
    record.details.update({'runs': total, 'failed': failed})
    if failed:
        record.problems.append(f'{failed} failed run{"s" if failed != 1 else ""}.')
    versions = int(record.details.get('versions') or 0)
    if kept is not None and kept > versions:
        gone = kept - versions
        record.problems.append(f'{gone} run director{"ies" if gone != 1 else "y"} dropped by hand (still recorded).')
    record.summary = f'{total or 0} run{"s" if total != 1 else ""}' + (f', {failed} failed' if failed else '')


def consensuses(cat: CatalogView) -> list[PatternRecord]:
    """Every consensus: a table with columns of role ``consensus.model``, one record per consensus name."""
    out = []
    for t in cat.stored.tables:
        models: dict[str, list[tuple[int, str, str]]] = {}
        listed: dict[str, set[str]] = {}
        for col in t.columns:
            roles = read_roles(col.custom_metadata)
            model = roles.get(MODEL)
            if model is not None:
                models.setdefault(str(model.get('consensus')), []).append(
                    (int(model.get('order') or 0), str(model.get('model')), str(model.get('column')))
                )
            column = roles.get(CONSENSUS_COLUMN)
            if column is not None:
                listed.setdefault(str(column.get('consensus')), set()).update(map(str, column.get('models') or ()))
        if not models and not listed:
            continue
        columns = cat.columns(t)
        for name in sorted({*models, *listed}):
            entries = sorted(models.get(name, []))
            names = [m for _, m, _ in entries]
            problems = [
                f'Model {model!r}: its output column {column!r} was dropped by hand.'
                for _, model, column in entries
                if column not in columns
            ]
            problems += [
                f'Model {m!r} was dropped by hand (the consensus columns still count it).'
                for m in sorted(listed.get(name, set()) - set(names))
            ]
            out.append(
                PatternRecord(
                    'consensus',
                    name,
                    t.path,
                    parent_of(t.path),
                    reads=[t.path],
                    problems=problems,
                    summary=f'{len(names)} model{"s" if len(names) != 1 else ""}: {", ".join(names)}',
                    details={'models': names},
                )
            )
    return out


def _hand_made_root(cat: CatalogView, t: StoredTable, owned_elsewhere: set[str], private_dirs: list[str]) -> bool:
    """A plain table with views made by hand (not another pattern's, not inside an evaluation or experiment)."""
    if t.kind != 'table' or any(under(t.path, d) for d in private_dirs):
        return False
    return any(v.kind != 'snapshot' and v.path not in owned_elsewhere for v in cat.views.get(t.id, []))


def pipelines(cat: CatalogView, others: Iterable[PatternRecord]) -> list[PatternRecord]:
    """Every pipeline: stages with role ``progressive.stage``, or a plain table with views made by hand that no other
    pattern owns."""
    owned_elsewhere = {p for r in others for p in r.owns}
    private_dirs = [r.details['store'] for r in others if r.kind == 'evaluation' and r.details.get('store')]
    private_dirs += [r.path for r in others if r.kind == 'experiment']
    roots: dict[str, bool] = {}  # root path -> has pxwidgets stage metadata
    for t in cat.stored.tables:
        if t.kind == 'snapshot' or t.path in owned_elsewhere:
            continue
        has_role = read_role(t.custom_metadata, STAGE) is not None or any(
            read_role(c.custom_metadata, STAGE) is not None for c in t.columns
        )
        if has_role:
            roots[cat.root_of(t).path] = True
        elif _hand_made_root(cat, t, owned_elsewhere, private_dirs):
            roots.setdefault(t.path, False)
    out = []
    for root_path, managed in sorted(roots.items()):
        root = cat.by_path[root_path]
        tree = [root, *cat.descendants(root, owned_elsewhere)]
        stages: list[str] = []
        after: list[tuple[str, str]] = []
        for t in tree:
            role = read_role(t.custom_metadata, STAGE)
            stages.append(str(role.get('stage')) if role else short_name(t.path))
            if role and role.get('after'):
                after.append((stages[-1], str(role['after'])))
            for col in t.columns:
                col_role = read_role(col.custom_metadata, STAGE)
                if col_role is not None:
                    stages.append(str(col_role.get('stage') or col.name))
                    if col_role.get('after'):
                        after.append((stages[-1], str(col_role['after'])))
                elif col.computed and not read_roles(col.custom_metadata):
                    stages.append(col.name)
        known = set(stages)
        problems = [
            f'Stage {before!r} (before {stage!r}) is gone: dropped by hand.'
            for stage, before in after
            if before not in known
        ]
        out.append(
            PatternRecord(
                'pipeline',
                short_name(root_path),
                root_path,
                parent_of(root_path),
                owns=[t.path for t in tree[1:]],
                reads=[root_path],
                problems=problems,
                adopted=not managed,
                summary=f'{len(stages)} stage{"s" if len(stages) != 1 else ""}: ' + ' → '.join(stages),
                details={'stages': stages, 'views': len(tree) - 1},
            )
        )
    return out
