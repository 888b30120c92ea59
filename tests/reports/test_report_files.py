"""Reports on disk: atomic writes, lookup by number or latest, clear errors, LLM totals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from self_improving_agent.base.errors import ReportArgumentError, ReportError
from self_improving_agent.base.models import EditResult, LlmCall, Plan
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.reports.report_files import (
    find_report,
    llm_totals,
    load_report,
    load_reports,
    parse_which,
    read_report,
    report_numbers,
    report_text,
    write_report,
)
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport

PERSONAS = ("architect", "builder", "reviewer")


def call(persona: str, cost: float | None, tokens: tuple[int, int] = (1000, 200)) -> LlmCall:
    """One LLM call with the given cost."""
    return LlmCall(
        persona=persona,
        provider="anthropic",
        model="claude-sonnet-4-6",
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        latency_s=1.5,
        cost_usd=cost,
    )


def delta(before: float | None, after: float | None) -> BenchDelta:
    """A BenchDelta with its delta computed."""
    d = None if before is None or after is None else round(after - before, 6)
    return BenchDelta(before=before, after=after, delta=d)


def make_report(
    generation: int,
    status: str = "accepted",
    *,
    total: tuple[float, float] | None = (0.60, 0.65),
    benchmarks: dict[str, tuple[float, float]] | None = None,
    reasons: list[str] | None = None,
    accepted: bool | None = None,
    costs: tuple[float | None, ...] = (0.01,),
    duration: float | None = 30.0,
    dry_run: bool = False,
    errors: list[dict[str, str]] | None = None,
    title: str = "Tidy imports",
) -> GenerationReport:
    """A synthetic report shaped as the loop writes it."""
    verdict = status == "accepted" if accepted is None else accepted
    return GenerationReport.model_validate(
        {
            "generation": generation,
            "status": status,
            "dry_run": dry_run,
            "started_at": "2026-11-01T10:00:00+00:00",
            "finished_at": "2026-11-01T10:00:30+00:00",
            "duration_s": duration,
            "phases": [
                {
                    "phase": "plan",
                    "started_at": "2026-11-01T10:00:00+00:00",
                    "finished_at": "2026-11-01T10:00:02.500000+00:00",
                },
                {"phase": "implement", "duration_s": 7.25, "status": "ok"},
            ],
            "plan": Plan(title=title, files_to_modify=["src/a.py"], rationale="cleaner"),
            "llm_calls": [call(PERSONAS[i], c) for i, c in enumerate(costs)],
            "benchmarks": {n: delta(*v) for n, v in (benchmarks or {}).items()},
            "totals": delta(*total) if total else None,
            "review": {
                "approved": verdict,
                "score": 0.8 if verdict else 0.4,
                "summary": "small and safe",
                "findings": ["uses a clear name", {"severity": "minor", "message": "long line"}],
            },
            "edits": [
                EditResult(file="src/a.py", op="replace", applied=True, lines_changed=3),
                EditResult(file="src/b.py", op="replace", applied=False, error="anchor not found"),
            ],
            "files_changed": ["src/a.py"],
            "decision": None
            if errors
            else Decision(accepted=verdict, reasons=reasons or ["all gates passed"]),
            "errors": errors or [],
        }
    )


def sample_reports() -> list[GenerationReport]:
    """Accepted, rejected twice for one cause, failed with unknown cost, dry run, accepted."""
    return [
        make_report(1, total=(0.60, 0.65), benchmarks={"tests": (0.8, 0.9)}, costs=(0.01, 0.02)),
        make_report(
            2,
            "rejected",
            total=(0.65, 0.64),
            benchmarks={"tests": (0.9, 0.85)},
            reasons=["review score 0.40 below consensus 0.60", "total delta -0.010"],
            costs=(0.02,),
            duration=20.0,
        ),
        make_report(
            3,
            "failed",
            total=None,
            errors=[{"phase": "implement", "message": "anchor not found in src/a.py"}],
            costs=(None,),
            duration=5.0,
        ),
        make_report(
            4,
            "rejected",
            total=(0.65, 0.66),
            benchmarks={"tests": (0.9, 0.9)},
            reasons=["review score 0.52 below consensus 0.60"],
            costs=(0.03,),
            duration=25.0,
        ),
        make_report(
            5,
            "accepted",
            total=(0.65, 0.70),
            benchmarks={"tests": (0.9, 0.95)},
            dry_run=True,
            costs=(0.005,),
            duration=10.0,
        ),
        make_report(
            6,
            total=(0.65, 0.72),
            benchmarks={"tests": (0.9, 1.0)},
            costs=(0.01,),
            duration=40.0,
        ),
    ]


def test_write_report_is_atomic_and_round_trips(tmp_path: Path) -> None:
    """The file appears whole under its final name, with no temp file left behind."""
    reports = tmp_path / "reports"
    report = make_report(3)
    path = write_report(report, reports)
    assert path == reports / "gen-3.json"
    assert os.listdir(reports) == ["gen-3.json"]
    assert json.loads(path.read_text())["generation"] == 3
    assert read_report(path) == report


def test_write_report_replaces_an_older_version(tmp_path: Path) -> None:
    """Writing a generation again replaces its file in one step."""
    write_report(make_report(1, "running"), tmp_path)
    write_report(make_report(1, "rejected", reasons=["worse"]), tmp_path)
    assert load_report(tmp_path, 1).status == "rejected"
    assert os.listdir(tmp_path) == ["gen-1.json"]


def test_write_report_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    """When the final rename fails, the temp file is removed and the error names the target."""
    (tmp_path / "gen-2.json").mkdir()
    with pytest.raises(ReportError, match=r"gen-2\.json: cannot write the report"):
        write_report(make_report(2), tmp_path)
    assert os.listdir(tmp_path) == ["gen-2.json"]


def test_numbers_sort_numerically_and_ignore_other_files(tmp_path: Path) -> None:
    """gen-10 comes after gen-9; temp files and .gitkeep are not reports."""
    for n in (10, 9, 1):
        write_report(make_report(n), tmp_path)
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / ".gen-4.json.x.tmp").write_text("{")
    assert report_numbers(tmp_path) == [1, 9, 10]
    assert [r.generation for r in load_reports(tmp_path)] == [1, 9, 10]
    assert load_report(tmp_path, "latest").generation == 10


def test_missing_directory_has_no_reports(tmp_path: Path) -> None:
    """A repository that never ran a generation has an empty list, not an error."""
    assert load_reports(tmp_path / "nope") == []
    with pytest.raises(ReportError, match=r"no reports in .*run `agent run`"):
        load_report(tmp_path / "nope", "latest")


def test_missing_generation_names_what_exists(tmp_path: Path) -> None:
    """Asking for a generation without a report lists the available ones."""
    for n in (1, 2, 3, 5):
        write_report(make_report(n), tmp_path)
    with pytest.raises(ReportError, match=r"no report for generation 4 .*available: 1-3, 5"):
        find_report(tmp_path, 4)


def test_invalid_json_fails_closed_naming_the_file(tmp_path: Path) -> None:
    """A broken report stops the whole load with its path and the problem."""
    write_report(make_report(1), tmp_path)
    (tmp_path / "gen-2.json").write_text('{"generation": 2, "status": "bogus"', encoding="utf-8")
    with pytest.raises(ReportError, match=r"gen-2\.json: not a valid generation report"):
        load_reports(tmp_path)


def test_schema_error_names_the_field(tmp_path: Path) -> None:
    """A wrong status value is reported with its field."""
    (tmp_path / "gen-1.json").write_text(
        json.dumps({"generation": 1, "status": "bogus", "started_at": "x"}), encoding="utf-8"
    )
    with pytest.raises(ReportError, match=r"gen-1\.json: .*\(status: "):
        load_report(tmp_path, 1)


def test_generation_must_match_the_file_name(tmp_path: Path) -> None:
    """A renamed report is not silently shown as another generation."""
    write_report(make_report(2), tmp_path)
    os.replace(tmp_path / "gen-2.json", tmp_path / "gen-7.json")
    with pytest.raises(ReportError, match=r"gen-7\.json: the file says generation 2"):
        load_report(tmp_path, 7)


def test_llm_totals_counts_unknown_costs() -> None:
    """Known costs are summed and an unknown one clears cost_known."""
    calls = [call("architect", 0.01, (1000, 100)), call("builder", None, (2000, 300))]
    totals = llm_totals(calls)
    assert totals["calls"] == 2
    assert totals["input_tokens"] == 3000
    assert totals["output_tokens"] == 400
    assert totals["cost_usd"] == pytest.approx(0.01)
    assert totals["cost_known"] is False
    assert totals["latency_s"] == pytest.approx(3.0)
    assert llm_totals([call("a", 0.5), call("b", 0.25)])["cost_known"] is True


def test_llm_totals_of_no_calls() -> None:
    """No calls cost nothing, and that cost is known."""
    assert llm_totals([]) == {
        "calls": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0,
        "cost_known": True,
        "latency_s": 0,
    }


def test_parse_which() -> None:
    """'latest' in any case or a positive number; anything else is a usage error."""
    assert parse_which("latest") == "latest"
    assert parse_which(" Latest ") == "latest"
    assert parse_which("12") == 12
    for bad in ("0", "-1", "first", "1.5", ""):
        with pytest.raises(ReportArgumentError, match="give a number such as 3, or latest"):
            parse_which(bad)
    assert ReportArgumentError.exit_code == 2


def test_report_text_is_the_file_once_valid(tmp_path: Path) -> None:
    """The raw JSON is returned unchanged, but only for a valid report."""
    path = write_report(make_report(4), tmp_path)
    assert report_text(tmp_path, "latest") == path.read_text(encoding="utf-8")
    path.write_text('{"generation": 4}', encoding="utf-8")
    with pytest.raises(ReportError, match=r"gen-4\.json: not a valid generation report"):
        report_text(tmp_path, 4)
