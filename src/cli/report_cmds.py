"""`agent report` and `agent dashboard`: one generation, and all of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from self_improving_agent.cli.options import ConfigOpt, RepoOpt, echo, reports_errors, settings_for


@reports_errors
def report(
    which: Annotated[str, typer.Argument(help="A generation number, or latest.")] = "latest",
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report file as is.")] = False,
) -> None:
    """One generation: phases, LLM calls, benchmarks, review, decision, files and errors."""
    from self_improving_agent.reports.report_files import load_report, parse_which, report_text
    from self_improving_agent.reports.report_view import render_report, use_color

    settings = settings_for(repo, config)
    reports_dir = repo / settings.agent.reports_dir
    if as_json:
        echo(report_text(reports_dir, parse_which(which)), nl=False)
        return
    echo(render_report(load_report(reports_dir, parse_which(which)), use_color(sys.stdout)))


@reports_errors
def dashboard(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML page to this path."),
    ] = None,
) -> None:
    """Across all generations: acceptance, improvement, benchmark trends, reasons, cost, time."""
    from self_improving_agent.cli.state import judge_note
    from self_improving_agent.reports.dashboard import summarize
    from self_improving_agent.reports.dashboard_html import write_html
    from self_improving_agent.reports.dashboard_text import render_dashboard
    from self_improving_agent.reports.report_files import load_reports
    from self_improving_agent.reports.report_view import use_color

    settings = settings_for(repo, config)
    data = summarize(load_reports(repo / settings.agent.reports_dir))
    note = judge_note(repo, settings.agent.main_branch)
    if note:
        data = data.model_copy(update={"judge_note": note})
    echo(render_dashboard(data, use_color(sys.stdout)))
    if html is not None:
        write_html(data, html)
        echo(f"wrote {html}")
