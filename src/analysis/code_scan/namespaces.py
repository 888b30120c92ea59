"""Namespaces that are not a module's own, and the environment taken as a whole value."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

NAMESPACE_METHODS = frozenset({"update", "setdefault", "pop", "__setitem__", "__delitem__"})
NAMESPACE_METHODS |= {"clear", "popitem"}
# The environment, and a copy of it (followed to where the copy goes).
ENVIRONMENTS = frozenset({"os.environ", "os.environb", "os.environ.copy()", "os.environb.copy()"})
ENV_VALUE_NODES = (ast.Name, ast.Attribute, ast.Call)
# Methods of the environment that read or write one variable, or only its names.
ONE_VARIABLE = frozenset({"get", "pop", "setdefault", "__getitem__", "__contains__", "keys"})
ONE_VARIABLE |= {"__setitem__", "__delitem__", "update", "putenv", "unsetenv", "copy"}


def foreign_namespace(value: str) -> bool:
    """A namespace that is not this module's own: sys.modules, builtins, a frame's globals,
    locals or builtins, or another module's __dict__ or vars()."""
    return value in ("sys.modules", "builtins.__dict__") or (
        value.startswith("<ns>") and value != "<ns>."
    )


def namespace_label(value: str) -> str:
    """How a person reads a namespace value."""
    label = value.removeprefix("<ns>")
    return "a frame's or another module's namespace" if label == "?" else f"{label} namespace"


def environment_escapes(
    parents: Mapping[int, ast.AST], node: ast.AST, is_alias: Callable[[ast.expr], bool]
) -> bool:
    """The whole environment used as a value (copied, dumped, sent, logged), not one
    variable read from it; handing it to a child process's env= passes nothing new."""
    if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
        return False
    child, parent = node, parents.get(id(node))
    if isinstance(parent, ast.Subscript | ast.Compare):
        return False
    if isinstance(node, ast.expr) and is_alias(node):
        return False
    if isinstance(parent, ast.Attribute) and parent.attr in ONE_VARIABLE:
        return False
    while isinstance(parent, ast.Dict | ast.Starred | ast.keyword):
        if isinstance(parent, ast.keyword) and parent.arg == "env":
            return False
        child, parent = parent, parents.get(id(parent))
    if isinstance(parent, ast.Call) and child in parent.args:
        keyword = parents.get(id(parent))
        if isinstance(keyword, ast.keyword) and keyword.arg == "env":
            return False
    return True
