"""Aggregate view across generation reports for `agent dashboard`: the pure summary."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from self_improving_agent.reports.flaky import flaky_tests
from self_improving_agent.reports.noise_view import repeated_lines
from self_improving_agent.reports.report_files import llm_totals
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport
from self_improving_agent.reports.report_view import clean

SPARKS = "▁▂▃▄▅▆▇█"
TOP_REASONS = 5
# The branch of these stays open for a person or a PR, but the gates said yes.
_ACCEPTED_STATUSES = ("accepted", "pending", "awaiting_review")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?%?")


class GenerationPoint(BaseModel):
    """One generation as the dashboard plots it."""

    generation: int
    status: str
    accepted: bool
    dry_run: bool
    title: str | None
    total: float | None
    total_delta: float | None
    acceptance_rate: float | None
    cost_usd: float
    cost_known: bool
    duration_s: float | None
    reason: str | None


class ReasonCount(BaseModel):
    """A rejection reason with numbers masked, so equal causes group, and where it occurred."""

    reason: str
    count: int
    generations: list[int]


class BenchmarkTrend(BaseModel):
    """One benchmark's value after each generation, aligned with DashboardData.generations."""

    name: str
    start: float | None
    values: list[float | None]
    avg_improvement: float | None


class DashboardData(BaseModel):
    """Everything the text and HTML dashboards show."""

    generations: list[GenerationPoint]
    accepted: int
    decided: int
    start_total: float | None
    acceptance_rate: float | None
    acceptance_sparkline: str
    avg_total_improvement: float | None
    benchmarks: list[BenchmarkTrend]
    rejection_reasons: list[ReasonCount]
    total_cost_usd: float
    cost_known: bool
    total_duration_s: float
    avg_duration_s: float | None
    human_verdicts: int = 0
    reviewer_agreed: int = 0
    custom: list[str] = Field(default_factory=list, description="Names of custom benchmarks.")
    repeated: list[str] = Field(
        default_factory=list, description="Latest repeated measurement per benchmark, with p."
    )
    flaky_tests: list[ReasonCount] = Field(default_factory=list)
    judge_note: str = Field(
        "", description="On the agent's own repository: main is ahead of the pinned judge."
    )


def reviewer_agreement(reports: Sequence[GenerationReport]) -> tuple[int, int]:
    """(PRs a person settled, how many of them the Reviewer persona judged the same way)."""
    judged = agreed = 0
    for report in reports:
        verdict = (report.human_verdict or {}).get("verdict")
        if verdict in ("approved", "changes_requested", "closed") and report.review is not None:
            judged += 1
            agreed += report.review.approved == (verdict == "approved")
    return judged, agreed


def is_accepted(report: GenerationReport) -> bool:
    """Whether the gates accepted the generation, merged or not, dry run or not."""
    if report.status in _ACCEPTED_STATUSES:
        return True
    return report.dry_run and report.decision is not None and report.decision.accepted


def _is_merged(report: GenerationReport) -> bool:
    """Whether the generation's change reached the main line."""
    return report.status == "accepted" and not report.dry_run


def normalize_reason(text: str) -> str:
    """Mask numbers and squeeze spaces, so 'score 0.41 < 0.6' and 'score 0.52 < 0.6' group."""
    masked = _NUMBER.sub("N", clean(text))
    return re.sub(r"\s+", " ", masked)[:160]


def rejection_reason(report: GenerationReport) -> str | None:
    """The first reason of a generation that was not accepted, or None."""
    if is_accepted(report) or report.status == "running":
        return None
    if report.decision is not None and report.decision.reasons:
        return clean(report.decision.reasons[0])
    if report.errors:
        err = report.errors[0]
        return clean(f"{err.get('phase', '?')} failed: {err.get('message', '')}")
    return report.status.replace("_", " ")


def sparkline(values: Sequence[float | None], lo: float = 0.0, hi: float = 1.0) -> str:
    """One block per value on a fixed lo..hi scale; a gap for a missing value."""
    span = hi - lo
    out = []
    for v in values:
        if v is None:
            out.append(" ")
            continue
        ratio = 0.0 if span <= 0 else min(max((v - lo) / span, 0.0), 1.0)
        out.append(SPARKS[round(ratio * (len(SPARKS) - 1))])
    return "".join(out)


