"""The dashboard as one self-contained HTML page: inline CSS and SVG, nothing from the network."""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape
from pathlib import Path

from self_improving_agent.base.errors import AgentError
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.base.text import printable
from self_improving_agent.reports.dashboard import (
    TOP_REASONS,
    DashboardData,
    change,
    fmt_rate,
    last_known,
    status_counts,
)
from self_improving_agent.reports.html_charts import (
    ACCEPTED,
    LINE,
    NEUTRAL,
    PALETTE,
    REJECTED,
    acceptance_chart,
    bar_chart,
    benchmark_chart,
    outcome_color,
    score_chart,
)
from self_improving_agent.reports.report_view import fmt_cost, fmt_score, fmt_seconds

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;
 font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 12px}
.sub{color:#57606a;margin:0 0 22px}
.judge{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px;
 margin-bottom:18px}
.tile,.card{background:#fff;border:1px solid #d8dee4;border-radius:10px;padding:14px 16px}
.tile .label{color:#57606a;font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.tile .value{font-size:22px;white-space:nowrap;font-weight:600;margin-top:2px}
.tile .note{color:#57606a;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:18px;
 margin-bottom:18px}
.card{margin-bottom:18px}
.grid .card{margin-bottom:0}
svg{display:block;width:100%;height:auto}
svg text{font:11px -apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#57606a}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;color:#57606a;margin-top:6px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:7px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;
 vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{color:#57606a;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#2e7d32}.down{color:#c62828}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
 color:#fff}
.spark{font-family:ui-monospace,Menlo,Consolas,monospace;letter-spacing:1px}
.empty{color:#57606a}
"""


def _delta_cell(value: float | None) -> str:
    """A signed delta cell, green when better and red when worse."""
    if value is None:
        return '<td class="num">-</td>'
    css = "up" if value > 0 else "down" if value < 0 else ""
    return f'<td class="num {css}">{value:+.3f}</td>'


def _tile(label: str, value: str, note: str) -> str:
    """One headline figure."""
    return (
        f'<div class="tile"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
    )


def _card(title: str, body: str) -> str:
    """A titled white panel."""
    return f'<section class="card"><h2>{escape(title)}</h2>{body}</section>'


def _legend(items: Sequence[tuple[str, str]]) -> str:
    """Colour swatches with labels."""
    spans = "".join(f'<span><i style="background:{c}"></i>{escape(t)}</span>' for t, c in items)
    return f'<div class="legend">{spans}</div>'


def _tiles(data: DashboardData) -> str:
    """The headline figures across all generations."""
    end = last_known([p.total for p in data.generations])
    trend = "-" if data.start_total is None else f"{fmt_score(data.start_total)} → {fmt_score(end)}"
    improvement = (
        "-" if data.avg_total_improvement is None else f"{data.avg_total_improvement:+.3f}"
    )
    return (
        '<div class="tiles">'
        + "".join(
            [
                _tile(
                    "Acceptance",
                    fmt_rate(data.acceptance_rate),
                    f"{data.accepted} of {data.decided} finished generations",
                ),
                _tile("Avg improvement", improvement, "total score per accepted generation"),
                _tile("Total score", trend, "start → now, on main"),
                _tile(
                    "Cost",
                    fmt_cost(data.total_cost_usd),
                    "all LLM calls" if data.cost_known else "priced calls only; some were unpriced",
                ),
                _tile(
                    "Time",
                    fmt_seconds(data.total_duration_s),
                    f"{fmt_seconds(data.avg_duration_s)} per generation",
                ),
            ]
            + (
                [
                    _tile(
                        "Reviewer vs people",
                        f"{data.reviewer_agreed} of {data.human_verdicts}",
                        "PRs where the Reviewer persona judged as the person did",
                    )
                ]
                if data.human_verdicts
                else []
            )
        )
        + "</div>"
    )


def _benchmark_table(data: DashboardData) -> str:
    """First, last, change and mean improvement per accepted generation of each benchmark."""
    rows = []
    for i, b in enumerate(data.benchmarks):
        end = last_known(b.values)
        swatch = f'<i class="sw" style="background:{PALETTE[i % len(PALETTE)]}"></i>'
        rows.append(
            f"<tr><td>{swatch}{escape(b.name)}</td>"
            f'<td class="num">{fmt_score(b.start)}</td><td class="num">{fmt_score(end)}</td>'
            f"{_delta_cell(change(b.start, end))}{_delta_cell(b.avg_improvement)}</tr>"
        )
    head = (
        '<tr><th>benchmark</th><th class="num">start</th><th class="num">now</th>'
        '<th class="num">change</th><th class="num">avg per accepted</th></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _reasons_table(data: DashboardData) -> str:
    """The most common rejection reasons."""
    if not data.rejection_reasons:
        return '<p class="empty">No generation was rejected.</p>'
    rows = "".join(
        f'<tr><td class="num">{rc.count}</td><td>{escape(rc.reason)}</td>'
        f"<td>{escape(', '.join(str(g) for g in rc.generations))}</td></tr>"
        for rc in data.rejection_reasons[:TOP_REASONS]
    )
    head = '<tr><th class="num">count</th><th>reason</th><th>generations</th></tr>'
    return f"<table>{head}{rows}</table>"


def _repeated_card(data: DashboardData) -> str:
    """Repeated benchmarks: spread of the runs and the p-value of the latest change."""
    if not data.repeated:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in data.repeated)
    return _card("Repeated benchmarks (latest measurement)", f"<ul>{items}</ul>")


def _flaky_card(data: DashboardData) -> str:
    """Tests that reruns found flaky, and the generations that left them out; none, no card."""
    if not data.flaky_tests:
        return ""
    rows = "".join(
        f'<tr><td class="num">{rc.count}</td><td>{escape(rc.reason)}</td>'
        f"<td>{escape(', '.join(str(g) for g in rc.generations))}</td></tr>"
        for rc in data.flaky_tests
    )
    head = '<tr><th class="num">count</th><th>test</th><th>generations</th></tr>'
    return _card("Flaky tests (not counted as lost)", f"<table>{head}{rows}</table>")


def _generations_table(data: DashboardData) -> str:
    """One row per generation."""
    rows = []
    for p in data.generations:
        status = escape(p.status.replace("_", " ")) + (" · dry run" if p.dry_run else "")
        rows.append(
            f'<tr><td class="num">{p.generation}</td><td><span class="badge" '
            f'style="background:{outcome_color(p)}">{status}</span></td>'
            f"<td>{escape(p.title or '-')}</td>"
            f'<td class="num">{fmt_score(p.total)}</td>{_delta_cell(p.total_delta)}'
            f'<td class="num">{escape(fmt_cost(p.cost_usd, p.cost_known))}</td>'
            f'<td class="num">{escape(fmt_seconds(p.duration_s))}</td>'
            f"<td>{escape(p.reason or '')}</td></tr>"
        )
    head = (
        '<tr><th class="num">gen</th><th>status</th><th>title</th><th class="num">on main</th>'
        '<th class="num">delta</th><th class="num">cost</th><th class="num">time</th>'
        "<th>reason</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _charts(data: DashboardData) -> str:
    """Score, acceptance, benchmark, cost and time charts."""
    outcome = _legend([("accepted", ACCEPTED), ("rejected / failed", REJECTED), ("other", NEUTRAL)])
    score = _card("Total score trend", score_chart(data) + outcome)
    acceptance = _card(
        "Acceptance over time",
        acceptance_chart(data) + _legend([("cumulative acceptance rate", LINE)]) + outcome,
    )
    parts = [f'<div class="grid">{score}{acceptance}</div>']
    if data.benchmarks:
        legend = _legend(
            [(b.name, PALETTE[i % len(PALETTE)]) for i, b in enumerate(data.benchmarks)]
        )
        parts.append(
            '<div class="grid">'
            + _card("Benchmark trends", benchmark_chart(data) + legend)
            + _card("Benchmarks", _benchmark_table(data))
            + "</div>"
        )
    cost = bar_chart(
        "Cost per generation", data, [p.cost_usd for p in data.generations], lambda v: f"${v:.3f}"
    )
    time = bar_chart(
        "Time per generation", data, [p.duration_s for p in data.generations], fmt_seconds
    )
    parts.append(
        f'<div class="grid">{_card("Cost per generation (USD)", cost)}'
        f"{_card('Time per generation', time)}</div>"
    )
    return "".join(parts)


def render_html(data: DashboardData) -> str:
    """The whole dashboard page."""
    if data.generations:
        subtitle = f"{len(data.generations)} generation(s): {status_counts(data)}"
        body = (
            _tiles(data)
            + _charts(data)
            + _card("Most common rejection reasons", _reasons_table(data))
            + _repeated_card(data)
            + _flaky_card(data)
            + _card("Generations", _generations_table(data))
        )
    else:
        subtitle = "No generation reports yet."
        body = _card("Nothing to show", '<p class="empty">Run <code>agent run</code> first.</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Agent dashboard</title>"
        f"<style>{CSS}</style></head><body><main><h1>Agent dashboard</h1>"
        f'<p class="sub">{escape(subtitle)}</p>{_judge(data)}{body}</main></body></html>\n'
    )


def _judge(data: DashboardData) -> str:
    """The line saying main is ahead of the pinned judge, when it is."""
    return f'<p class="judge">{escape(data.judge_note)}</p>' if data.judge_note else ""


def write_html(data: DashboardData, path: Path) -> None:
    """Write the page through a temp file, so an open browser never sees half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(printable(redact_environment(render_html(data))), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AgentError(
            f"{path}: cannot write the dashboard ({exc.strerror or exc}); "
            "pass --html a path in an existing, writable directory"
        ) from None
