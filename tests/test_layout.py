"""The shape of the source: small modules, a main.py that only imports the app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 350


def test_no_source_or_test_module_is_over_350_lines() -> None:
    modules = [
        ROOT / "main.py",
        *sorted((ROOT / "src").rglob("*.py")),
        *sorted((ROOT / "tests").rglob("*.py")),
    ]
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_main_py_only_hands_over_to_the_cli_app() -> None:
    text = (ROOT / "main.py").read_text(encoding="utf-8")
    assert "from self_improving_agent.cli.app import app" in text
    # The shim registers this checkout's src/ under the package name, then hands over.
    assert len(text.splitlines()) <= 25


def _takes_settings(path: Path) -> list[str]:
    """Functions of a module with a parameter, and classes with a field, typed as Settings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            typed = [a.annotation for a in args if a.annotation is not None]
        elif isinstance(node, ast.ClassDef):
            fields = [n for n in node.body if isinstance(n, ast.AnnAssign)]
            typed = [f.annotation for f in fields]
        else:
            continue
        if any("Settings" in ast.unparse(t).replace("|", " ").split() for t in typed):
            found.append(f"{path.relative_to(ROOT / 'src').as_posix()}:{node.name}")
    return found


def test_below_the_cli_and_the_session_components_take_their_own_config_sections() -> None:
    found = {
        name
        for path in sorted((ROOT / "src").rglob("*.py"))
        if "cli" not in path.relative_to(ROOT / "src").parts[:1]
        and path != ROOT / "src" / "core" / "session.py"
        for name in _takes_settings(path)
    }
    assert found == set()
