"""The dashboard as terminal text, from the summary of all generation reports."""

from __future__ import annotations

from self_improving_agent.reports.dashboard import (
    TOP_REASONS,
    DashboardData,
    auto_sparkline,
    change,
    fmt_rate,
    last_known,
    status_counts,
)
from self_improving_agent.reports.report_view import (
    BOLD,
    GREEN,
    RED,
    clean,
    fmt_cost,
    fmt_delta,
    fmt_score,
    paint,
    table,
)
from self_improving_agent.reports.report_view import fmt_seconds as fmt_time


def render_dashboard(data: DashboardData, color: bool) -> str:
    """The dashboard as terminal text."""
    if not data.generations:
        return "No generation reports yet. Run `agent run` (or `agent demo`) to make some."
    pts = data.generations
    first_gen, last_gen = pts[0].generation, pts[-1].generation
    lines = [
        paint(f"Dashboard: {len(pts)} generation(s), {status_counts(data)}", BOLD, color),
        f"  acceptance   {fmt_rate(data.acceptance_rate)} ({data.accepted} of {data.decided})"
        f"   {data.acceptance_sparkline}  cumulative, gen {first_gen} -> {last_gen}",
        f"  improvement  {fmt_delta(data.avg_total_improvement, color)} total score"
        " per accepted generation",
    ]
    totals = [data.start_total, *(p.total for p in pts)]
    if data.start_total is not None:
        end = last_known(totals)
        lines.append(
            f"  total score  {fmt_score(data.start_total)} -> {fmt_score(end)}"
            f" ({fmt_delta(change(data.start_total, end), color)})   {auto_sparkline(totals)}"
            "  start, then on main after each generation"
        )
    if data.judge_note:
        lines.append(f"  judge        {data.judge_note}")
    if data.human_verdicts:
        lines.append(
            f"  reviewers    the Reviewer persona agreed with people on {data.reviewer_agreed}"
            f" of {data.human_verdicts} PR(s)"
        )
    lines += [
        f"  cost         {fmt_cost(data.total_cost_usd, data.cost_known)} in all",
        f"  time         {fmt_time(data.total_duration_s)} in all,"
        f" {fmt_time(data.avg_duration_s)} per generation",
    ]
    if data.benchmarks:
        lines += ["", paint("Benchmarks (on main after each generation)", BOLD, color)]
        rows = [["benchmark", "start", "now", "change", "trend", "avg per accepted"]]
        for b in data.benchmarks:
            end = last_known(b.values)
            rows.append(
                [
                    clean(b.name) + (" (custom)" if b.name in data.custom else ""),
                    fmt_score(b.start),
                    fmt_score(end),
                    fmt_delta(change(b.start, end), color),
                    auto_sparkline([b.start, *b.values]),
                    fmt_delta(b.avg_improvement, color),
                ]
            )
        lines += table(rows, right={1, 2, 3, 5})
    if data.repeated:
        lines += ["", paint("Repeated benchmarks (latest measurement)", BOLD, color)]
        lines += [f"  {clean(line)}" for line in data.repeated]
    if data.rejection_reasons:
        lines += ["", paint("Most common rejection reasons", BOLD, color)]
        for rc in data.rejection_reasons[:TOP_REASONS]:
            gens = ", ".join(str(g) for g in rc.generations)
            lines.append(f"  {rc.count}x  {rc.reason}  (gen {gens})")
    if data.flaky_tests:
        lines += ["", paint("Flaky tests (rerun; not counted as lost)", BOLD, color)]
        for rc in data.flaky_tests:
            gens = ", ".join(str(g) for g in rc.generations)
            lines.append(f"  {rc.count}x  {clean(rc.reason)}  (gen {gens})")
    lines += ["", paint("Per generation", BOLD, color)]
    rows = [["gen", "status", "on main", "delta", "cost", "time", "title"]]
    for p in pts:
        code = GREEN if p.accepted else RED
        status = p.status + (" (dry run)" if p.dry_run else "")
        rows.append(
            [
                str(p.generation),
                paint(status, code, color) if p.status != "running" else status,
                fmt_score(p.total),
                fmt_delta(p.total_delta, color),
                fmt_cost(p.cost_usd, p.cost_known),
                fmt_time(p.duration_s),
                clean(p.title or "-")[:60],
            ]
        )
    lines += table(rows, right={0, 2, 3, 4, 5})
    return "\n".join(lines)
