#!/usr/bin/env python3
"""Write the panels' TypeScript message types from the Python TypedDicts: every wire shape is declared once, in Python.

``pxwidgets/panels/contract.py`` becomes ``js/lib/contract.ts``, and ``pxwidgets/panels/<panel>.py`` becomes
``js/<panel>/contract.ts`` for every ``js/<panel>/`` folder. A file gets the TypedDicts and type aliases its module
declares, and those it imports from a module that is not a panel (a pattern's records, say): what
``panels/contract.py`` imports lands in ``js/lib/contract.ts`` and is imported from there; anything else is written into
the one panel file that uses it (two panels sharing such a shape must import it in ``panels/contract.py``).

The sources are read with :mod:`ast`, never imported, so this runs on a plain ``python3`` (3.9 or later) before any
virtualenv exists; ``npm run build`` runs it first. ``str`` → ``string``, ``int``/``float`` → ``number``, ``bool`` →
``boolean``, ``None`` → ``null``, lists and tuples → arrays, ``dict[str, X]`` → ``Record<string, X>``, ``Literal`` →
a union of literals, ``Any`` → ``Json``, ``object`` → ``unknown``, ``NotRequired`` (or ``total=False``) → ``?``,
TypedDict bases → ``extends``; class, field and alias docstrings become TSDoc comments.

Usage::

    python3 scripts/contract_ts.py           # (re)write the files
    python3 scripts/contract_ts.py --check   # exit 1 and name the files that differ from a fresh generation
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = 'pxwidgets'
LIB_SOURCE = 'pxwidgets/panels/contract.py'
LIB_TARGET = 'js/lib/contract.ts'
SCRIPT = 'scripts/contract_ts.py'
MAX_LINE = 120

JSON_TYPE = (
    '/** Any JSON value (what Python declares as `Any`). */\n'
    'export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };\n'
)

_SCALARS = {'str': 'string', 'int': 'number', 'float': 'number', 'bool': 'boolean', 'None': 'null', 'object': 'unknown'}
_ARRAYS = {'list', 'Sequence', 'set', 'frozenset', 'Iterable'}
_MAPS = {'dict', 'Mapping'}
_TYPING = {'Literal', 'Optional', 'Union', 'Annotated', 'NotRequired', 'Required', 'TypedDict', 'Any', 'TypeAlias'}


class ContractError(Exception):
    """A Python declaration the generator cannot translate (the message names the file and line)."""


@dataclass(eq=False)
class Field:
    name: str
    annotation: ast.expr
    required: bool
    doc: str | None


@dataclass(eq=False)
class Decl:
    """A TypedDict (``interface``) or a type alias (``alias``) of one module."""

    name: str
    module: Module
    kind: str
    doc: str | None = None
    bases: list[ast.expr] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    value: ast.expr | None = None
    line: int = 0

    @property
    def where(self) -> str:
        return f'{self.module.path}:{self.line}'


@dataclass(eq=False)
class Module:
    dotted: str
    path: str
    tree: ast.Module
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assigns: dict[str, tuple[ast.expr, str | None, int]] = field(default_factory=dict)
    decls: dict[str, Decl] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


class Catalog:
    """Every module the sources reach, parsed once; resolves names to declarations across imports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        self._building: set[tuple[str, str]] = set()

    def module(self, dotted: str) -> Module | None:
        if dotted in self.modules:
            return self.modules[dotted]
        base = self.root / dotted.replace('.', '/')
        file = base.with_suffix('.py') if base.with_suffix('.py').is_file() else base / '__init__.py'
        if not file.is_file():
            return None
        rel = file.relative_to(self.root).as_posix()
        mod = Module(dotted, rel, ast.parse(file.read_text(encoding='utf-8'), filename=rel))
        self.modules[dotted] = mod
        body = _module_statements(mod.tree.body)
        for i, stmt in enumerate(body):
            nxt = body[i + 1] if i + 1 < len(body) else None
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    mod.imports[alias.asname or alias.name] = (stmt.module, alias.name)
            elif isinstance(stmt, ast.ClassDef):
                mod.classes[stmt.name] = stmt
                mod.order.append(stmt.name)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                mod.assigns[stmt.targets[0].id] = (stmt.value, _string(nxt), stmt.lineno)
                mod.order.append(stmt.targets[0].id)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
                and _last_name(stmt.annotation) == 'TypeAlias'
            ):
                mod.assigns[stmt.target.id] = (stmt.value, _string(nxt), stmt.lineno)
                mod.order.append(stmt.target.id)
        return mod

    def declarations(self, mod: Module) -> list[Decl]:
        """The TypedDicts and type aliases ``mod`` declares itself, in source order."""
        found = (self.local(mod, name) for name in mod.order)
        return [d for d in found if d is not None]

    def local(self, mod: Module, name: str) -> Decl | None:
        """The declaration ``name`` if ``mod`` itself declares it (a TypedDict, or an alias of a type)."""
        if name in mod.decls:
            return mod.decls[name]
        key = (mod.dotted, name)
        if key in self._building:  # a self-referencing TypedDict: it is one, or we would not be here
            return Decl(name, mod, 'interface')
        self._building.add(key)
        try:
            decl = self._build(mod, name)
        finally:
            self._building.discard(key)
        if decl is not None:
            mod.decls[name] = decl
        return decl

    def _build(self, mod: Module, name: str) -> Decl | None:
        if name in mod.classes:
            cls = mod.classes[name]
            if not any(_last_name(b) == 'TypedDict' or self._is_typeddict(mod, b) for b in cls.bases):
                return None
            total = next((k.value for k in cls.keywords if k.arg == 'total'), None)
            is_total = not (isinstance(total, ast.Constant) and total.value is False)
            decl = Decl(name, mod, 'interface', ast.get_docstring(cls), line=cls.lineno)
            decl.bases = [b for b in cls.bases if _last_name(b) != 'TypedDict']
            body = cls.body
            for i, stmt in enumerate(body):
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    annotation, required = stmt.annotation, is_total
                    wrapper = _subscript_name(annotation)
                    if wrapper in ('NotRequired', 'Required'):
                        required = wrapper == 'Required'
                        annotation = annotation.slice  # type: ignore[attr-defined]
                    nxt = body[i + 1] if i + 1 < len(body) else None
                    decl.fields.append(Field(stmt.target.id, annotation, required, _string(nxt)))
            return decl
        if name in mod.assigns:
            value, doc, line = mod.assigns[name]
            if not self._is_type(mod, value):
                return None
            return Decl(name, mod, 'alias', doc, value=value, line=line)
        return None

    def resolve(self, mod: Module, name: str) -> Decl | None:
        """The declaration a name in ``mod`` stands for, following ``from pxwidgets... import`` (and re-exports)."""
        decl = self.local(mod, name)
        if decl is not None:
            return decl
        if name in mod.imports:
            source, original = mod.imports[name]
            if source.split('.')[0] == PACKAGE:
                target = self.module(source)
                if target is not None:
                    return self.resolve(target, original)
        return None

    def _is_typeddict(self, mod: Module, base: ast.expr) -> bool:
        decl = self.resolve(mod, base.id) if isinstance(base, ast.Name) else None
        return decl is not None and decl.kind == 'interface'

    def _is_type(self, mod: Module, value: ast.expr) -> bool:
        if isinstance(value, ast.Subscript):
            return _last_name(value.value) in ('Literal', 'Optional', 'Union', 'list', 'dict', 'tuple')
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
            return self._is_type(mod, value.left) or self._is_type(mod, value.right)
        if isinstance(value, ast.Name):
            return self.resolve(mod, value.id) is not None
        return False


