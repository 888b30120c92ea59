"""Reference counts: who uses what, and the rank that orders the repository map."""

from __future__ import annotations

import ast

from self_improving_agent.analysis.references import Module, dotted, parse_module, rank_modules


def parsed(files: dict[str, str]) -> dict[str, Module]:
    """Each source parsed as the map parses it."""
    return {path: parse_module(path, ast.parse(text)) for path, text in files.items()}


def test_relative_and_absolute_imports_resolve_to_modules() -> None:
    module = parse_module(
        "pkg/sub/mod.py",
        ast.parse("import os.path\nfrom . import sibling\nfrom ..core import Thing\n"),
    )
    assert {"os.path", "pkg.sub", "pkg.sub.sibling", "pkg.core", "pkg.core.Thing"} <= (
        module.imports
    )
    assert dotted("pkg/__init__.py") == "pkg" and dotted("src/pkg/mod.py") == "src.pkg.mod"


def test_the_most_used_module_ranks_first_and_shared_names_split_their_credit() -> None:
    modules = parsed(
        {
            "src/app/core.py": "def load() -> int:\n    return 1\n\ndef run() -> None: ...\n",
            "src/app/other.py": "def run() -> None: ...\n",
            "src/app/cli.py": "from app.core import load\nload()\nrun()\n",
            "tests/test_core.py": "from src.app import core\ncore.load()\n",
        }
    )
    ranked = rank_modules(modules)
    assert ranked[0].path == "src/app/core.py"
    assert ranked[0].importers == {"src/app/cli.py", "tests/test_core.py"}
    core = {s.name: s.refs for s in ranked[0].symbols}
    assert core == {"load": 2.0, "run": 0.5}
    assert [s.name for s in ranked[0].symbols] == ["load", "run"]
    assert {s.name: s.refs for s in modules["src/app/other.py"].symbols} == {"run": 0.5}


def test_a_repeated_name_is_one_symbol_with_its_first_signature() -> None:
    module = parse_module("a.py", ast.parse("def f(a): ...\ndef g(): ...\ndef f(a, b): ...\n"))
    assert [(s.name, s.line) for s in module.symbols] == [("f", "def f(a)"), ("g", "def g()")]
