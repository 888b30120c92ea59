"""lint_score: the JSON shape check, counting by rule, agreement with ruff by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from self_improving_agent.benchmarks import lint_score
from self_improving_agent.benchmarks.lint_score import by_rule, parse_violations
from self_improving_agent.sandbox.proc import ToolRun
from tests.benchmarks.conftest import context
from tests.conftest import make_repo


def _violation(code: str | None) -> dict[str, object]:
    """One ruff JSON entry."""
    return {"code": code, "filename": "a.py", "message": "m", "location": {"row": 1, "column": 1}}


def test_parse_and_count_by_rule() -> None:
    text = json.dumps(
        [_violation("F401"), _violation("E501"), _violation("F401"), _violation(None)]
    )
    assert by_rule(parse_violations(text)) == {"F401": 2, "E501": 1, "syntax-error": 1}


def test_an_unexpected_shape_is_an_error_result() -> None:
    with pytest.raises(ValueError, match="unexpected ruff JSON shape"):
        parse_violations(json.dumps({"violations": []}))
    run = ToolRun(1, json.dumps([{"code": 1}]), "", 0.1, False, 1)
    assert lint_score.judge(run, 100).status == "error"
    assert lint_score.judge(ToolRun(2, "", "ruff: boom", 0.1, False, 1), 100).detail.endswith(
        "boom"
    )


def test_agrees_with_ruff_run_by_hand(sample: Path, tmp_path: Path) -> None:
    result = lint_score.run(context(sample, tmp_path / "scratch"), 60)
    by_hand = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=sample,
        capture_output=True,
        text=True,
    )
    assert "Found 1 error." in by_hand.stdout
    assert (result.status, result.raw["violations"]) == ("ok", 1)


def test_a_project_with_fix_true_is_never_rewritten(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[tool.ruff]\nfix = true\n", "mod.py": "import os\n"}
    repo = make_repo(tmp_path / "r", files)
    result = lint_score.run(context(repo, tmp_path / "s"), 60)
    assert (repo / "mod.py").read_text() == "import os\n"
    assert result.raw["by_rule"] == {"F401": 1}