def auto_sparkline(values: Sequence[float | None]) -> str:
    """A sparkline scaled to the values' own range, so small trends still show."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    if hi == lo:
        return sparkline(values, lo - 1.0, hi + 1.0)
    return sparkline(values, lo, hi)


def _delta_of(report: GenerationReport, name: str | None) -> BenchDelta | None:
    """A benchmark's before/after, or with None the weighted total's."""
    return report.totals if name is None else report.benchmarks.get(name)


def levels(reports: Sequence[GenerationReport], name: str | None) -> list[float | None]:
    """A benchmark's (None: the total's) value on main after each generation.

    Main moves only when a change is merged, so an unmerged generation that measured
    nothing keeps the level of the one before it.
    """
    out: list[float | None] = []
    previous: float | None = None
    for r in reports:
        d = _delta_of(r, name)
        if _is_merged(r):
            value = d.after if d is not None else None
        else:
            value = d.before if d is not None and d.before is not None else previous
        out.append(value)
        previous = value
    return out


def baseline(reports: Sequence[GenerationReport], name: str | None) -> float | None:
    """The value on main before the first generation that measured it."""
    for r in reports:
        d = _delta_of(r, name)
        if d is not None and d.before is not None:
            return d.before
    return None


def _mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None


def _rank(points: Sequence[GenerationPoint]) -> list[ReasonCount]:
    """Reasons by how often they occur, ties in order of first occurrence."""
    groups: dict[str, list[int]] = {}
    for p in points:
        if p.reason is not None:
            groups.setdefault(normalize_reason(p.reason), []).append(p.generation)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    return [ReasonCount(reason=r, count=len(g), generations=g) for r, g in ranked]


def summarize(reports: Sequence[GenerationReport]) -> DashboardData:
    """Acceptance, scores, benchmark trends, reasons, cost and time across generations."""
    ordered = sorted(reports, key=lambda r: r.generation)
    points: list[GenerationPoint] = []
    accepted = decided = 0
    for r, total in zip(ordered, levels(ordered, None), strict=True):
        if r.status != "running":
            decided += 1
            accepted += is_accepted(r)
        totals = llm_totals(r.llm_calls)
        points.append(
            GenerationPoint(
                generation=r.generation,
                status=r.status,
                accepted=is_accepted(r),
                dry_run=r.dry_run,
                title=r.plan.title if r.plan else None,
                total=total,
                total_delta=r.totals.delta if r.totals else None,
                acceptance_rate=accepted / decided if decided else None,
                cost_usd=totals["cost_usd"],
                cost_known=bool(totals["cost_known"]),
                duration_s=r.duration_s,
                reason=rejection_reason(r),
            )
        )
    names = sorted({name for r in ordered for name in r.benchmarks})
    kept = [r for r in ordered if is_accepted(r)]
    trends = [
        BenchmarkTrend(
            name=name,
            start=baseline(ordered, name),
            values=levels(ordered, name),
            avg_improvement=_mean(
                [d.delta for r in kept if (d := r.benchmarks.get(name)) and d.delta is not None]
            ),
        )
        for name in names
    ]
    durations = [p.duration_s for p in points if p.duration_s is not None]
    judged, agreed = reviewer_agreement(ordered)
    return DashboardData(
        human_verdicts=judged,
        reviewer_agreed=agreed,
        generations=points,
        accepted=accepted,
        decided=decided,
        start_total=baseline(ordered, None),
        acceptance_rate=accepted / decided if decided else None,
        acceptance_sparkline=sparkline([p.acceptance_rate for p in points]),
        avg_total_improvement=_mean(
            [r.totals.delta for r in kept if r.totals and r.totals.delta is not None]
        ),
        benchmarks=trends,
        rejection_reasons=_rank(points),
        total_cost_usd=sum(p.cost_usd for p in points),
        cost_known=all(p.cost_known for p in points),
        total_duration_s=sum(durations),
        avg_duration_s=_mean(durations),
        custom=sorted({n for r in ordered for n, d in r.benchmarks.items() if d.custom}),
        repeated=repeated_lines(ordered),
        flaky_tests=[
            ReasonCount(reason=t, count=len(g), generations=g) for t, g in flaky_tests(ordered)
        ],
    )


def fmt_rate(rate: float | None) -> str:
    """A rate as a whole percentage, or a dash."""
    return "-" if rate is None else f"{rate:.0%}"


def status_counts(data: DashboardData) -> str:
    """'3 accepted, 1 rejected' in order of first occurrence."""
    counts: dict[str, int] = {}
    for p in data.generations:
        counts[p.status] = counts.get(p.status, 0) + 1
    return ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())


def last_known(values: Sequence[float | None]) -> float | None:
    """The latest measured value of a series."""
    return next((v for v in reversed(values) if v is not None), None)


def change(start: float | None, end: float | None) -> float | None:
    """end - start, when both were measured."""
    return None if start is None or end is None else end - start