def _module_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, with the bodies of ``if TYPE_CHECKING:`` blocks spliced in."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If) and _last_name(stmt.test) == 'TYPE_CHECKING':
            out += stmt.body
        else:
            out.append(stmt)
    return out


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _subscript_name(node: ast.expr) -> str | None:
    return _last_name(node.value) if isinstance(node, ast.Subscript) else None


def _string(stmt: ast.stmt | None) -> str | None:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        import inspect

        return inspect.cleandoc(stmt.value.value)
    return None


# ---- translation ----------------------------------------------------------------------------------------------


class Translator:
    """Python annotations → TypeScript types, remembering which declarations (and whether ``Json``) they use."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.used: dict[tuple[str, str], Decl] = {}
        self.json = False

    def type(self, mod: Module, node: ast.expr, where: str) -> str:
        text, _ = self.type_union(mod, node, where)
        return text

    def type_union(self, mod: Module, node: ast.expr, where: str) -> tuple[str, bool]:
        """The TypeScript text and whether it is a union (which needs parentheses inside an array)."""
        if isinstance(node, ast.Constant):
            if node.value is None:
                return 'null', False
            if isinstance(node.value, str):  # a quoted forward reference
                return self.type_union(mod, ast.parse(node.value, mode='eval').body, where)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right], mod, where)
        name = _last_name(node)
        if name is not None:
            if name in _SCALARS:
                return _SCALARS[name], False
            if name == 'Any':
                self.json = True
                return 'Json', False
            decl = self.catalog.resolve(mod, name)
            if decl is None:
                raise ContractError(f'{where}: {name} is neither a TypedDict, a type alias nor a JSON scalar')
            self.used[(decl.module.dotted, decl.name)] = decl
            return decl.name, False
        if isinstance(node, ast.Subscript):
            head = _subscript_name(node)
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head in _ARRAYS:
                return self._array(mod, args[0], where), False
            if head == 'tuple':
                if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                    return self._array(mod, args[0], where), False
                return '[' + ', '.join(self.type(mod, a, where) for a in args) + ']', False
            if head in _MAPS:
                if _last_name(args[0]) != 'str':
                    raise ContractError(f'{where}: JSON objects have string keys, not {ast.unparse(args[0])}')
                return f'Record<string, {self.type(mod, args[1], where)}>', False
            if head == 'Literal':
                values = [_literal(a, where) for a in args]
                return ' | '.join(values), len(values) > 1
            if head == 'Optional':
                return self._union([args[0], ast.Constant(None)], mod, where)
            if head == 'Union':
                return self._union(args, mod, where)
            if head == 'Annotated':
                return self.type_union(mod, args[0], where)
        raise ContractError(f'{where}: cannot translate {ast.unparse(node)} to TypeScript')

    def _union(self, nodes: list[ast.expr], mod: Module, where: str) -> tuple[str, bool]:
        flat: list[ast.expr] = []
        stack = list(reversed(nodes))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                stack += [node.right, node.left]
            else:
                flat.append(node)
        parts: list[str] = []
        for node in flat:
            text = self.type(mod, node, where)
            if text not in parts:
                parts.append(text)
        return ' | '.join(parts), len(parts) > 1

    def _array(self, mod: Module, item: ast.expr, where: str) -> str:
        text, union = self.type_union(mod, item, where)
        return f'({text})[]' if union else f'{text}[]'


def _literal(node: ast.expr, where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        if isinstance(node.value, bool):
            return 'true' if node.value else 'false'
        if isinstance(node.value, str):
            return '"' + node.value.replace('\\', '\\\\').replace('"', '\\"') + '"'
        return repr(node.value)
    raise ContractError(f'{where}: Literal values must be strings, numbers or booleans')


def tsdoc(doc: str | None, indent: str = '') -> list[str]:
    """A docstring as a TSDoc comment (RST ````code```` becomes markdown ```code```)."""
    if not doc:
        return []
    lines = re.sub(r'``([^`]+)``', r'`\1`', doc).replace('*/', '*\\/').splitlines()
    if len(lines) == 1:
        return [f'{indent}/** {lines[0]} */']
    return [f'{indent}/**', *(f'{indent} *{" " + line if line else ""}' for line in lines), f'{indent} */']


def render_decl(decl: Decl, tr: Translator) -> list[str]:
    mod = decl.module
    out = tsdoc(decl.doc)
    if decl.kind == 'alias':
        assert decl.value is not None
        text, union = tr.type_union(mod, decl.value, decl.where)
        line = f'export type {decl.name} = {text};'
        if union and len(line) > MAX_LINE:  # one member a line, as prettier writes it
            return [
                *out,
                f'export type {decl.name} =',
                *(f'  | {part}' for part in text.split(' | ')[:-1]),
                f'  | {text.split(" | ")[-1]};',
            ]
        return [*out, line]
    bases = [tr.type(mod, b, decl.where) for b in decl.bases]
    head = f'export interface {decl.name}' + (f' extends {", ".join(bases)}' if bases else '')
    if not decl.fields:
        return [*out, head + ' {}']
    out.append(head + ' {')
    for f in decl.fields:
        out += tsdoc(f.doc, '  ')
        out.append(f'  {f.name}{"" if f.required else "?"}: {tr.type(mod, f.annotation, decl.where)};')
    out.append('}')
    return out


# ---- files ----------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Target:
    source: str
    path: str
    module: Module
    emit: list[Decl] = field(default_factory=list)


def targets(root: Path, catalog: Catalog) -> list[Target]:
    """``panels/contract.py`` → ``js/lib/contract.ts``, then every ``panels/<panel>.py`` with a ``js/<panel>/``."""
    pairs = [(LIB_SOURCE, LIB_TARGET)]
    for src in sorted((root / 'pxwidgets' / 'panels').glob('*.py')):
        if (root / 'js' / src.stem).is_dir() and src.stem != 'lib':
            pairs.append((f'pxwidgets/panels/{src.name}', f'js/{src.stem}/contract.ts'))
    out = []
    for source, path in pairs:
        mod = catalog.module(source[: -len('.py')].replace('/', '.'))
        assert mod is not None, source
        out.append(Target(source, path, mod))
    return out


def _closure(catalog: Catalog, start: list[Decl]) -> list[Decl]:
    """``start`` and every declaration their types refer to, in a stable order."""
    seen: dict[tuple[str, str], Decl] = {}
    stack = list(reversed(start))
    while stack:
        decl = stack.pop()
        key = (decl.module.dotted, decl.name)
        if key in seen:
            continue
        seen[key] = decl
        tr = Translator(catalog)
        render_decl(decl, tr)
        stack += reversed([d for k, d in tr.used.items() if k not in seen])
    return list(seen.values())


def plan(root: Path) -> tuple[Catalog, list[Target]]:
    """Which declarations each TypeScript file holds (every shape in exactly one file)."""
    catalog = Catalog(root)
    files = targets(root, catalog)
    mapped = {t.module.dotted: t for t in files}
    home: dict[tuple[str, str], Target] = {}

    def roots(t: Target) -> list[Decl]:
        imported = (catalog.resolve(t.module, name) for name in t.module.imports)
        return catalog.declarations(t.module) + [d for d in imported if d is not None and d.kind == 'interface']

    for t in files:  # the lib file first: what it reaches is shared
        for decl in _closure(catalog, roots(t)):
            key = (decl.module.dotted, decl.name)
            owner = mapped.get(decl.module.dotted)
            if owner is not None:
                if owner is t:
                    home[key] = t
                continue
            if key not in home:
                home[key] = t
            elif home[key] is not t and home[key].path != LIB_TARGET:
                raise ContractError(
                    f'{decl.where}: {decl.name} travels in two panels ({home[key].source}, {t.source}); '
                    f'import it in {LIB_SOURCE} so that it is declared once, in {LIB_TARGET}'
                )
    for t in files:
        t.emit = [d for d in _closure(catalog, roots(t)) if home.get((d.module.dotted, d.name)) is t]
        names: dict[str, Decl] = {}
        for d in t.emit:
            if d.name in names:
                raise ContractError(f'{d.where}: {d.name} is declared twice for {t.path} ({names[d.name].where})')
            names[d.name] = d
    return catalog, files


def render(root: Path = ROOT) -> dict[str, str]:
    """``{path: text}`` of every generated TypeScript file."""
    catalog, files = plan(root)
    mapped = {t.module.dotted: t for t in files}
    lib = next(t for t in files if t.path == LIB_TARGET)
    out: dict[str, str] = {}
    for t in files:
        tr = Translator(catalog)
        sections: list[str] = []
        by_module: dict[str, list[Decl]] = {}
        for d in t.emit:
            by_module.setdefault(d.module.path, []).append(d)
        for path, decls in by_module.items():
            lines = [f'// ---- {path} ' + '-' * max(4, 112 - len(path))]
            for d in decls:
                lines += ['', *render_decl(d, tr)]
            sections.append('\n'.join(lines) + '\n')
        imports: dict[str, set[str]] = {}
        for decl in tr.used.values():
            if decl in t.emit:
                continue
            owner = mapped.get(decl.module.dotted) or lib
            imports.setdefault(owner.path, set()).add(decl.name)
        if tr.json and t is not lib:
            imports.setdefault(lib.path, set()).add('Json')
        head = [
            f'// Generated by {SCRIPT} from {t.source}: do not edit.',
            '// Change the TypedDicts in Python, then run `npm run build` (or `python3 scripts/contract_ts.py`).',
            '',
        ]
        for path in sorted(imports):
            rel = os.path.relpath(root / path, (root / t.path).parent).replace(os.sep, '/')
            rel = rel[: -len('.ts')] if rel.endswith('.ts') else rel
            rel = rel if rel.startswith('.') else './' + rel
            head.append(f'import type {{ {", ".join(sorted(imports[path]))} }} from "{rel}";')
        if len(head) > 3:
            head.append('')
        if t is lib:
            head.append(JSON_TYPE)
        out[t.path] = '\n'.join(head).rstrip('\n') + '\n\n' + '\n'.join(sections)
    return out


def stale(root: Path = ROOT) -> list[str]:
    """The generated files whose committed text differs from a fresh generation (or that are missing)."""
    found = []
    for path, text in render(root).items():
        file = root / path
        if not file.is_file() or file.read_text(encoding='utf-8') != text:
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only report files that differ from a fresh generation')
    args = parser.parse_args(argv)
    try:
        if args.check:
            paths = stale()
            for path in paths:
                print(f'{path} is stale: run python3 {SCRIPT}', file=sys.stderr)
            return 1 if paths else 0
        for path, text in render().items():
            file = ROOT / path
            if not file.is_file() or file.read_text(encoding='utf-8') != text:
                file.write_text(text, encoding='utf-8')
                print(f'wrote {path}')
    except ContractError as exc:
        print(f'contract_ts: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
