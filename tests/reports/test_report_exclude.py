"""The report files the agent writes are kept out of git status, the user's are not."""

from __future__ import annotations

import subprocess
from pathlib import Path

from self_improving_agent.base.exclude import ensure_excluded
from self_improving_agent.reports.report_files import report_patterns


def test_the_agents_report_files_are_excluded_but_a_tracked_reports_folder_stays_the_users(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "reports").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "reports" / "q1.md").write_text("mine\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    ensure_excluded(repo, report_patterns("reports/"))
    (repo / "reports" / "q2.md").write_text("also mine\n")
    (repo / "reports" / "gen-1.json").write_text("{}\n")
    (repo / "reports" / ".gen-2.json.x1.tmp").write_text("{")
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "-uall"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "reports/q2.md" in status
    assert "gen-1.json" not in status and ".tmp" not in status
