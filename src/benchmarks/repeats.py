"""Repeated measurements: the median run, interleaved before/after runs and the noise verdict."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.significance import p_greater, p_less

Run = Callable[[], BenchResult]


class Comparison(BaseModel):
    """A repeated benchmark measured n times on each tree, and whether its change beat the noise."""

    name: str
    before: BenchResult
    after: BenchResult
    p_value: float | None = Field(description="One-sided Mann-Whitney U; None when a run failed.")
    significance: float
    counted: bool = Field(description="The delta counts in the total; otherwise it counts as 0.")


def summarize(runs: Sequence[BenchResult]) -> BenchResult:
    """One result for n runs: the first run that did not finish ok, else the median with samples."""
    for index, run in enumerate(runs, 1):
        if run.status != "ok":
            detail = f"run {index} of {len(runs)}: {run.detail}"
            return run.model_copy(update={"detail": detail, "samples": [r.score for r in runs]})
    scores = [r.score for r in runs]
    middle = statistics.median(scores)
    closest = min(runs, key=lambda r: abs(r.score - middle))
    duration = sum(r.duration_s for r in runs)
    return closest.model_copy(update={"score": middle, "samples": scores, "duration_s": duration})


def repeat_alone(run: Run, n: int) -> BenchResult:
    """n runs one after the other on one tree, summarized."""
    return summarize([run() for _ in range(n)])


def interleave(
    run_before: Run, run_after: Run, n: int
) -> tuple[list[BenchResult], list[BenchResult]]:
    """n runs of each tree, alternating (before-after, then after-before) so drift hits both."""
    before: list[BenchResult] = []
    after: list[BenchResult] = []
    for index in range(n):
        if index % 2 == 0:
            before.append(run_before())
            after.append(run_after())
        else:
            after.append(run_after())
            before.append(run_before())
    return before, after


def noise_p_value(before: Sequence[float], after: Sequence[float]) -> float:
    """One-sided p-value in the direction the medians moved; 1.0 when they did not move."""
    old, new = statistics.median(before), statistics.median(after)
    if new > old:
        return p_greater(before, after)
    if new < old:
        return p_less(before, after)
    return 1.0


def compare(
    name: str, before: Sequence[BenchResult], after: Sequence[BenchResult], significance: float
) -> Comparison:
    """The verdict over interleaved runs: the change counts only when p <= significance."""
    old, new = summarize(before), summarize(after)
    if old.status != "ok" or new.status != "ok":
        return Comparison(
            name=name, before=old, after=new, p_value=None, significance=significance, counted=True
        )
    p = noise_p_value(old.samples, new.samples)
    return Comparison(
        name=name,
        before=old,
        after=new,
        p_value=p,
        significance=significance,
        counted=p <= significance,
    )


def counted_after(comparison: Comparison) -> BenchResult:
    """The after-result as the total counts it: the before score when the change is noise."""
    if comparison.counted:
        return comparison.after
    return comparison.after.model_copy(update={"score": comparison.before.score})
