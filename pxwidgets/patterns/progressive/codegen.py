"""A pipeline written as the plain Pixeltable code that rebuilds it.

The code creates the source table (or opens it, when the pipeline starts at a view), then every view and computed
column in order, each with ``if_exists='ignore'`` so it can run again. A ``DIR`` variable at the top holds the directory
of the pipeline's views; change it to build a copy elsewhere.

Example:
    >>> print(pipeline_code(state, view_dir='demo'))  # doctest: +SKIP
    import pixeltable as pxt
    from pixeltable.functions.video import frame_iterator
    ...
"""

from __future__ import annotations

import keyword
from typing import Any

from pxwidgets.errors import CodegenError
from pxwidgets.patterns.common.exprcode import ExprWriter, Imports, attribute, column_name, literal, type_code
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.common.names import parent_of
from pxwidgets.patterns.progressive.catalog import PipelineState, StageRecord, TableInfo
from pxwidgets.patterns.progressive.stages import STAGE_ROLE, stage_metadata

LINE_LENGTH = 110


def _call(fn: str, args: list[str], indent: str = '') -> str:
    one_line = f'{indent}{fn}({", ".join(args)})'
    if len(one_line) <= LINE_LENGTH:
        return one_line
    inner = ''.join(f'{indent}    {arg},\n' for arg in args)
    return f'{indent}{fn}(\n{inner}{indent})'


class _Writer:
    def __init__(self, state: PipelineState, view_dir: str | None, target_dir: str, metadata: bool) -> None:
        self.state = state
        self.metadata = metadata
        self.view_dir = view_dir
        self.target_dir = target_dir
        self.vars: dict[str, str] = {}
        taken = {'pxt', 'DIR'}
        for info in state.tables.values():
            var = info.path.rsplit('/', 1)[-1]
            if keyword.iskeyword(var) or var in taken:
                var = f'{var}_tbl'
            counter = 2
            base_var = var
            while var in taken:
                var = f'{base_var}_{counter}'
                counter += 1
            taken.add(var)
            self.vars[info.id] = var
        self.imports = Imports(reserved=taken)

    def writer(self, context: TableInfo) -> ExprWriter:
        var = self.vars[context.id]
        return ExprWriter(
            column=lambda ref: attribute(var, column_name(ref)), function=self.imports.name, imports=self.imports
        )

    def path(self, path: str) -> str:
        if parent_of(path) != self.view_dir:
            return repr(path)
        short = path.rsplit('/', 1)[-1]
        return "f'{DIR}/" + short + "'" if self.target_dir else repr(short)

    def extras(self, record: StageRecord, comment: str | None) -> list[str]:
        args = []
        if comment:
            args.append(f'comment={comment!r}')
        if record.metadata is not None and self.metadata:
            stage = record.stage
            md = stage_metadata(
                str(record.metadata.get('stage', stage.name)),
                stage.kind,
                after=stage.after,
                transform=stage.transform,
                params=stage.params,
                output=record.metadata.get('output'),
            )
            args.append(f'custom_metadata={literal(role_metadata(STAGE_ROLE, md))}')
        return args

    def source(self, info: TableInfo) -> str:
        var = self.vars[info.id]
        if info.md is None:
            raise CodegenError(f'The source table {info.path!r} cannot be described, so no code can rebuild it.')
        if info.md['kind'] != 'table':
            return f'{var} = pxt.get_table({info.path!r})'
        schema = []
        for name, col in info.md['columns'].items():
            if col['is_computed'] or col.get('defined_in') != info.md['name']:
                continue
            schema.append(f'{name!r}: {type_code(info.tbl[name].col_type)}')
        args = [self.path(info.path), '{' + ', '.join(schema) + '}']
        if info.md.get('primary_key'):
            args.append(f'primary_key={literal(list(info.md["primary_key"]))}')
        if info.md.get('comment'):
            args.append(f'comment={info.md["comment"]!r}')
        args.append("if_exists='ignore'")
        return _call(f'{var} = pxt.create_table', args)

    def view(self, record: StageRecord) -> str:
        info = self.state.tables[record.table_id]
        base = record.context
        assert base is not None and info.md is not None
        if info.definition.sample is not None:
            raise CodegenError(f'Stage {record.stage.name!r} is a sampled view; sampling is not written as code.')
        writer = self.writer(base)
        base_code = self.vars[base.id]
        if record.expr is not None:
            base_code = f'{base_code}.where({writer.top(record.expr)})'
        args = [self.path(info.path), base_code]
        plain = {
            name: col
            for name, col in info.md['columns'].items()
            if col.get('defined_in') == info.md['name']
            and not col['is_computed']
            and not col.get('is_iterator_col')
            and name != 'pos'
        }
        if plain:
            cols = ', '.join(f'{n!r}: {type_code(info.tbl[n].col_type)}' for n in plain)
            args.append(f'additional_columns={{{cols}}}')
        if record.iterator is not None:
            args.append(f'iterator={writer.iterator_call(record.iterator)}')
        args += self.extras(record, info.md.get('comment'))
        args.append("if_exists='ignore'")
        return _call(f'{self.vars[info.id]} = pxt.create_view', args)

    def column(self, record: StageRecord) -> str:
        info = self.state.tables[record.table_id]
        assert record.stage.column is not None and info.md is not None and record.expr is not None
        col = info.md['columns'][record.stage.column]
        value = self.writer(info).top(record.expr)
        name = record.stage.column
        first = f'**{{{name!r}: {value}}}' if keyword.iskeyword(name) else f'{name}={value}'
        args = [first]
        if not col['is_stored']:
            args.append('stored=False')
        args += self.extras(record, col.get('comment'))
        args += ["on_error='ignore'", "if_exists='ignore'"]
        return _call(f'{self.vars[info.id]}.add_computed_column', args)


