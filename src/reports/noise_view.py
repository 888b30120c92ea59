"""How reports show custom benchmarks, repeated runs with their spread, p-values and stages."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from self_improving_agent.reports.report_model import BenchDelta, GenerationReport

DETAIL_SHOWN = 300


def spread(samples: Sequence[float]) -> str:
    """`n x min/median/max` of repeated scores."""
    if not samples:
        return ""
    middle = statistics.median(samples)
    return f"{len(samples)}x {min(samples):.3f}/{middle:.3f}/{max(samples):.3f}"


def bench_note(delta: BenchDelta) -> str:
    """What the before/after columns do not say: custom, skipped, failed, repeats and p."""
    parts = ["custom"] if delta.custom else []
    if delta.skipped:
        parts.append("not run: an earlier stage stopped the candidate")
    if delta.detail:
        words = " ".join(delta.detail.split())
        parts.append(f"failed: {words[-DETAIL_SHOWN:]}")
    if delta.before_samples or delta.after_samples:
        parts.append(
            f"before {spread(delta.before_samples)}, after {spread(delta.after_samples)}"
            " (min/median/max)"
        )
    if delta.p_value is not None:
        verdict = "counted" if delta.counted else "noise, counted as 0"
        parts.append(f"p={delta.p_value:.3f} ({verdict})")
    return "; ".join(parts)


def note_lines(report: GenerationReport) -> list[str]:
    """One `name: note` line per benchmark with something to add, then the stage rejection."""
    lines = [
        f"{name}: {note}"
        for name, delta in sorted(report.benchmarks.items())
        if (note := bench_note(delta))
    ]
    if report.stage_rejection:
        lines.append(f"stopped at {report.stage_rejection}")
    return lines


def repeated_lines(reports: Sequence[GenerationReport]) -> list[str]:
    """The latest repeated measurement of each benchmark across generations, newest first."""
    latest: dict[str, tuple[int, BenchDelta]] = {}
    for report in reports:
        for name, delta in report.benchmarks.items():
            if delta.p_value is not None or delta.after_samples:
                seen = latest.get(name)
                if seen is None or seen[0] < report.generation:
                    latest[name] = (report.generation, delta)
    ordered = sorted(latest.items(), key=lambda item: -item[1][0])
    return [f"{name} (gen {gen}): {bench_note(delta)}" for name, (gen, delta) in ordered]
