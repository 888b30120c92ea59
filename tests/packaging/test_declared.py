"""Every package src/ imports is declared by the project itself, not only pulled in by another."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "self_improving_agent"


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(text: str) -> str:
    """The distribution a requirement string names."""
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    assert found, text
    return canonical(found.group(1))


def declared() -> set[str]:
    """Distributions named in [project] dependencies or any of its extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    return {requirement_name(t) for t in texts} - {PACKAGE.replace("_", "-")}


def imported_top_levels() -> set[str]:
    """Top-level modules outside the standard library that any module in src/ imports."""
    names: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != PACKAGE}


def pinned_parts(names: set[str]) -> set[str]:
    """Distributions a declared one pins exactly (==): they are released as one with it."""
    parts = set()
    for name in names:
        for text in requires(name) or []:
            spec, _, marker = text.partition(";")
            if "==" in spec and "extra" not in marker:
                parts.add(requirement_name(text))
    return parts


def test_every_imported_distribution_is_declared() -> None:
    ours = declared()
    table = packages_distributions()
    missing = {
        module: table.get(module)
        for module in imported_top_levels()
        if not {canonical(d) for d in table.get(module, [module])} & (ours | pinned_parts(ours))
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_an_undeclared_import_is_found() -> None:
    ours = declared() - {"packaging"}
    table = packages_distributions()
    assert not {canonical(d) for d in table["packaging"]} & (ours | pinned_parts(ours))
