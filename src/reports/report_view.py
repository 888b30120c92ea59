"""Plain-text rendering of one generation report for `agent report`; pure but for use_color."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO

from self_improving_agent.base.models import Finding
from self_improving_agent.reports.noise_view import note_lines
from self_improving_agent.reports.report_files import llm_totals
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport

GREEN = "32"
RED = "31"
BOLD = "1"
# Model-written text may carry escape sequences; a report must not drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def use_color(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set or TERM is dumb."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def paint(text: str, code: str, color: bool) -> str:
    """Wrap text in an ANSI SGR code when colour is on."""
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def clean(value: object) -> str:
    """One line of printable text from any value."""
    return _CONTROL.sub(" ", str(value).replace("\n", " ")).strip()


def fmt_score(value: float | None) -> str:
    """A score with three decimals, or a dash when not measured."""
    return "-" if value is None else f"{value:.3f}"


def fmt_delta(value: float | None, color: bool) -> str:
    """A signed delta, green when better and red when worse."""
    if value is None:
        return "-"
    text = f"{value:+.3f}"
    if value > 0:
        return paint(text, GREEN, color)
    if value < 0:
        return paint(text, RED, color)
    return text


def fmt_cost(value: float | None, known: bool = True) -> str:
    """US dollars with four decimals; calls of a model without a price are said to be unpriced."""
    if value is None or (not known and value == 0):
        return "unpriced"
    return f"${value:.4f}" + ("" if known else " + unpriced")


def fmt_seconds(value: float | None) -> str:
    """Seconds with one decimal, minutes beyond 100 s."""
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 100 else f"{value / 60:.1f} min"


def _parse_time(value: object) -> datetime | None:
    """An ISO timestamp, or None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def phase_duration(phase: Mapping[str, object]) -> float | None:
    """A phase's duration_s, else the span between its start and end timestamps."""
    given = phase.get("duration_s")
    if isinstance(given, int | float) and not isinstance(given, bool):
        return float(given)
    start = _parse_time(phase.get("started_at", phase.get("start")))
    end = _parse_time(phase.get("finished_at", phase.get("end")))
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return None
    return (end - start).total_seconds()


def _heading(title: str, color: bool) -> list[str]:
    """A blank line and a bold section title."""
    return ["", paint(title, BOLD, color)]


