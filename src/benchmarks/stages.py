"""Staged evaluation: cheap stages first, and a candidate below a stage's threshold stops there."""

from __future__ import annotations

from collections.abc import Sequence

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import BenchConfig


def stage_plan(config: BenchConfig, names: Sequence[str]) -> list[tuple[int, list[str]]]:
    """The benchmarks grouped by stage, lowest stage first, each group in config order."""
    stages: dict[int, list[str]] = {}
    for name in names:
        stages.setdefault(config.stage(name), []).append(name)
    return sorted(stages.items())


def below_threshold(config: BenchConfig, results: Sequence[BenchResult]) -> list[str]:
    """Each result under its benchmark's threshold, as `name scored x, below its threshold t`."""
    failing = []
    for result in results:
        threshold = config.threshold(result.name)
        if threshold is not None and result.score < threshold:
            failing.append(
                f"{result.name} scored {result.score:.3f}, below its threshold {threshold:.3f}"
            )
    return failing


def stage_rejection(stage: int, failing: Sequence[str], later: Sequence[int]) -> str:
    """Why a candidate stopped at a stage, and which stages it never reached."""
    text = f"stage {stage}: " + "; ".join(failing)
    if later:
        text += f"; stage(s) {', '.join(map(str, later))} not run"
    return text
