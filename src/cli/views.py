"""Plain-text renderings of stored state for the CLI; pure functions of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.core.pr_mode import PrRow


def _fmt_score(value: float | None, signed: bool = False) -> str:
    """A score with three decimals, or a dash when it was not measured."""
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def history_rows(entries: Sequence[EvolutionEntry]) -> list[dict[str, Any]]:
    """The JSON form of `agent history`: one dict per generation."""
    return [
        {
            "generation": e.generation,
            "status": e.status,
            "title": e.title,
            "reason": e.reason,
            "delta": e.delta,
            "score_before": e.score_before,
            "score_after": e.score_after,
            "started_at": e.started_at,
            "finished_at": e.finished_at,
            "dry_run": e.dry_run,
        }
        for e in entries
    ]


def render_history(entries: Sequence[EvolutionEntry]) -> str:
    """A table of generations, oldest first."""
    if not entries:
        return "No generations yet. Run `agent run` to start the first one."
    header = f"{'gen':>4}  {'status':<15} {'delta':>7}  title / reason"
    lines = [header, "-" * len(header)]
    for e in entries:
        text = e.title or "(no plan)"
        if e.reason and e.status not in ("accepted", "running"):
            text += f" -- {e.reason}"
        lines.append(f"{e.generation:>4}  {e.status:<15} {_fmt_score(e.delta, True):>7}  {text}")
    return "\n".join(lines)


def render_status(
    repo: str,
    config_source: str,
    db: str | None,
    counts: Mapping[str, int],
    open_entries: Sequence[EvolutionEntry],
    last: EvolutionEntry | None,
) -> str:
    """What `agent status` prints: where things are, how generations ended, what is still open."""
    lines = [f"repository: {repo}", f"config:     {config_source}"]
    if db is None:
        lines.append("state:      none yet (no generation has run in this repository)")
        return "\n".join(lines)
    lines.append(f"state:      {db}")
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines.append(f"generations: {total}" + (f" ({summary})" if summary else ""))
    if last is not None:
        lines.append(
            f"last:       gen {last.generation} {last.status}"
            + (f" -- {last.title}" if last.title else "")
        )
    for e in open_entries:
        lines.append(f"open:       gen {e.generation} {e.status} (phase {e.phase or '-'})")
    return "\n".join(lines)


def render_prs(rows: Sequence[PrRow]) -> str:
    """What `agent prs` prints: one line per open agent pull request."""
    if not rows:
        return "No open agent pull requests."
    header = f"{'PR':>5}  {'gen':>4}  {'stored':<15} {'review':<18} {'checks':<8} title"
    lines = [header, "-" * len(header)]
    for row in rows:
        gen = str(row.generation) if row.generation is not None else "-"
        lines.append(
            f"{'#' + str(row.pr_number):>5}  {gen:>4}  {row.stored_status or 'unknown':<15} "
            f"{row.review:<18} {row.checks:<8} {row.title}\n{'':>7}{row.url}"
        )
    return "\n".join(lines)