def table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Rows padded to column widths (right-aligned where asked), ignoring ANSI codes."""

    def width(cell: str) -> int:
        return len(_ANSI.sub("", cell))

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            " " * (widths[i] - width(c)) + c if i in right else c + " " * (widths[i] - width(c))
            for i, c in enumerate(row)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _header(report: GenerationReport, color: bool) -> list[str]:
    """Generation number, status, plan and timing."""
    status = report.status
    code = GREEN if status == "accepted" else RED if status in ("rejected", "failed") else BOLD
    title = f"Generation {report.generation}: {paint(status, code, color)}"
    if report.dry_run:
        title += "  (dry run: nothing was committed or merged)"
    lines = [paint(title, BOLD, color)]
    if report.reason:
        lines.append(f"  outcome:  {clean(report.reason)}")
    if report.plan is not None:
        lines.append(f"  plan:     {clean(report.plan.title)}")
        if report.plan.rationale:
            lines.append(f"  why:      {clean(report.plan.rationale)}")
        lines.append(f"  targets:  {', '.join(clean(f) for f in report.plan.files_to_modify)}")
    else:
        lines.append("  plan:     (none)")
    finished = report.finished_at or "not finished"
    lines.append(f"  started:  {report.started_at}   finished: {clean(finished)}")
    lines.append(f"  duration: {fmt_seconds(report.duration_s)}")
    judge = report.reproducibility.judge_commit
    if judge:
        lines.append(f"  judge:    pinned at {judge[:10]}")
    ahead = report.reproducibility.judge_files_ahead
    if ahead:
        lines.append(
            f"  judge:    main is ahead of the pin by {len(ahead)} judge file(s), which judge"
            " nothing until a person runs `agent judge promote`"
        )
    return lines


def _phases(report: GenerationReport, color: bool) -> list[str]:
    """One line per phase with its duration and any error."""
    if not report.phases:
        return []
    rows = [["phase", "duration", "status"]]
    for phase in report.phases:
        name = phase.get("phase", phase.get("name", "?"))
        status = clean(phase.get("status", ""))
        if status in ("failed", "interrupted"):
            status = paint(status, RED, color)
        if phase.get("error"):
            status = f"{status} {clean(phase['error'])}".strip()
        rows.append([clean(name), fmt_seconds(phase_duration(phase)), status])
    return _heading("Phases", color) + table(rows, right={1})


def _llm(report: GenerationReport, color: bool) -> list[str]:
    """One line per LLM call and a total line."""
    if not report.llm_calls:
        return [*_heading("LLM calls", color), "  none"]
    rows = [["persona", "model", "in tok", "out tok", "latency", "cost"]]
    for call in report.llm_calls:
        mark = "~" if call.estimated else ""
        rows.append(
            [
                clean(call.persona),
                clean(call.model),
                f"{mark}{call.input_tokens:,}",
                f"{mark}{call.output_tokens:,}",
                fmt_seconds(call.latency_s),
                fmt_cost(call.cost_usd),
            ]
        )
    totals = llm_totals(report.llm_calls)
    rows.append(
        [
            "total",
            f"{int(totals['calls'])} call(s)",
            f"{int(totals['input_tokens']):,}",
            f"{int(totals['output_tokens']):,}",
            fmt_seconds(totals["latency_s"]),
            fmt_cost(totals["cost_usd"], bool(totals["cost_known"])),
        ]
    )
    lines = _heading("LLM calls", color) + table(rows, right={2, 3, 4, 5})
    if any(call.estimated for call in report.llm_calls):
        lines.append("  ~ estimated token count (the provider did not report one)")
    return lines


def _benchmarks(report: GenerationReport, color: bool) -> list[str]:
    """Before, after and delta per benchmark and for the weighted total."""
    if not report.benchmarks and report.totals is None:
        return [*_heading("Benchmarks", color), "  not measured"]
    rows = [["benchmark", "before", "after", "delta"]]
    items: list[tuple[str, BenchDelta]] = sorted(report.benchmarks.items())
    if report.totals is not None:
        items.append(("total (weighted)", report.totals))
    for name, d in items:
        rows.append(
            [clean(name), fmt_score(d.before), fmt_score(d.after), fmt_delta(d.delta, color)]
        )
    notes = [f"  {clean(line)}" for line in note_lines(report)]
    return _heading("Benchmarks", color) + table(rows, right={1, 2, 3}) + notes


def _finding_text(finding: Finding | str) -> str:
    """A finding given as a string or as {severity, message}."""
    if isinstance(finding, Finding):
        return f"[{clean(finding.severity)}] {clean(finding.message)}"
    return clean(finding)


def _review(report: GenerationReport, color: bool) -> list[str]:
    """Verdict, score, summary and findings of the Reviewer."""
    review = report.review
    if review is None:
        return []
    head = "approved" if review.approved else "not approved"
    lines = [*_heading("Review", color), f"  {head}, score {review.score:.2f}"]
    if review.summary:
        lines.append(f"  {clean(review.summary)}")
    lines.extend(f"  - {_finding_text(f)}" for f in review.findings)
    return lines


def _decision(report: GenerationReport, color: bool) -> list[str]:
    """The merge decision and its reasons."""
    if report.decision is None:
        return [*_heading("Decision", color), "  none (the generation ended before deciding)"]
    d = report.decision
    verdict = paint("accepted", GREEN, color) if d.accepted else paint("rejected", RED, color)
    lines = [*_heading("Decision", color), f"  {verdict}"]
    lines.extend(f"  - {clean(reason)}" for reason in d.reasons)
    lines.extend(f"  ! needs a person: {clean(reason)}" for reason in d.needs_human)
    if d.evidence:
        lines.append("  evidence (main's checks measured the change without these edits):")
        lines.extend(f"    {clean(line)}" for line in d.evidence.splitlines())
    return lines


def _tests_check(report: GenerationReport, color: bool) -> list[str]:
    """What the lost-test check ran beyond the measurement: the change's own tests, reruns."""
    check = report.tests_check
    if check is None or not (
        check.own_tests or check.flaky or check.confirmed or check.not_rerun or check.error
    ):
        return []
    lines = _heading("Lost-test check", color)
    if check.own_tests:
        counts = ", ".join(f"{n} {what}" for what, n in check.new_counts.items() if what != "total")
        lines.append(f"  the change's new tests (run apart, never scored): {counts or 'none'}")
        lines.extend(f"    {o}: {clean(t)}" for t, o in check.new_not_passed.items())
        lines.extend(f"    measured in main's version: {clean(f)}" for f in check.restored)
        lines.extend(f"    left out of the measurement (new): {clean(f)}" for f in check.left_out)
    if check.error:
        lines.append(f"  {paint('error', RED, color)}: {clean(check.error)}")
    for f in check.flaky:
        main = ", ".join(f.main_reruns) or "-"
        lines.append(
            f"  flaky, not counted as lost: {clean(f.test_id)}: {clean(f.why)}"
            f" (candidate reruns: {', '.join(f.candidate_reruns)}; main reruns: {main})"
        )
    for test_id in check.confirmed:
        lines.append(f"  lost on all {check.reruns} rerun(s): {clean(test_id)}")
    for test_id in check.not_rerun:
        lines.append(f"  lost, not rerun: {clean(test_id)}")
    return lines


