"""How a change touches main's tests: removed, renamed, rewritten, conftests, helpers and data."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterator

from self_improving_agent.base.pysource import parse_source
from self_improving_agent.gates.vet.conftests import conftest_reasons
from self_improving_agent.gates.vet.test_strength import at_least_as_strong

TEST_FOLDER = re.compile(r"(^|/)(tests?|testing)/")
TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")


def is_test_file(path: str) -> bool:
    """A file of main's tests: under a test folder, a test module or a conftest."""
    folded = path.casefold()
    base = posixpath.basename(folded)
    return bool(TEST_FOLDER.search(folded) or TEST_FILE.search(folded)) or base == "conftest.py"


def module_name(path: str) -> str | None:
    """The dotted module a .py path provides ('src/pkg/a.py' -> 'pkg.a'), or None."""
    if not path.endswith(".py") or is_test_file(path):
        return None
    parts = path.removesuffix(".py").removesuffix("/__init__").split("/")
    parts = parts[1:] if parts[0] == "src" and len(parts) > 1 else parts
    return ".".join(parts) if all(p.isidentifier() for p in parts) else None


def module_renames(moves: list[tuple[str, str]]) -> dict[str, str]:
    """Old dotted module -> new, for the code files a change moves (git's rename detection)."""
    found = {}
    for old, new in moves:
        before, after = module_name(old), module_name(new)
        if before and after and before != after:
            found[before] = after
    return found


def _paired(old_path: str, path: str, renames: dict[str, str]) -> bool:
    """Whether a test file moves with the module it tests (test_a.py -> test_b.py with a -> b)."""
    for old, new in renames.items():
        stem_old, stem_new = old.rpartition(".")[2], new.rpartition(".")[2]
        if stem_old in old_path and old_path.replace(stem_old, stem_new) == path:
            return is_test_file(path)
    return False


def follow_renames(source: str, renames: dict[str, str]) -> str:
    """Main's test source with its imports of moved modules pointed at their new names."""
    if not renames:
        return source
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return source

    def moved(name: str) -> str:
        for old, new in renames.items():
            if name == old or name.startswith(old + "."):
                return new + name[len(old) :]
        return name

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                # `from pkg import mod` of a moved module: `from pkg2 import mod2 as mod`.
                full = renames.get(f"{node.module}.{alias.name}")
                if full is not None and len(node.names) == 1:
                    module, _, name = full.rpartition(".")
                    if name != alias.name:
                        alias.asname = alias.asname or alias.name
                    alias.name, node.module = name, module
                    break
            else:
                node.module = moved(node.module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                alias.name = moved(alias.name)
    return ast.unparse(tree)


def test_change_reasons(
    path: str,
    old_path: str | None,
    before: str | None,
    after: str | None,
    local_roots: frozenset[str],
    renames: dict[str, str] | None = None,
    used_in_main: Callable[[str], bool] = lambda _name: True,
) -> list[str]:
    """Why this change to a test file must be seen by a person (empty: it only adds tests);
    imports of modules the change moves follow them, and a test file may move with its module."""
    renames = renames or {}
    if before is not None:
        before = follow_renames(before, renames)
    if old_path is not None and old_path != path and _paired(old_path, path, renames):
        old_path = None
    source = old_path or path
    base = posixpath.basename(path.casefold())
    if before is not None and not is_test_file(source):
        return []
    if before is None:
        if base == "conftest.py" and after is not None:
            return list(conftest_reasons(None, after, used_in_main, local_roots))
        return []
    if after is None:
        return [f"deletes {source}, which holds main's tests or their helpers"]
    if old_path is not None and old_path != path:
        return [f"moves {old_path} to {path}; main's tests keep their place"]
    if base == "conftest.py":
        return list(conftest_reasons(before, after, used_in_main, local_roots))
    if not path.endswith(".py"):
        return ["changes test data main's tests read"]
    return list(_python_changes(before, after, local_roots))


def _defs(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Functions and classes of a body by name (the last wins, as Python binds them)."""
    return {
        s.name: s
        for s in body
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _others(body: list[ast.stmt]) -> list[str]:
    """Dumps of a body's statements that are neither definitions nor imports."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom
    return [
        ast.dump(s)
        for s in body
        if not isinstance(s, kinds)
        and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]


def _python_changes(before: str, after: str, local_roots: frozenset[str]) -> Iterator[str]:
    """Existing definitions removed or changed, module code changed, local helpers imported."""
    try:
        old, new = parse_source(before), parse_source(after)
    except (SyntaxError, ValueError, RecursionError):
        yield "a version of this test file does not parse, so the change can't be compared"
        return
    yield from _body_changes(old.body, new.body, "")
    old_imports = {ast.dump(s) for s in old.body if isinstance(s, ast.Import | ast.ImportFrom)}
    for stmt in new.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom) and ast.dump(stmt) not in old_imports:
            names = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else []
            names += [stmt.module or ""] if isinstance(stmt, ast.ImportFrom) else []
            relative = isinstance(stmt, ast.ImportFrom) and stmt.level > 0
            if relative or any(n.partition(".")[0] in local_roots for n in names):
                yield f"imports local code into main's tests (line {stmt.lineno})"


def _body_changes(old: list[ast.stmt], new: list[ast.stmt], owner: str) -> Iterator[str]:
    """Definitions of old that new removes or changes; other statements that differ."""
    old_defs, new_defs = _defs(old), _defs(new)
    for name, stmt in old_defs.items():
        label = f"{owner}{name}"
        if name not in new_defs:
            yield f"removes or renames {label}"
        elif isinstance(stmt, ast.ClassDef) and isinstance(new_defs[name], ast.ClassDef):
            new_class = new_defs[name]
            assert isinstance(new_class, ast.ClassDef)
            if [ast.dump(d) for d in stmt.decorator_list] != [
                ast.dump(d) for d in new_class.decorator_list
            ] or [ast.dump(b) for b in stmt.bases] != [ast.dump(b) for b in new_class.bases]:
                yield f"changes the decorators or bases of {label}"
            yield from _body_changes(stmt.body, new_class.body, f"{label}.")
        elif ast.dump(stmt) != ast.dump(new_defs[name]) and not at_least_as_strong(
            stmt, new_defs[name]
        ):
            yield f"changes {label} (line {new_defs[name].lineno})"
    if sorted(_others(old)) != sorted(_others(new)):
        where = f" of {owner.rstrip('.')}" if owner else " at module level"
        yield f"changes statements{where} (markers, settings or helpers main's tests use)"
