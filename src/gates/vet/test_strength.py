"""Whether a changed test is at least as strong as main's: it keeps every check main's version
made (in order), and only adds assertions, parametrized cases or a `match=` to an expectation."""

from __future__ import annotations

import ast
import copy

# Builtins an added assertion may call: they compute a value and cannot skip or stop a test.
PURE_BUILTINS = frozenset(
    {"len", "isinstance", "issubclass", "sorted", "set", "list", "tuple", "dict", "str"}
    | {"int", "float", "bool", "abs", "all", "any", "min", "max", "sum", "repr", "type"}
    | {"round", "frozenset", "bytes", "callable", "hasattr", "reversed", "enumerate", "zip"}
)
# Keywords whose addition narrows what an expectation accepts (pytest.raises/warns).
NARROWING_KEYWORDS = frozenset({"match"})

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _dump(node: ast.AST) -> str:
    """A node's structure without positions."""
    return ast.dump(node, include_attributes=False)


def at_least_as_strong(old: ast.stmt, new: ast.stmt) -> bool:
    """Whether new (a test function) checks everything old checked."""
    if not isinstance(old, Function) or not isinstance(new, Function) or type(old) is not type(new):
        return False
    if _dump(old.args) != _dump(new.args) or len(old.decorator_list) != len(new.decorator_list):
        return False
    if not all(map(_decorator_grows, old.decorator_list, new.decorator_list)):
        return False
    allowed = {_shape(n.func) for n in ast.walk(old) if isinstance(n, ast.Call)}
    return _body_grows(_inline(old.body), _inline(new.body), allowed)


def _shape(node: ast.expr) -> str:
    """A callee's structure with its constants left out (r["upper"] and r["title"] alike)."""
    blank = copy.deepcopy(node)
    for sub in ast.walk(blank):
        if isinstance(sub, ast.Constant):
            sub.value = None
    return _dump(blank)


def _callee_allowed(func: ast.expr, allowed: set[str]) -> bool:
    """A callee the old test called, a pure builtin, or a method of a value an allowed call or
    a literal gave (whatever it does, the code under test could already do it)."""
    if _shape(func) in allowed or (isinstance(func, ast.Name) and func.id in PURE_BUILTINS):
        return True
    node = func
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
        if isinstance(node, ast.Call):
            return _callee_allowed(node.func, allowed)
        if isinstance(node, ast.Constant | ast.JoinedStr | ast.List | ast.Tuple | ast.Dict):
            return True
    return False


def _decorator_grows(old: ast.expr, new: ast.expr) -> bool:
    """The same decorator, or a parametrize whose cases only grew."""
    if _dump(old) == _dump(new):
        return True
    if not (isinstance(old, ast.Call) and isinstance(new, ast.Call)):
        return False
    name = ast.unparse(old.func)
    if not name.endswith("parametrize") or _dump(old.func) != _dump(new.func):
        return False
    if len(old.args) != 2 or len(new.args) != 2 or _dump(old.args[0]) != _dump(new.args[0]):
        return False
    if [_dump(k) for k in old.keywords] != [_dump(k) for k in new.keywords]:
        return False
    cases_old, cases_new = old.args[1], new.args[1]
    if not isinstance(cases_old, ast.List | ast.Tuple) or not isinstance(
        cases_new, ast.List | ast.Tuple
    ):
        return False
    kept = [_dump(e) for e in cases_new.elts]
    return all(_dump(e) in kept for e in cases_old.elts)


def _inline(body: list[ast.stmt]) -> list[ast.stmt]:
    """body with each name bound once (`x = expr`) and read later replaced by its expression."""
    bound: dict[str, ast.expr] = {}
    counts: dict[str, int] = {}
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                counts[node.id] = counts.get(node.id, 0) + 1
    for stmt in body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and counts.get(stmt.targets[0].id) == 1
        ):
            bound[stmt.targets[0].id] = stmt.value
    read = {n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name) and _loads(n)}
    bound = {k: v for k, v in bound.items() if k in read}

    class Swap(ast.NodeTransformer):
        def __init__(self) -> None:
            self.open: set[str] = set()

        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = bound.get(node.id)
            if value is None or not _loads(node) or node.id in self.open:
                return node
            # Names inside the value are inlined too (each once along a chain).
            self.open.add(node.id)
            inlined: ast.AST = self.visit(copy.deepcopy(value))
            self.open.discard(node.id)
            return inlined

    out = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in bound for t in stmt.targets
        ):
            continue
        out.append(Swap().visit(copy.deepcopy(stmt)))
    return out


def _loads(node: ast.Name) -> bool:
    """Whether a name is read."""
    return isinstance(node.ctx, ast.Load)


def _body_grows(old: list[ast.stmt], new: list[ast.stmt], allowed: set[str]) -> bool:
    """Every old statement kept in order (or narrowed); each added one an assertion."""
    index = 0
    for stmt in new:
        if index < len(old) and _statement_grows(old[index], stmt, allowed):
            index += 1
        elif not _added_assertion(stmt, allowed):
            return False
    return index == len(old)


def _statement_grows(old: ast.stmt, new: ast.stmt, allowed: set[str]) -> bool:
    """The same statement, or a `with` whose expectations only gained a `match=`."""
    if _dump(old) == _dump(new):
        return True
    if not (isinstance(old, ast.With) and isinstance(new, ast.With)):
        return False
    if len(old.items) != len(new.items):
        return False
    for a, b in zip(old.items, new.items, strict=True):
        if _dump(a) == _dump(b):
            continue
        if not (isinstance(a.context_expr, ast.Call) and isinstance(b.context_expr, ast.Call)):
            return False
        if _dump(a.context_expr.func) != _dump(b.context_expr.func):
            return False
        if [_dump(x) for x in a.context_expr.args] != [_dump(x) for x in b.context_expr.args]:
            return False
        old_kw = {_dump(k) for k in a.context_expr.keywords}
        new_kw = {_dump(k): k.arg for k in b.context_expr.keywords}
        if not old_kw <= new_kw.keys():
            return False
        if any(arg not in NARROWING_KEYWORDS for d, arg in new_kw.items() if d not in old_kw):
            return False
    return _body_grows(old.body, new.body, allowed)


def _added_assertion(stmt: ast.stmt, allowed: set[str]) -> bool:
    """An added `assert` that calls only what the old test called, or pure builtins."""
    if not isinstance(stmt, ast.Assert):
        return False
    for node in ast.walk(stmt):
        pure = isinstance(node, ast.Call) and _callee_allowed(node.func, allowed)
        if isinstance(node, ast.Call) and not pure:
            return False
        if isinstance(node, ast.NamedExpr | ast.Lambda | ast.Await):
            return False
    return True
