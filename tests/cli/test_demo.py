"""`agent demo` end to end: the sample evolves offline; report and dashboard read the results."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.errors import AgentError
from self_improving_agent.cli.app import app
from self_improving_agent.cli.demo import create_sample

runner = CliRunner()
TOTALS = re.compile(r"total score: (\d\.\d+) before -> (\d\.\d+) after")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "shop"
    result = runner.invoke(app, ["demo", "--path", str(path), "--max-gen", "2"])
    assert result.exit_code == 0, result.output
    return path, result.stdout


def test_demo_accepts_a_generation_and_raises_the_total(demo: tuple[Path, str]) -> None:
    path, out = demo
    match = TOTALS.search(out)
    assert match is not None, out
    assert float(match.group(2)) > float(match.group(1))
    assert re.search(r"gen \d accepted", out)
    assert "Dashboard: 2 generation(s)" in out
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=path, capture_output=True, text=True, check=True
    ).stdout
    assert "agent gen-" in log


def test_demo_keeps_passing_tests_passing_and_the_failing_one_failing(
    demo: tuple[Path, str],
) -> None:
    path, _ = demo
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "1 failed, 3 passed" in run.stdout
    assert "test_discount" in run.stdout


def test_report_and_dashboard_read_the_demo(demo: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = demo
    report = runner.invoke(app, ["report", "1", "--json", "--repo", str(path)])
    assert report.exit_code == 0, report.output
    data = json.loads(report.stdout)
    assert data["generation"] == 1
    assert data["reproducibility"]["provider"] == "offline"
    assert {c["persona"] for c in data["llm_calls"]} == {"architect", "builder", "reviewer"}
    text = runner.invoke(app, ["report", "--repo", str(path)])
    assert text.exit_code == 0 and "gen" in text.stdout.lower()
    page = tmp_path / "out.html"
    board = runner.invoke(app, ["dashboard", "--repo", str(path), "--html", str(page)])
    assert board.exit_code == 0, board.output
    assert "acceptance" in board.stdout
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")


def test_create_sample_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(AgentError, match="not an empty folder"):
        create_sample(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_command_reports_a_non_empty_folder_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--path", str(tmp_path)])
    assert result.exit_code != 0
    assert "error:" in result.output and "Traceback" not in result.output
