"""Where a module defines or rebinds a name: the protected-function check's AST reading."""

from __future__ import annotations

import ast
from collections.abc import Iterator

SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _pruned_walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk that does not enter nested functions, classes or lambdas."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, SCOPE_NODES):
            yield child
        else:
            yield from _pruned_walk(child)


def _binds(stmt: ast.stmt, name: str) -> bool:
    """Whether a statement binds or deletes name in the scope it sits in."""
    for node in _pruned_walk(stmt):
        if isinstance(node, SCOPE_NODES) and getattr(node, "name", None) == name:
            return True
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name.partition(".")[0]) == name for alias in node.names
        ):
            return True
    return False


def definitions(tree: ast.Module, dotted: str) -> list[ast.stmt]:
    """The statements binding `func` or `Class.method` in their scope, in order."""
    *classes, name = dotted.split(".")
    body: list[ast.stmt] = tree.body
    for class_name in classes:
        found = [s for s in body if isinstance(s, ast.ClassDef) and s.name == class_name]
        if not found:
            return []
        body = found[-1].body
    return [stmt for stmt in body if _binds(stmt, name)]


def rebinds(tree: ast.Module, name: str) -> list[int]:
    """Lines that rebind name from elsewhere: attribute stores, setattr, global, globals()[...]."""
    lines = []
    for node in ast.walk(tree):
        literal_call = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in ("setattr", "delattr")
            and any(isinstance(a, ast.Constant) and a.value == name for a in node.args)
        )
        stored = not isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
        attribute = isinstance(node, ast.Attribute) and node.attr == name and stored
        subscript = (
            isinstance(node, ast.Subscript)
            and stored
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == name
        )
        declared = isinstance(node, ast.Global | ast.Nonlocal) and name in node.names
        if literal_call or attribute or subscript or declared:
            lines.append(getattr(node, "lineno", 0))
    return lines
