"""The PR review packet rendered from a generation report."""

from __future__ import annotations

from self_improving_agent.base.models import LlmCall, Plan, Review
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.reports.pr_body import MAX_BODY_CHARS, render_pr_body
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport

PATH = "reports/gen-4.json"


def full_report() -> GenerationReport:
    """A report of an accepted generation with every section filled."""
    return GenerationReport(
        generation=4,
        status="accepted",
        started_at="2026-01-02T03:04:05Z",
        plan=Plan(
            title="Split the parser",
            files_to_modify=["src/parse.py"],
            rationale="The parser is 900 lines long.",
            steps=["Move tokenizing out", "Add tests"],
        ),
        benchmarks={
            "tests": BenchDelta(before=0.8, after=0.85, delta=0.05),
            "types": BenchDelta(before=1.0, after=None, delta=None),
        },
        totals=BenchDelta(before=0.9, after=0.925, delta=0.025),
        review={
            "approved": True,
            "score": 0.82,
            "summary": "Clean split.",
            "findings": [{"severity": "minor", "message": "Name is vague"}, "Docstring missing"],
        },
        files_changed=["src/parse.py", "src/tokens.py"],
        gates=[
            GateVerdict(gate="safety", allowed=True),
            GateVerdict(gate="cedar:merge", allowed=True, reasons=["policy0", "policy2"]),
            GateVerdict(gate="smoke", allowed=False, reasons=["`python main.py --help` exited 1"]),
        ],
        decision=Decision(accepted=True, reasons=["weighted total rose by 0.025", "review 0.82"]),
        llm_calls=[
            LlmCall(
                persona="architect",
                provider="anthropic",
                model="m",
                input_tokens=1000,
                output_tokens=200,
                cost_usd=0.006,
            ),
            LlmCall(
                persona="builder",
                provider="anthropic",
                model="m",
                input_tokens=2000,
                output_tokens=800,
                cost_usd=0.018,
                estimated=True,
            ),
        ],
    )


def test_packet_has_every_section_in_order() -> None:
    body = render_pr_body(full_report(), PATH)
    headings = [line for line in body.splitlines() if line.startswith("#")]
    assert headings == [
        "## Generation 4: Split the parser",
        "### Benchmarks",
        "### Review",
        "### Gates and policy decisions",
        "### Decision",
        "### Cost",
    ]
    assert "The parser is 900 lines long." in body
    assert "1. Move tokenizing out\n2. Add tests" in body
    assert "Files: `src/parse.py`, `src/tokens.py`" in body
    assert body.endswith(f"Full report: `{PATH}` (repository-relative, in the agent's checkout)\n")


def test_benchmark_table_shows_before_after_and_signed_delta() -> None:
    body = render_pr_body(full_report(), PATH)
    assert "| tests | 0.800 | 0.850 | +0.050 |" in body
    assert "| types | 1.000 | n/a | n/a |" in body
    assert "| **Weighted total** | 0.900 | 0.925 | +0.025 |" in body


def test_review_gates_decision_and_cost() -> None:
    body = render_pr_body(full_report(), PATH)
    assert "Reviewer persona: **approved**, score 0.82" in body
    assert "- **minor**: Name is vague\n- Docstring missing" in body
    assert "| safety | allow |  |" in body
    assert "| cedar:merge | allow | policy0; policy2 |" in body
    assert "| smoke | deny | `python main.py --help` exited 1 |" in body
    assert "The gates **accepted** this generation." in body
    assert "- weighted total rose by 0.025\n- review 0.82" in body
    assert "2 LLM calls, 3,000 input and 1,000 output tokens, $0.0240." in body
    assert "partly estimated" in body


def test_no_links_and_no_mentions() -> None:
    report = full_report()
    assert report.plan is not None
    report.plan.rationale = "Suggested by @octocat after review."
    body = render_pr_body(report, PATH)
    assert "http" not in body
    assert "@octocat" not in body
    assert "@\u200boctocat" in body


def test_table_cells_survive_pipes_and_newlines() -> None:
    report = full_report()
    report.gates = [GateVerdict(gate="a|b", allowed=True, reasons=["line one\nline two"])]
    assert "| a\\|b | allow | line one line two |" in render_pr_body(report, PATH)


def test_a_bare_report_renders_every_absence() -> None:
    report = GenerationReport(generation=2, status="rejected", started_at="t", dry_run=True)
    body = render_pr_body(report, PATH)
    assert body.startswith("## Generation 2 (dry run)\n\nNo plan was recorded.")
    for text in (
        "No benchmarks were measured.",
        "The Reviewer did not run.",
        "No gate was evaluated.",
        "No merge decision was made.",
        "0 LLM calls, 0 input and 0 output tokens, unpriced (no price for the model).",
    ):
        assert text in body


def test_totals_from_llm_totals_win_over_the_call_list() -> None:
    report = full_report()
    report.llm_totals = {"cost_usd": 1.5, "input_tokens": 10, "output_tokens": 5}
    assert "2 LLM calls, 10 input and 5 output tokens, $1.5000." in render_pr_body(report, PATH)


def test_an_oversized_packet_is_cut_below_githubs_limit() -> None:
    report = full_report()
    report.review = Review(approved=False, score=0.1, findings=["x" * 500] * 200)
    body = render_pr_body(report, PATH)
    assert len(body) <= MAX_BODY_CHARS
    assert body.endswith(f"(truncated; the full packet is in `{PATH}`)\n")
    assert "Reviewer persona: **not approved**, score 0.10" in body
