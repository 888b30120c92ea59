"""Whether a conftest change only adds what no test of main's runs unasked: plain fixtures under
new names, and a collection hook that only reorders the tests."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from self_improving_agent.base.pysource import parse_source

ADDS = "changes a conftest.py, which changes how every test below it runs"
# Calls a sorting key may make: they read an item, never change it.
KEY_CALLS = frozenset({"str", "len", "int", "getattr", "tuple", "bool"})


def _fixture(stmt: ast.stmt) -> bool:
    """A function that pytest only runs when a test asks for it by name (no autouse)."""
    if (
        not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
        or len(stmt.decorator_list) != 1
    ):
        return False
    deco = stmt.decorator_list[0]
    call = deco if isinstance(deco, ast.Call) else None
    func = call.func if call is not None else deco
    named = (isinstance(func, ast.Attribute) and func.attr == "fixture") or (
        isinstance(func, ast.Name) and func.id == "fixture"
    )
    if not named or (call is not None and call.args):
        return False
    keywords = {k.arg: k.value for k in call.keywords} if call is not None else {}
    if None in keywords or "name" in keywords:
        return False
    autouse = keywords.get("autouse")
    return autouse is None or (isinstance(autouse, ast.Constant) and autouse.value is False)


def _reorders(stmt: ast.stmt) -> bool:
    """pytest_collection_modifyitems whose every statement sorts `items` in place, by a key that
    only reads: the same tests run, in another order."""
    if not isinstance(stmt, ast.FunctionDef) or stmt.name != "pytest_collection_modifyitems":
        return False
    if stmt.decorator_list or "items" not in {a.arg for a in stmt.args.args}:
        return False
    return bool(stmt.body) and all(_sorts_items(s) for s in stmt.body)


def _sorts_items(stmt: ast.stmt) -> bool:
    """`items.sort(key=...)`, `items.reverse()` or `items[:] = sorted(items, key=...)`."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        func = call.func
        in_place = isinstance(func, ast.Attribute) and func.attr in ("sort", "reverse")
        return (
            in_place
            and isinstance(func, ast.Attribute)
            and _is_items(func.value)
            and (not call.args and _keys_read(call))
        )
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return False
    target, value = stmt.targets[0], stmt.value
    if not (isinstance(target, ast.Subscript) and _is_items(target.value)):
        return False
    span = target.slice
    if not isinstance(span, ast.Slice) or any((span.lower, span.upper, span.step)):
        return False
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return False
    return (
        value.func.id == "sorted"
        and len(value.args) == 1
        and _is_items(value.args[0])
        and (_keys_read(value))
    )


def _is_items(node: ast.expr) -> bool:
    """The hook's `items` argument."""
    return isinstance(node, ast.Name) and node.id == "items"


def _keys_read(call: ast.Call) -> bool:
    """Keyword arguments are a key that calls nothing but readers, and `reverse`."""
    for keyword in call.keywords:
        if keyword.arg not in ("key", "reverse"):
            return False
        for node in ast.walk(keyword.value):
            if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in KEY_CALLS
            ):
                return False
            if isinstance(node, ast.NamedExpr | ast.Await | ast.Yield):
                return False
    return True


def _local_import(stmt: ast.stmt, local_roots: frozenset[str]) -> bool:
    """An import of the project's own code (which may skip or patch at import time)."""
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level > 0 or (stmt.module or "").partition(".")[0] in local_roots
    if isinstance(stmt, ast.Import):
        return any(a.name.partition(".")[0] in local_roots for a in stmt.names)
    return False


def conftest_reasons(
    before: str | None,
    after: str,
    used_in_main: Callable[[str], bool],
    local_roots: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """Why a conftest change needs a person; nothing when it only adds fixtures no file of
    main's names, imports, and a hook that reorders tests."""
    try:
        old = parse_source(before or "")
        new = parse_source(after)
    except (SyntaxError, ValueError, RecursionError):
        yield ADDS
        return
    kept = {ast.dump(s) for s in old.body}
    old_names = {s.name for s in old.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    for stmt in new.body:
        if ast.dump(stmt) in kept:
            continue
        if isinstance(stmt, ast.Import | ast.ImportFrom) and not _local_import(stmt, local_roots):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        name = getattr(stmt, "name", "")
        if _fixture(stmt) and name not in old_names and not used_in_main(name):
            continue
        if _reorders(stmt) and name not in old_names:
            continue
        yield f"{ADDS} (line {stmt.lineno})"
        return
    new_dumps = {ast.dump(s) for s in new.body}
    if any(ast.dump(s) not in new_dumps for s in old.body):
        yield f"{ADDS}: it removes or changes what main's version did"
