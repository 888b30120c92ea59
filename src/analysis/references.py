"""Who refers to what: Aider-style reference counts that rank a repository's Python modules."""

from __future__ import annotations

import ast
import copy
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

MAX_SIGNATURE_CHARS = 120
MAX_METHODS = 12


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`def name(args) -> ret` with default values shown as ..., so no value leaks."""
    args = copy.deepcopy(node.args)
    args.defaults = [ast.Constant(...) for _ in args.defaults]
    args.kw_defaults = [None if d is None else ast.Constant(...) for d in args.kw_defaults]
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    text = f"{prefix} {node.name}({ast.unparse(args)})"
    if node.returns is not None:
        text += f" -> {ast.unparse(node.returns)}"
    return text if len(text) <= MAX_SIGNATURE_CHARS else text[: MAX_SIGNATURE_CHARS - 3] + "..."


def class_line(node: ast.ClassDef) -> str:
    """`class Name(bases): public methods`."""
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    head = f"class {node.name}({bases})" if bases else f"class {node.name}"
    methods = [
        item.name
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        and not item.name.startswith("_")
    ]
    if len(methods) > MAX_METHODS:
        methods = [*methods[:MAX_METHODS], f"+{len(methods) - MAX_METHODS}"]
    head = head if len(head) <= MAX_SIGNATURE_CHARS else head[: MAX_SIGNATURE_CHARS - 3] + "..."
    return f"{head}: {', '.join(methods)}" if methods else head


@dataclass
class Symbol:
    """A public top-level class or function: its name, its one-line signature, its references."""

    name: str
    line: str
    refs: float = 0.0


@dataclass
class Module:
    """What one Python file defines, uses and imports."""

    path: str
    symbols: list[Symbol]
    used: set[str]
    imports: set[str]
    importers: set[str] = field(default_factory=set)
    rank: float = 0.0


def dotted(path: str) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; a package's __init__ names the package."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(path: str, level: int, module: str | None) -> str:
    """The absolute dotted name of `from <level dots><module> import ...` inside path."""
    if level == 0:
        return module or ""
    package = dotted(path).split(".")
    if PurePosixPath(path).name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, module] if module else base)


def parse_module(path: str, tree: ast.Module) -> Module:
    """Public symbols with signatures, every identifier used, every module imported."""
    symbols: list[Symbol] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            symbols.append(Symbol(node.name, class_line(node)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            symbols.append(Symbol(node.name, signature(node)))
    used: set[str] = set()
    imports: set[str] = set()
    for child in ast.walk(tree):
        if isinstance(child, ast.Name):
            used.add(child.id)
        elif isinstance(child, ast.Attribute):
            used.add(child.attr)
        elif isinstance(child, ast.Import):
            imports.update(alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = _resolve(path, child.level, child.module)
            imports.add(base)
            for alias in child.names:
                used.add(alias.name)
                imports.add(f"{base}.{alias.name}" if base else alias.name)
    # Overloads and conditional definitions repeat a name; the first one stands for all.
    unique: dict[str, Symbol] = {}
    for symbol in symbols:
        unique.setdefault(symbol.name, symbol)
    return Module(path, list(unique.values()), used, imports)


def _module_index(modules: Mapping[str, Module]) -> dict[str, str]:
    """Every dotted suffix of every module's name -> its path (first path wins on a clash)."""
    index: dict[str, str] = {}
    for path in sorted(modules, key=lambda p: (len(PurePosixPath(p).parts), p)):
        parts = dotted(path).split(".")
        for start in range(len(parts)):
            index.setdefault(".".join(parts[start:]), path)
    return index


def rank_modules(modules: Mapping[str, Module]) -> list[Module]:
    """Modules by how much other code refers to them, most first; fills refs, importers, rank."""
    definers: dict[str, list[Symbol]] = defaultdict(list)
    owner: dict[int, str] = {}
    for module in modules.values():
        for symbol in module.symbols:
            definers[symbol.name].append(symbol)
            owner[id(symbol)] = module.path
    index = _module_index(modules)
    for module in modules.values():
        for name in module.used:
            found = definers.get(name, [])
            # A name defined in many files says little about each: its credit is shared.
            for symbol in found:
                if owner[id(symbol)] != module.path:
                    symbol.refs += 1.0 / len(found)
        for name in module.imports:
            target = index.get(name)
            if target is not None and target != module.path:
                modules[target].importers.add(module.path)
    for module in modules.values():
        module.symbols.sort(key=lambda s: -s.refs)
        module.rank = len(module.importers) + sum(s.refs for s in module.symbols)
    return sorted(modules.values(), key=lambda m: (-m.rank, m.path))
