"""`agent bench`: the table, the exact JSON object, progress on stderr, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.report import (
    key_figure,
    progress_line,
    render_table,
    suite_json,
)
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.cli.app import app
from tests.conftest import git, make_repo

SUITE = SuiteResult(
    total=0.5,
    results=[
        BenchResult(name="lint_score", score=0.25, raw={"violations": 3}, duration_s=0.5),
        BenchResult(name="doc_coverage", score=0.75, raw={}, status="error", detail="broke"),
    ],
    cached=True,
    key="k",
)


def test_table_has_one_row_per_benchmark_and_the_total() -> None:
    text = render_table(SUITE)
    assert "lint_score" in text and "3 violations" in text and "0.250" in text
    assert "doc_coverage" in text and "error" in text
    assert text.splitlines()[-2].split() == ["total", "0.500", "(cached)"]
    assert text.splitlines()[-1] == "doc_coverage error: broke"
    assert key_figure(SUITE.results[1]) == "broke"
    assert progress_line("lint_score", None) == "  lint_score: running"


def test_json_has_exactly_the_documented_keys() -> None:
    data = suite_json(SUITE)
    assert set(data) == {"total", "benchmarks", "cached", "sandbox"}
    keys = {
        "name",
        "score",
        "status",
        "duration_s",
        "raw",
        "detail",
        "sandbox",
        "custom",
        "samples",
    }
    assert set(data["benchmarks"][0]) == keys


def test_cli_json_on_a_fixture_repo_keeps_stdout_clean(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "# r\n", "pkg/__init__.py": "x = 1\n"})
    args = [
        "bench",
        "--repo",
        str(repo),
        "--json",
        "--only",
        "doc_coverage",
        "--only",
        "lint_score",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert [b["name"] for b in data["benchmarks"]] == ["doc_coverage", "lint_score"]
    assert data["cached"] is False
    assert "doc_coverage: running" in first.stderr
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["cached"] is True
    forced = json.loads(CliRunner().invoke(app, [*args, "--no-cache"]).stdout)
    assert forced["cached"] is False
    assert git(repo, "status", "--porcelain") == ""


def test_cli_table_and_clear_errors(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": '"""A."""\n'})
    table = CliRunner().invoke(app, ["bench", "--repo", str(repo), "--only", "doc_coverage"])
    assert table.exit_code == 0
    assert table.stdout.splitlines()[-1].startswith("total")
    plain = tmp_path / "plain"
    plain.mkdir()
    refused = CliRunner().invoke(app, ["bench", "--repo", str(plain)])
    assert refused.exit_code == 1
    assert "is not a git repository" in refused.stderr
    assert not (plain / ".agent").exists()
    unknown = CliRunner().invoke(app, ["bench", "--repo", str(repo), "--only", "speed"])
    assert "unknown benchmark" in unknown.stderr
