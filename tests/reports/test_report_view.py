"""Text rendering of one report: every section, colour only when asked, no terminal injection."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.models import EditResult, LlmCall
from self_improving_agent.cli.app import app
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.reports.report_files import write_report
from self_improving_agent.reports.report_model import RepairRound
from self_improving_agent.reports.report_view import phase_duration, render_report, table, use_color
from tests.reports.test_report_files import make_report, sample_reports

GREEN_ON = "\x1b[32m"
RED_ON = "\x1b[31m"


def test_accepted_report_shows_every_section() -> None:
    """Phases, LLM calls with totals, benchmarks, review, decision and files all appear."""
    text = render_report(sample_reports()[0], color=False)
    assert text.splitlines()[0] == "Generation 1: accepted"
    assert "  plan:     Tidy imports" in text
    assert "  duration: 30.0 s" in text
    assert "\x1b[" not in text
    lines = text.splitlines()
    plan_line = next(line for line in lines if line.startswith("  plan "))
    assert plan_line.split() == ["plan", "2.5", "s"]
    implement_line = next(line for line in lines if line.startswith("  implement"))
    assert implement_line.split() == ["implement", "7.2", "s", "ok"]
    total_line = next(line for line in lines if line.startswith("  total "))
    assert total_line.split() == ["total", "2", "call(s)", "2,000", "400", "3.0", "s", "$0.0300"]
    tests_line = next(line for line in lines if line.startswith("  tests"))
    assert tests_line.split() == ["tests", "0.800", "0.900", "+0.100"]
    weighted = next(line for line in lines if line.startswith("  total (weighted)"))
    assert weighted.split()[-3:] == ["0.600", "0.650", "+0.050"]
    assert "  approved, score 0.80" in text
    assert "  - [minor] long line" in text
    assert "  - all gates passed" in text
    assert "  edits: 1 applied, 1 failed" in text
    assert "  x src/b.py (replace): anchor not found" in text
    assert "Errors" not in text


def test_rejected_report_colours_worse_red_and_lists_reasons() -> None:
    """A worse benchmark is red, the verdict is red and every reason is listed."""
    text = render_report(sample_reports()[1], color=True)
    assert f"{RED_ON}-0.050\x1b[0m" in text
    assert f"{RED_ON}rejected\x1b[0m" in text
    assert "  - review score 0.40 below consensus 0.60" in text
    assert "  - total delta -0.010" in text
    assert "not approved, score 0.40" in text


def test_better_benchmark_is_green() -> None:
    """A rising score is painted green when colour is on."""
    text = render_report(sample_reports()[0], color=True)
    assert f"{GREEN_ON}+0.100\x1b[0m" in text


def test_failed_report_shows_errors_and_unpriced_cost() -> None:
    """A failed generation names the failing phase; an unpriced cost says so."""
    text = render_report(sample_reports()[2], color=False)
    assert "Generation 3: failed" in text
    assert "  implement: anchor not found in src/a.py" in text
    assert "none (the generation ended before deciding)" in text
    assert "  not measured" in text
    assert text.count("unpriced") == 2


def test_dry_run_is_flagged() -> None:
    """A dry run says nothing was committed."""
    text = render_report(sample_reports()[4], color=False)
    assert "(dry run: nothing was committed or merged)" in text.splitlines()[0]


def test_estimated_tokens_are_marked() -> None:
    """Tokens the provider could not count are marked and explained."""
    report = make_report(1)
    report.llm_calls = [
        LlmCall(persona="builder", provider="mock", model="m", input_tokens=40, estimated=True)
    ]
    text = render_report(report, color=False)
    assert "~40" in text
    assert "~ estimated token count" in text


def test_model_text_cannot_drive_the_terminal() -> None:
    """Escape sequences and newlines in a model-written title are neutralised."""
    text = render_report(make_report(1, title="evil\x1b[2J\nsecond line"), color=False)
    assert "\x1b" not in text
    assert "  plan:     evil [2J second line" in text


def test_phase_duration_prefers_the_recorded_value() -> None:
    """duration_s wins; otherwise timestamps give it; bad or missing ones give None."""
    assert phase_duration({"duration_s": 1.25, "started_at": "x"}) == 1.25
    assert phase_duration(
        {"started_at": "2026-11-01T10:00:00", "finished_at": "2026-11-01T10:01:30"}
    ) == pytest.approx(90.0)
    assert phase_duration({"started_at": "2026-11-01T10:00:00"}) is None
    assert phase_duration({"started_at": "yesterday", "finished_at": "today"}) is None


def test_table_aligns_ignoring_colour_codes() -> None:
    """Coloured cells take the same width as plain ones."""
    lines = table([["a", "1"], ["bbb", "\x1b[32m22\x1b[0m"]], right={1})
    assert lines == ["  a     1", "  bbb  \x1b[32m22\x1b[0m"]


def test_use_color_respects_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR and a non-terminal both turn colour off."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty()) is False


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI and return exit code, stdout and stderr."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo_with_reports(repo: Path, clean_env: None) -> Path:
    """A git repository whose reports directory holds the six sample reports."""
    for report in sample_reports():
        write_report(report, repo / "reports")
    return repo


def test_cli_report_latest_and_by_number(repo_with_reports: Path) -> None:
    """Without an argument the newest report is shown; a number picks one."""
    code, out, _ = invoke("report", "--repo", str(repo_with_reports))
    assert code == 0
    assert out.startswith("Generation 6: accepted")
    assert "\x1b[" not in out
    code, out, _ = invoke("report", "2", "--repo", str(repo_with_reports))
    assert code == 0
    assert out.startswith("Generation 2: rejected")
    assert "  - review score 0.40 below consensus 0.60" in out


def test_cli_report_json_is_the_file(repo_with_reports: Path) -> None:
    """--json prints the report file byte for byte."""
    code, out, _ = invoke("report", "1", "--json", "--repo", str(repo_with_reports))
    assert code == 0
    assert out == (repo_with_reports / "reports/gen-1.json").read_text(encoding="utf-8")
    assert json.loads(out)["decision"] == {
        "accepted": True,
        "reasons": ["all gates passed"],
        "needs_human": [],
        "evidence": "",
    }


def test_cli_report_honours_reports_dir(repo_with_reports: Path) -> None:
    """The reports directory comes from the configuration."""
    (repo_with_reports / "reports").rename(repo_with_reports / "out")
    (repo_with_reports / "config").mkdir()
    (repo_with_reports / "config/agent.toml").write_text('[agent]\nreports_dir = "out"\n')
    code, out, _ = invoke("report", "latest", "--repo", str(repo_with_reports))
    assert code == 0
    assert out.startswith("Generation 6")


def test_cli_report_missing_generation(repo_with_reports: Path) -> None:
    """A generation without a report exits 1 with one sentence naming what exists."""
    code, out, err = invoke("report", "9", "--repo", str(repo_with_reports))
    assert code == 1
    assert out == ""
    assert err.strip().endswith(
        "no report for generation 9 in " + str(repo_with_reports / "reports") + "; available: 1-6"
    )
    assert "Traceback" not in err


def test_cli_report_bad_argument_and_empty_dir(repo: Path, clean_env: None) -> None:
    """A word that is not a number is a usage error; no reports at all is a clear error."""
    code, _, err = invoke("report", "first", "--repo", str(repo))
    assert code == 2
    assert "'first' is not a generation; give a number such as 3, or latest" in err
    code, _, err = invoke("report", "--repo", str(repo))
    assert code == 1
    assert "no reports in" in err


def test_cli_report_invalid_file(repo_with_reports: Path) -> None:
    """A corrupt report is named, even with --json."""
    (repo_with_reports / "reports/gen-3.json").write_text("{not json", encoding="utf-8")
    code, out, err = invoke("report", "3", "--json", "--repo", str(repo_with_reports))
    assert code == 1
    assert out == ""
    assert "gen-3.json: not a valid generation report" in err


def test_phases_and_gates_as_the_recorder_writes_them() -> None:
    """start/end timestamps, a failed phase in red, and gate verdicts with their reasons."""
    report = make_report(1, "rejected", reasons=["the merge gate said no"])
    report.phases = [
        {
            "phase": "benchmark",
            "start": "2026-11-01T10:00:00+00:00",
            "end": "2026-11-01T10:00:04+00:00",
            "status": "failed",
        }
    ]
    report.gates = [
        GateVerdict(gate="cedar-merge", allowed=False, reasons=["protected file", "too big"]),
        GateVerdict(gate="tests", allowed=True),
    ]
    text = render_report(report, color=True)
    assert f"4.0 s  {RED_ON}failed\x1b[0m" in text
    assert f"  cedar-merge: {RED_ON}deny\x1b[0m  protected file; too big" in text
    assert f"  tests: {GREEN_ON}allow\x1b[0m" in text


def test_repair_rounds_show_what_each_was_shown_and_how_it_ended() -> None:
    report = sample_reports()[0]
    assert "Repair rounds" not in render_report(report, color=False)
    edit = EditResult(file="pkg/a.py", op="replace", applied=True, lines_changed=1)
    report.repairs = [
        RepairRound(
            round=0, edits=[edit], regressions="1 lost test(s)", outcome="the first change"
        ),
        RepairRound(
            round=1,
            evidence=["- test t passed before and fails now"],
            evidence_tokens=512,
            edits=[edit],
            regressions="no regression",
            fixed=True,
            outcome="fixed",
        ),
    ]
    lines = render_report(report, color=False).splitlines()
    start = lines.index("Repair rounds")
    assert lines[start + 1 : start + 3] == [
        "  round 0: 1 edit(s) applied; after it: 1 lost test(s); the first change",
        "  round 1: 1 edit(s) applied, shown 1 item(s), request ~512 tokens;"
        " after it: no regression; ok",
    ]
