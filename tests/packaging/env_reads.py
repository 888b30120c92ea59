"""Which environment variables the agent's code reads, found in its source at test time."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

# Names an environment mapping goes by in this code base (os.environ, or one passed in).
ENV_NAMES = frozenset({"environ", "env"})


def _is_env(node: ast.expr) -> bool:
    """Whether node names an environment mapping: os.environ, environ, env."""
    if isinstance(node, ast.Attribute):
        return node.attr in ENV_NAMES
    return isinstance(node, ast.Name) and node.id in ENV_NAMES


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "text" assignments, so reads through a named constant resolve."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            value = node.value.value
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper() and isinstance(value, str):
                    found[target.id] = value
    return found


def _key(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The variable name an expression spells, literally or through a module constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _read_keys(node: ast.AST) -> list[ast.expr]:
    """The key expressions node reads from an environment, if it is such a read."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and _is_env(func.value):
            return [node.args[0]]
        if isinstance(func, ast.Attribute) and func.attr == "getenv":
            return [node.args[0]]
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_env(node.value):
        return [node.slice]
    is_in = isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops)
    if is_in and all(_is_env(c) for c in node.comparators):
        return [node.left]
    return []


def variables_read(tree: ast.Module, constants: dict[str, str]) -> set[str]:
    """Environment variable names one module reads: env.get, getenv, env[...], "X" in env."""
    names = set()
    for node in ast.walk(tree):
        for key in _read_keys(node):
            name = _key(key, constants)
            if name is not None:
                names.add(name)
    return names


@cache
def agent_variables(root: Path) -> dict[str, list[str]]:
    """Every variable read by main.py and src/, with the files that read it."""
    paths = sorted([root / "main.py", *(root / "src").rglob("*.py")])
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    # Constants of every module, so a name imported from another module resolves too.
    constants = {k: v for tree in trees.values() for k, v in _constants(tree).items()}
    found: dict[str, list[str]] = {}
    for path, tree in trees.items():
        for name in variables_read(tree, constants):
            found.setdefault(name, []).append(path.relative_to(root).as_posix())
    return found
