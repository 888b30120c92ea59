"""The pull request body: a Markdown review packet rendered from one generation's report."""

from __future__ import annotations

import re

from self_improving_agent.base.models import Finding, Review
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.base.text import printable
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.reports.noise_view import note_lines
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport

# GitHub rejects bodies over 65536 characters; keep room for the truncation note.
MAX_BODY_CHARS = 60_000
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def render_pr_body(report: GenerationReport, report_path: str) -> str:
    """The review packet: plan, benchmarks, review, gates, decision, cost and the report path."""
    sections = [
        _plan(report),
        _benchmarks(report),
        _review(report.review),
        _gates(report.gates),
        _decision(report),
        _cost(report),
        f"---\nFull report: `{_text(report_path)}` (repository-relative, in the agent's checkout)",
    ]
    body = printable(redact_environment("\n\n".join(section for section in sections if section)))
    if len(body) <= MAX_BODY_CHARS:
        return body + "\n"
    note = f"\n\n(truncated; the full packet is in `{_text(report_path)}`)\n"
    return body[: MAX_BODY_CHARS - len(note)] + note


def _text(value: object) -> str:
    """Model-written text made safe for a PR: @mentions would notify real people."""
    return _MENTION.sub("@\u200b", str(value))


def _cell(value: object) -> str:
    """Text that stays inside one Markdown table cell."""
    return _text(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ").strip()


def _score(value: float | None, signed: bool = False) -> str:
    """A benchmark score with three decimals, or n/a when it was not measured."""
    if value is None:
        return "n/a"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _plan(report: GenerationReport) -> str:
    """Heading, rationale, steps and files of the Architect's plan."""
    dry = " (dry run)" if report.dry_run else ""
    if report.plan is None:
        return f"## Generation {report.generation}{dry}\n\nNo plan was recorded."
    plan = report.plan
    lines = [f"## Generation {report.generation}{dry}: {_text(plan.title)}"]
    if plan.rationale:
        lines += ["", _text(plan.rationale)]
    if plan.steps:
        lines += ["", "Steps:"] + [f"{i}. {_text(step)}" for i, step in enumerate(plan.steps, 1)]
    files = report.files_changed or plan.files_to_modify
    lines += ["", "Files: " + ", ".join(f"`{_text(name)}`" for name in files)]
    return "\n".join(lines)


def _benchmarks(report: GenerationReport) -> str:
    """Before/after/delta of every benchmark and of the weighted total."""
    if not report.benchmarks and report.totals is None:
        return "### Benchmarks\n\nNo benchmarks were measured."
    rows = [
        "### Benchmarks",
        "",
        "| Benchmark | Before | After | Delta |",
        "|---|---:|---:|---:|",
    ]
    rows += [_bench_row(_cell(name), delta) for name, delta in report.benchmarks.items()]
    if report.totals is not None:
        rows.append(_bench_row("**Weighted total**", report.totals))
    notes = note_lines(report)
    if notes:
        rows += ["", *(f"- {_text(line)}" for line in notes)]
    return "\n".join(rows)


def _bench_row(label: str, delta: BenchDelta) -> str:
    """One table row."""
    cells = (_score(delta.before), _score(delta.after), _score(delta.delta, signed=True))
    return f"| {label} | " + " | ".join(cells) + " |"


def _review(review: Review | None) -> str:
    """The Reviewer persona's verdict, score, summary and findings."""
    if review is None:
        return "### Review\n\nThe Reviewer did not run."
    verdict = "approved" if review.approved else "not approved"
    lines = ["### Review", "", f"Reviewer persona: **{verdict}**, score {review.score:.2f}"]
    if review.summary:
        lines += ["", _text(review.summary)]
    if review.findings:
        lines += ["", "Findings:"] + [f"- {_finding(item)}" for item in review.findings]
    return "\n".join(lines)


def _finding(item: Finding | str) -> str:
    """A finding given as a string or as {severity, message}."""
    if isinstance(item, Finding):
        return f"**{_text(item.severity)}**: {_text(item.message)}"
    return _text(item)


def _gates(gates: list[GateVerdict]) -> str:
    """Safety, validation and Cedar gates with their outcome."""
    if not gates:
        return "### Gates\n\nNo gate was evaluated."
    rows = ["### Gates and policy decisions", "", "| Gate | Outcome | Detail |", "|---|---|---|"]
    for gate in gates:
        outcome = "allow" if gate.allowed else "deny"
        rows.append(f"| {_cell(gate.gate)} | {outcome} | {_cell('; '.join(gate.reasons))} |")
    return "\n".join(rows)


def _decision(report: GenerationReport) -> str:
    """The merge decision and its reasons."""
    if report.decision is None:
        return "### Decision\n\nNo merge decision was made."
    verdict = "accepted" if report.decision.accepted else "rejected"
    lines = ["### Decision", "", f"The gates **{verdict}** this generation."]
    if report.decision.reasons:
        lines += [""] + [f"- {_text(reason)}" for reason in report.decision.reasons]
    if report.decision.needs_human:
        lines += ["", "**Not merged automatically; a person must decide:**", ""]
        lines += [f"- {_text(reason)}" for reason in report.decision.needs_human]
    if report.decision.evidence:
        shown = _text(report.decision.evidence.rstrip("\n"))
        # A fence longer than any run of tildes in the diff, so the diff cannot close it.
        fence = "~" * max(4, 1 + max((len(r) for r in re.findall(r"~+", shown)), default=0))
        lines += ["", "Evidence (main's checks measured the change without these edits):", ""]
        lines += [f"{fence}diff", shown, fence]
    check = report.tests_check
    if check is not None and check.flaky:
        lines += ["", "Flaky tests (rerun; not counted as lost):", ""]
        lines += [f"- `{_text(f.test_id)}`: {_text(f.why)}" for f in check.flaky]
    return "\n".join(lines)


def _cost(report: GenerationReport) -> str:
    """LLM calls, tokens and dollars, marked when any figure was estimated."""
    calls = report.llm_calls
    totals = report.llm_totals
    count = len(calls) or int(totals.get("calls", 0))
    tokens_in = int(totals.get("input_tokens", sum(c.input_tokens for c in calls)))
    tokens_out = int(totals.get("output_tokens", sum(c.output_tokens for c in calls)))
    known = [c.cost_usd for c in calls if c.cost_usd is not None]
    cost = totals.get("cost_usd", sum(known) if known else None)
    dollars = f"${cost:.4f}" if cost is not None else "unpriced (no price for the model)"
    estimated = " Token counts are partly estimated." if any(c.estimated for c in calls) else ""
    return (
        f"### Cost\n\n{count} LLM calls, {tokens_in:,} input and {tokens_out:,} output tokens, "
        f"{dollars}.{estimated}"
    )
