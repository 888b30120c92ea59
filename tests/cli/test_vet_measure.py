"""`agent vet --measure`: main and the change measured with main's checks, nothing left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import git, make_repo

CALC = '"""Calc."""\n\n\ndef add(a, b):\n    return a + b\n'
TYPED = CALC.replace("(a, b):", "(a: int, b: int) -> int:").replace(
    "    return", '    """Sum of a and b."""\n    return'
)
runner = CliRunner()
TEST = "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


@pytest.mark.slow
def test_measure_compares_with_main_and_cleans_up(tmp_path: Path) -> None:
    files = {"pkg/__init__.py": "", "pkg/calc.py": CALC, "tests/__init__.py": ""}
    repo = make_repo(tmp_path / "repo", {**files, "tests/test_calc.py": TEST})
    (repo / "pkg" / "calc.py").write_text(TYPED)
    # A weakened test: main's version is what measures the change.
    (repo / "tests" / "test_calc.py").write_text(TEST.replace("== 3", "== 3 or True"))
    patch = tmp_path / "change.patch"
    patch.write_text(git(repo, "diff"))
    git(repo, "checkout", "-q", "--", ".")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json", "--measure", str(patch)])
    report = json.loads(result.stdout)
    assert result.exit_code == 3, result.output
    assert report["measure"]["lost_tests"] == []
    assert report["measure"]["main_tests_pass_rate"] == 1.0
    assert report["measure"]["delta"] > 0
    assert git(repo, "worktree", "list").count("\n") == 1
    assert git(repo, "status", "--porcelain") == ""
