"""Aggregation across reports: acceptance, improvement, trends, reasons, cost and time."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.models import Review
from self_improving_agent.cli.app import app
from self_improving_agent.git_ops.judge_pin import PIN_REF
from self_improving_agent.reports.dashboard import (
    auto_sparkline,
    normalize_reason,
    reviewer_agreement,
    sparkline,
    summarize,
)
from self_improving_agent.reports.dashboard_html import render_html
from self_improving_agent.reports.dashboard_text import render_dashboard
from self_improving_agent.reports.report_files import write_report
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git, make_repo
from tests.reports.test_report_files import make_report, sample_reports


def test_acceptance_overall_and_cumulative() -> None:
    """Accepted, pending and accepted dry runs count; the sparkline follows the running rate."""
    data = summarize(sample_reports())
    assert (data.accepted, data.decided) == (3, 6)
    assert data.acceptance_rate == pytest.approx(0.5)
    rates = [p.acceptance_rate for p in data.generations]
    assert rates == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.4, 0.5])
    assert data.acceptance_sparkline == "█▅▃▃▄▅"


def test_average_improvement_per_accepted_generation() -> None:
    """Only accepted generations' total deltas are averaged."""
    data = summarize(sample_reports())
    assert data.avg_total_improvement == pytest.approx((0.05 + 0.05 + 0.07) / 3)


def test_levels_follow_main() -> None:
    """Merged generations move main to 'after'; others keep 'before' or carry the last level."""
    data = summarize(sample_reports())
    assert data.start_total == pytest.approx(0.60)
    assert [p.total for p in data.generations] == pytest.approx(
        [0.65, 0.65, 0.65, 0.65, 0.65, 0.72]
    )
    (tests,) = data.benchmarks
    assert tests.name == "tests"
    assert tests.start == pytest.approx(0.8)
    assert tests.values == pytest.approx([0.9, 0.9, 0.9, 0.9, 0.9, 1.0])
    assert tests.avg_improvement == pytest.approx((0.1 + 0.05 + 0.1) / 3)


def test_rejection_reasons_are_grouped_and_ranked() -> None:
    """Numbers are masked so one cause groups; the most frequent comes first."""
    data = summarize(sample_reports())
    ranked = [(r.reason, r.count, r.generations) for r in data.rejection_reasons]
    assert ranked == [
        ("review score N below consensus N", 2, [2, 4]),
        ("implement failed: anchor not found in src/a.py", 1, [3]),
    ]
    assert data.generations[3].reason == "review score 0.52 below consensus 0.60"


def test_cost_and_time_totals() -> None:
    """Known costs add up; one unknown cost marks the total as partial."""
    data = summarize(sample_reports())
    assert [p.cost_usd for p in data.generations] == pytest.approx(
        [0.03, 0.02, 0.0, 0.03, 0.005, 0.01]
    )
    assert data.generations[2].cost_known is False
    assert data.total_cost_usd == pytest.approx(0.095)
    assert data.cost_known is False
    assert data.total_duration_s == pytest.approx(130.0)
    assert data.avg_duration_s == pytest.approx(130.0 / 6)


def test_running_generation_is_not_decided() -> None:
    """A generation still running is listed but does not count toward the rate."""
    data = summarize([make_report(1), make_report(2, "running", accepted=False)])
    assert (data.accepted, data.decided) == (1, 1)
    assert data.generations[1].reason is None
    assert data.generations[1].acceptance_rate == pytest.approx(1.0)


def test_no_change_and_interrupted_reasons() -> None:
    """Without decision reasons or errors, the status itself is the reason."""
    reports = [
        make_report(1, "no_change", total=None, reasons=[], costs=()),
        make_report(2, "interrupted", total=None, reasons=[], costs=()),
    ]
    for r in reports:
        r.decision = None
    data = summarize(reports)
    assert [r.reason for r in data.rejection_reasons] == ["no change", "interrupted"]
    assert data.acceptance_rate == 0.0
    assert data.start_total is None


def test_reports_are_ordered_by_generation() -> None:
    """Input order does not matter."""
    data = summarize(list(reversed(sample_reports())))
    assert [p.generation for p in data.generations] == [1, 2, 3, 4, 5, 6]


def test_empty_summary() -> None:
    """No reports: no rate, no cost, and a friendly text."""
    data = summarize([])
    assert data.acceptance_rate is None
    assert data.total_cost_usd == 0
    assert render_dashboard(data, color=False).startswith("No generation reports yet.")


def test_sparklines() -> None:
    """Fixed scale for rates, own range for scores, gaps for missing values."""
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.0, None, 1.0]) == "▁ █"
    assert auto_sparkline([0.60, 0.62, 0.64]) == "▁▅█"
    assert auto_sparkline([0.7, 0.7]) == "▅▅"
    assert auto_sparkline([None]) == ""


