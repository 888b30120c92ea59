"""file_organization: each documented check on small trees."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.benchmarks.file_organization import run_checks, score_checks
from self_improving_agent.benchmarks.sources import SourceTree


def tree(files: dict[str, str]) -> SourceTree:
    """A SourceTree without touching disk."""
    texts = {rel: text for rel, text in files.items() if rel.endswith(".py")}
    return SourceTree(Path("/nowhere"), sorted(files), texts)


GOOD = {
    "README.md": "# x\n",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/a.py": "x = 1\n",
    "tests/test_a.py": "def test_a():\n    pass\n",
}


def test_a_tidy_tree_passes_every_check() -> None:
    checks = run_checks(tree(GOOD), max_lines=50)
    assert {name: c.passed for name, c in checks.items()} == dict.fromkeys(checks, True)


def test_each_check_fails_on_its_problem() -> None:
    bad = {
        "debug.log": "",
        "pkg/__init__.py": "",
        "pkg/loose/a.py": "x = 1\n" * 60,
        "pkg/broken.py": "def (:\n",
    }
    checks = run_checks(tree(bad), max_lines=50)
    assert {name for name, c in checks.items() if not c.passed} == {
        "packages_have_init",
        "module_size",
        "tests_exist",
        "has_readme",
        "no_stray_root_files",
        "python_parses",
    }
    assert checks["packages_have_init"].offenders == ["pkg/loose"]
    assert checks["module_size"].offenders == ["pkg/loose/a.py"]


def test_score_is_the_passed_fraction() -> None:
    assert score_checks({"a": True, "b": False, "c": True}) == 2 / 3