def _gates(report: GenerationReport, color: bool) -> list[str]:
    """Each gate's verdict, as far as the gate recorded one."""
    if not report.gates:
        return []
    lines = _heading("Gates", color)
    for gate in report.gates:
        verdict = paint("allow", GREEN, color) if gate.allowed else paint("deny", RED, color)
        reason = f"  {'; '.join(clean(r) for r in gate.reasons)}" if gate.reasons else ""
        lines.append(f"  {clean(gate.gate)}: {verdict}{reason}")
    return lines


def _files(report: GenerationReport, color: bool) -> list[str]:
    """Files changed and the edits that failed."""
    lines = _heading("Files changed", color)
    lines.extend(f"  {clean(f)}" for f in report.files_changed)
    if not report.files_changed:
        lines.append("  none")
    if report.edits:
        failed = [e for e in report.edits if not e.applied]
        lines.append(f"  edits: {len(report.edits) - len(failed)} applied, {len(failed)} failed")
        for e in failed:
            lines.append(f"  {paint('x', RED, color)} {clean(e.file)} ({e.op}): {clean(e.error)}")
    return lines


def _repairs(report: GenerationReport, color: bool) -> list[str]:
    """The rounds of a change that broke something: what each was shown and how it ended."""
    if not report.repairs:
        return []
    lines = _heading("Repair rounds", color)
    for entry in report.repairs:
        applied = sum(1 for e in entry.edits if e.applied)
        shown = f", shown {len(entry.evidence)} item(s), request ~{entry.evidence_tokens} tokens"
        line = f"  round {entry.round}: {applied} edit(s) applied" + (shown if entry.round else "")
        if entry.regressions:
            line += f"; after it: {clean(entry.regressions)}"
        mark = paint("ok", GREEN, color) if entry.fixed else clean(entry.outcome)
        lines.append(f"{line}; {mark}" if mark else line)
    return lines


def _errors(report: GenerationReport, color: bool) -> list[str]:
    """Errors by phase."""
    if not report.errors:
        return []
    lines = _heading("Errors", color)
    for err in report.errors:
        phase = clean(err.get("phase", "?"))
        lines.append(f"  {paint(phase, RED, color)}: {clean(err.get('message', ''))}")
    return lines


def render_report(report: GenerationReport, color: bool) -> str:
    """Everything a person needs to judge one generation, as terminal text."""
    sections = [
        _header(report, color),
        _phases(report, color),
        _llm(report, color),
        _benchmarks(report, color),
        _review(report, color),
        _decision(report, color),
        _tests_check(report, color),
        _gates(report, color),
        _files(report, color),
        _repairs(report, color),
        _errors(report, color),
    ]
    return "\n".join(line for section in sections for line in section)