def test_normalize_reason() -> None:
    """Numbers become N, names with digits stay, whitespace squeezes."""
    assert normalize_reason("delta  -0.012 <= 0.0\n(gen-3, py311)") == "delta N <= N (gen-N, py311)"


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI and return exit code, stdout and stderr."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_dashboard_text_and_html(repo: Path, clean_env: None, tmp_path: Path) -> None:
    """The command prints the dashboard and writes the HTML page on request."""
    for report in sample_reports():
        write_report(report, repo / "reports")
    page = tmp_path / "out.html"
    code, out, _ = invoke("dashboard", "--repo", str(repo), "--html", str(page))
    assert code == 0
    assert out.startswith("Dashboard: 6 generation(s), 3 accepted, 2 rejected, 1 failed")
    assert "█▅▃▃▄▅" in out
    assert out.rstrip().endswith(f"wrote {page}")
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 5
    assert "review score N below consensus N" in html


def test_cli_dashboard_without_reports(repo: Path, clean_env: None) -> None:
    """No reports yet is a friendly line and exit 0."""
    code, out, _ = invoke("dashboard", "--repo", str(repo))
    assert code == 0
    assert (
        out.strip() == "No generation reports yet. Run `agent run` (or `agent demo`) to make some."
    )


def test_cli_dashboard_unwritable_html(repo: Path, clean_env: None, tmp_path: Path) -> None:
    """An HTML path in a missing directory is one sentence, exit 1."""
    target = tmp_path / "missing" / "out.html"
    code, _, err = invoke("dashboard", "--repo", str(repo), "--html", str(target))
    assert code == 1
    assert f"{target}: cannot write the dashboard" in err
    assert "Traceback" not in err


def test_cli_dashboard_fails_closed_on_a_bad_report(repo: Path, clean_env: None) -> None:
    """One corrupt report stops the dashboard and is named."""
    write_report(make_report(1), repo / "reports")
    (repo / "reports/gen-2.json").write_text("[]", encoding="utf-8")
    code, _, err = invoke("dashboard", "--repo", str(repo))
    assert code == 1
    assert "gen-2.json: not a valid generation report" in err


def test_reviewer_agreement_with_people_is_counted_and_shown() -> None:
    def settled(n: int, approved: bool, verdict: str) -> GenerationReport:
        report = GenerationReport(generation=n, status="accepted", started_at="2026-11-21T00:00:00")
        report.review = Review(approved=approved, score=0.9, findings=[])
        report.human_verdict = {"verdict": verdict, "reviewer": "alice", "pr_number": n}
        return report

    reports = [
        settled(1, True, "approved"),
        settled(2, True, "changes_requested"),
        settled(3, False, "closed"),
        GenerationReport(generation=4, status="rejected", started_at="2026-11-21T00:00:00"),
    ]
    assert reviewer_agreement(reports) == (3, 2)
    data = summarize(reports)
    assert (data.human_verdicts, data.reviewer_agreed) == (3, 2)
    assert "agreed with people on 2 of 3 PR(s)" in render_dashboard(data, color=False)
    assert "Reviewer vs people" in render_html(data)


def test_the_dashboard_says_when_main_is_ahead_of_the_pinned_judge(
    tmp_path: Path, clean_env: None
) -> None:
    """The agent's own repository, judge files changed on main since the pin: both forms say so."""
    pyproject = '[project]\nname = "self-improving-agent"\nversion = "0"\n'
    repo = make_repo(tmp_path / "agent", {"pyproject.toml": pyproject, "src/gates/d.py": "x = 1\n"})
    pin = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", PIN_REF, pin)
    for report in sample_reports():
        write_report(report, repo / "reports")
    page = tmp_path / "dash.html"
    code, out, _ = invoke("dashboard", "--repo", str(repo), "--html", str(page))
    assert code == 0 and "main is ahead" not in out
    assert "main is ahead" not in page.read_text(encoding="utf-8")

    (repo / "src" / "gates" / "d.py").write_text("x = 2\n", encoding="utf-8")
    git(repo, "commit", "-qam", "a judge change")
    code, out, _ = invoke("dashboard", "--repo", str(repo), "--html", str(page))
    assert code == 0
    line = f"  judge        main is ahead of the pinned judge {pin[:10]}: 1 judge file(s) changed"
    assert line in out
    html = page.read_text(encoding="utf-8")
    assert f'<p class="judge">main is ahead of the pinned judge {pin[:10]}: 1 judge file(s)' in html
    assert "`agent judge promote`" in html
