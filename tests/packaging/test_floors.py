"""Every import in src/ points down a floor (CONTRIBUTING's table) and no import forms a circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = "self_improving_agent"


def floors() -> list[str]:
    """The floors bottom to top, as CONTRIBUTING's layout table lists them."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `src/(\w+)/` \|", text, flags=re.M)


def module_of(path: Path) -> str:
    """The dotted module name of a file under src/."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join((PACKAGE, *(parts[:-1] if parts[-1] == "__init__" else parts)))


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The package modules path imports (all of them, or only those run at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == PACKAGE:
                found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
    return found


def known(name: str, modules: set[str]) -> str | None:
    """The longest existing module that name (a module or a module's attribute) refers to."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def test_contributing_lists_every_floor_once() -> None:
    listed = floors()
    actual = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert sorted(listed) == sorted(actual)
    assert len(listed) == len(set(listed))


def test_every_import_points_down_a_floor() -> None:
    rank = {name: i for i, name in enumerate(floors())}
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2:
            continue
        for name in sorted(imports(path, top_level_only=False)):
            target = name.split(".")[1] if "." in name else ""
            if target in rank and rank[target] > rank[parts[0]]:
                upward.append(f"{path.relative_to(ROOT)} imports {name} ({target} is above)")
    assert not upward, "\n".join(upward)


def test_no_import_circle() -> None:
    files = {module_of(p): p for p in SRC.rglob("*.py")}
    modules = set(files)
    graph = {
        name: {
            m
            for m in (known(i, modules) for i in imports(path, top_level_only=True))
            if m and m != name and not name.startswith(f"{m}.")
        }
        for name, path in files.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            raise AssertionError("import circle: " + " -> ".join(cycle))


def test_the_judge_imports_only_the_minds_messages() -> None:
    """Outside src/mind/ nothing reaches into the mind but the message types of the pipe."""
    allowed = f"{PACKAGE}.mind.messages"
    reaching = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] == "mind":
            continue
        for name in sorted(imports(path, top_level_only=False)):
            inside = name == f"{PACKAGE}.mind" or name.startswith(f"{PACKAGE}.mind.")
            if inside and name != f"{PACKAGE}.mind" and not name.startswith(allowed):
                reaching.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not reaching, "\n".join(reaching)
