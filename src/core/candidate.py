"""Measuring a candidate whole: stage by stage, repeats beside main's tree, then the lost tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from self_improving_agent.base.errors import PhaseFailed
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.repeats import Comparison, counted_after
from self_improving_agent.benchmarks.runner import SuiteResult, weighted_total
from self_improving_agent.benchmarks.stages import below_threshold, stage_plan, stage_rejection
from self_improving_agent.core.deps import Compare, Measure
from self_improving_agent.reports.report_model import BenchDelta

BeforeTree = Callable[[], AbstractContextManager[Path]]
# Main's tests and reruns of lost tests over the candidate's results: the check, and the results
# with flaky tests counted as before.
JudgeLost = Callable[[SuiteResult], tuple[LostTestCheck, SuiteResult]]


class Candidate(BaseModel):
    """What the candidate scored, what main scored beside it, how far it got, what it lost."""

    model_config = ConfigDict(frozen=True)

    after: SuiteResult = Field(description="The candidate's measured results (medians).")
    before: list[BenchResult] = Field(description="Main's results, repeated ones re-measured.")
    comparisons: dict[str, Comparison] = Field(default_factory=dict)
    counted_delta: float = Field(description="Total delta with noise-level changes counted as 0.")
    rejection: str | None = Field(None, description="Why a stage stopped the candidate.")
    skipped: list[str] = Field(default_factory=list, description="Benchmarks never run.")
    check: LostTestCheck | None = Field(None, description="The lost-test check, when tests ran.")

    def noise(self) -> list[str]:
        """Each repeated benchmark whose change did not clear the noise, with its p-value."""
        return [
            f"{c.name} moved {c.after.score - c.before.score:+.4f} within the noise"
            f" (p={c.p_value:.3f} > {c.significance}), counted as 0"
            for c in self.comparisons.values()
            if not c.counted and c.p_value is not None
        ]


def measure_candidate(
    tree: Path,
    before: SuiteResult,
    config: BenchConfig,
    measure: Measure,
    compare: Compare,
    before_tree: BeforeTree,
    judge: JudgeLost | None = None,
) -> Candidate:
    """Measure the candidate stage by stage, stopping after a stage below threshold; judge its
    lost tests when its tests ran."""
    plan = stage_plan(config, [r.name for r in before.results])
    results: list[BenchResult] = []
    suites: list[SuiteResult] = []
    comparisons: dict[str, Comparison] = {}
    rejection = None
    skipped: list[str] = []
    with ExitStack() as stack:
        main_tree: Path | None = None
        for index, (stage, names) in enumerate(plan):
            plain = [n for n in names if config.repeats(n) == 1]
            repeated = [n for n in names if config.repeats(n) > 1]
            found: list[BenchResult] = []
            if plain:
                suites.append(measure(tree, plain))
                found += suites[-1].results
            if repeated:
                main_tree = main_tree or stack.enter_context(before_tree())
                fresh = compare(main_tree, tree, repeated)
                comparisons.update(fresh)
                found += [fresh[n].after for n in repeated]
            results += found
            failing = below_threshold(config, found)
            if failing:
                later = plan[index + 1 :]
                rejection = stage_rejection(stage, failing, [s for s, _ in later])
                skipped = [n for _, group in later for n in group]
                break
    weights = config.weight_map()
    old = [comparisons[r.name].before if r.name in comparisons else r for r in before.results]
    measured = {r.name for r in results}
    counted = [counted_after(comparisons[r.name]) if r.name in comparisons else r for r in results]
    after = SuiteResult(
        total=weighted_total(results, weights),
        results=results,
        cached=bool(suites) and all(s.cached for s in suites) and not comparisons,
        key=suites[-1].key if suites else "",
        sandbox=next((s.sandbox for s in suites), before.sandbox),
    )
    counted_delta = weighted_total(counted, weights) - weighted_total(
        [r for r in old if r.name in measured], weights
    )
    check = None
    # A stage that stopped the candidate before its tests ran leaves no test lost or rerun.
    if judge is not None and TESTS not in skipped:
        check, judged = judge(after)
        # Only plain (unrepeated) results change here, so the counted delta moves with the total.
        counted_delta += judged.total - after.total
        after = judged
    return Candidate(
        after=after,
        before=old,
        comparisons=comparisons,
        counted_delta=counted_delta,
        rejection=rejection,
        skipped=skipped,
        check=check,
    )


def cannot_compare(before: Path, after: Path, names: Sequence[str]) -> dict[str, Comparison]:
    """Deps without a comparer cannot measure repeated benchmarks: the phase fails, closed."""
    raise PhaseFailed("benchmark", f"no way to compare two trees for {', '.join(names)}")


def bench_deltas(candidate: Candidate) -> dict[str, BenchDelta]:
    """Per benchmark: before and after, custom ones with their words, repeats with spread and p."""
    before = {r.name: r for r in candidate.before}
    deltas = {}
    for name, old in before.items():
        new = next((r for r in candidate.after.results if r.name == name), None)
        after = new.score if new else None
        diff = None if after is None else round(after - old.score, 6)
        delta = BenchDelta(before=old.score, after=after, delta=diff)
        extra: dict[str, object] = {"custom": old.custom, "skipped": name in candidate.skipped}
        if new is not None and new.custom and new.status != "ok":
            extra["detail"] = new.detail
        comparison = candidate.comparisons.get(name)
        if comparison is not None:
            extra |= {
                "before_samples": comparison.before.samples,
                "after_samples": comparison.after.samples,
                "p_value": comparison.p_value,
                "counted": comparison.counted,
            }
            if not comparison.counted:
                extra["delta"] = 0.0
        deltas[name] = delta.model_copy(update=extra)
    return deltas
