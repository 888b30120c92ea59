"""type_check: error counting, the score, mypy's exit codes, agreement with mypy by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from self_improving_agent.benchmarks import type_check
from self_improving_agent.benchmarks.context import per_kloc_score
from self_improving_agent.benchmarks.type_check import count_errors
from tests.benchmarks.conftest import context
from tests.conftest import make_repo


def test_count_errors_counts_error_lines_only() -> None:
    out = "a.py:3: error: bad\na.py:4:2: error: worse\nb.py:1: note: hint\nb.py: error: dup\n"
    assert count_errors(out) == (3, 2)


def test_score_falls_with_errors_per_kloc() -> None:
    assert per_kloc_score(0, 500) == 1.0
    assert per_kloc_score(5, 500) == 0.5
    assert per_kloc_score(6, 500) < per_kloc_score(5, 500) < per_kloc_score(5, 600)


def test_agrees_with_mypy_run_by_hand(sample: Path, tmp_path: Path) -> None:
    result = type_check.run(context(sample, tmp_path / "scratch"), 120)
    by_hand = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "c"), "pkg"],
        cwd=sample,
        capture_output=True,
        text=True,
    )
    assert by_hand.returncode == 1
    assert "Found 1 error in 1 file" in by_hand.stdout
    assert (result.status, result.raw["errors"], result.raw["files"]) == ("ok", 1, 3)
    assert result.score == per_kloc_score(1, result.raw["lines"])


def test_a_fatal_mypy_run_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"bad.py": "def (:\n"})
    result = type_check.run(context(repo, tmp_path / "s"), 120)
    assert (result.status, result.score) == ("error", 0.0)
    assert "mypy exited 2" in result.detail


def test_the_projects_own_files_setting_decides_what_is_checked(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.mypy]\nfiles = ["pkg"]\n',
        "pkg/__init__.py": "x: int = 1\n",
        "docs/conf.py": "y: int = 'not an int'\n",
    }
    repo = make_repo(tmp_path / "r", files)
    assert type_check.config_names_targets(repo)
    assert type_check.run(context(repo, tmp_path / "s"), 120).raw["errors"] == 0


def test_without_config_the_packages_are_checked_not_docs_or_tests() -> None:
    top = ["src/pkg", "docs/ext", "other"]
    assert type_check.default_targets(top, ["a.py"]) == ["src/pkg", "other"]
    assert type_check.default_targets([], ["a.py"]) == ["a.py"]