def pipeline_code(state: PipelineState, *, view_dir: str, target_dir: str | None = None, metadata: bool = True) -> str:
    """Python source that rebuilds the pipeline with plain Pixeltable calls.

    Args:
        state: The pipeline as read from the catalog.
        view_dir: The directory the pipeline's views live in (paths there are written relative to ``DIR``).
        target_dir: The value of ``DIR`` in the code (default: ``view_dir``), i.e. where the copy is built.
        metadata: Write pxwidgets' stage metadata (transform, parameters) into the code, so that the copy opens with
            the same stage roles; without it the code is shorter and the copy reads as a hand-made pipeline.

    Returns:
        The code; it compiles.

    Raises:
        CodegenError: If a stage uses something with no plain-code form (an anonymous function, a sampled view, …).
    """
    writer = _Writer(state, view_dir, target_dir if target_dir is not None else view_dir, metadata)
    body: list[str] = []
    for index, record in enumerate(state.records.values()):
        problem = record.stage.problem
        if problem is not None and record.stage.kind != 'source':
            raise CodegenError(f'Stage {record.stage.name!r} cannot run any more, so no code rebuilds it: {problem}')
        if index == 0:
            body.append(writer.source(state.tables[record.table_id]))
        elif record.stage.kind == 'column':
            body.append(writer.column(record))
        else:
            body.append(writer.view(record))
    root = state.root_info()
    header: list[Any] = [
        f'"""Rebuilds the pipeline that starts at {root.path!r}, in plain Pixeltable (written by pxwidgets)."""',
        '',
        'import pixeltable as pxt',
        *writer.imports.lines(),
        '',
        f'DIR = {writer.target_dir!r}',
        '',
    ]
    if writer.target_dir:
        header.append("pxt.create_dir(DIR, parents=True, if_exists='ignore')")
    code = '\n'.join([*header, *body]) + '\n'
    compile(code, '<pxwidgets pipeline code>', 'exec')
    return code


def stage_code(state: PipelineState, name: str, *, metadata: bool = False) -> str:
    """The plain Pixeltable code that makes one stage (what ``add_stage`` ran), with full paths.

    Args:
        state: The pipeline as read from the catalog.
        name: The stage.
        metadata: Include pxwidgets' stage metadata.

    Example:
        >>> print(stage_code(state, 'faces'))  # doctest: +SKIP
        import pixeltable as pxt
        from pxwidgets.functions import detect_faces
        <BLANKLINE>
        frames = pxt.get_table('demo/frames')
        frames.add_computed_column(faces=detect_faces(frames.frame, ...), on_error='ignore', if_exists='ignore')
    """
    record = state.record(name)
    writer = _Writer(state, None, '', metadata)
    info = state.tables[record.table_id]
    if record.stage.kind == 'source':
        opens: list[str] = []
        statement = writer.source(info)
    else:
        table = info if record.stage.kind == 'column' else record.context
        assert table is not None
        opens = [f'{writer.vars[table.id]} = pxt.get_table({table.path!r})']
        statement = writer.column(record) if record.stage.kind == 'column' else writer.view(record)
    code = '\n'.join(['import pixeltable as pxt', *writer.imports.lines(), '', *opens, statement]) + '\n'
    compile(code, '<pxwidgets stage code>', 'exec')
    return code
