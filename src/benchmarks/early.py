"""The early stage of a candidate: main's tests that executed what it changed, run before the
full suite; a test lost there rejects it without the full run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.config import load_bench_config
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.impact import ImpactMap, load_map, tree_of
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.pass_rate import recorded_outcomes
from self_improving_agent.benchmarks.retest import open_tree
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.benchmarks.sources import is_test_path, repo_files
from self_improving_agent.benchmarks.tree_setup import environment
from self_improving_agent.envs.model import Env, EnvError

# Python files whose effect is not one file's lines: pytest's hooks and fixtures, the build.
_UNSEEN_NAMES = frozenset({"conftest.py", "setup.py", "noxfile.py", "__main__.py"})
# Past this many characters of node ids the stage runs whole test files: argv stays bounded.
_MAX_ARGV_CHARS = 100_000


@dataclass(frozen=True)
class EarlyPlan:
    """The tests to run first, or why the change needs the full suite straight away."""

    ids: tuple[str, ...] = ()
    full: str = ""


@dataclass(frozen=True)
class EarlyVerdict:
    """What the early stage ran and the tests it lost on every rerun; error: it told nothing."""

    ran: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    error: str = ""
    # Main's passing tests that failed in the early run, before any rerun.
    failing: tuple[str, ...] = ()


def unseen(rel: str) -> bool:
    """Whether the map cannot see what a change to rel affects."""
    path = PurePosixPath(rel)
    return path.suffix != ".py" or path.name in _UNSEEN_NAMES


def plan_early(changed: Sequence[str], impact: ImpactMap | None, present: set[str]) -> EarlyPlan:
    """The tests that executed the changed files, plus changed tests still present; or why the
    full suite must run instead (no map, or a change the map cannot see)."""
    if impact is None:
        return EarlyPlan(full="no test-impact map for main's tree")
    blind = sorted(rel for rel in changed if unseen(rel))
    if blind:
        return EarlyPlan(full=f"a change the test-impact map cannot see: {', '.join(blind[:3])}")
    ids: set[str] = set()
    for rel in changed:
        if is_test_path(rel):
            if rel in present:
                ids.add(rel)
        else:
            ids |= impact.tests_of(rel)
    chosen = sorted(ids)
    if sum(len(i) + 1 for i in chosen) > _MAX_ARGV_CHARS:
        chosen = sorted({i.split("::", 1)[0] for i in chosen})
    if not chosen:
        return EarlyPlan(full="no test executed the changed files")
    return EarlyPlan(ids=tuple(chosen))


def early_losses(
    before: Mapping[str, str], after: Mapping[str, str], changed: Sequence[str]
) -> list[str]:
    """Tests that passed on main, whose file the candidate left alone, and did not pass now."""
    touched = set(changed)
    return sorted(
        t
        for t, outcome in after.items()
        if outcome != "passed" and before.get(t) == "passed" and t.split("::", 1)[0] not in touched
    )


def run_early(
    tree: Path,
    sections: MeasureSections,
    plan: EarlyPlan,
    before: Mapping[str, str],
    changed: Sequence[str],
    env: Env | EnvError | None,
    timeout_s: float,
) -> EarlyVerdict:
    """Run the plan's tests on the candidate in env and sandbox; rerun losses alone, as the
    lost-test check does, up to the first that never passes: one such test rejects."""
    with open_tree(tree, sections, {}, env, timeout_s) as box:
        found = box.outcomes(list(plan.ids))
        if isinstance(found, str):
            return EarlyVerdict(ran=plan.ids, error=found)
        reruns = max(sections.benchmarks.flaky_reruns, 1)
        failing = early_losses(before, found, changed)
        lost = next(
            (t for t in failing if all(box.outcome(t) != "passed" for _ in range(reruns))),
            None,
        )
    ran = tuple(sorted(found))
    return EarlyVerdict(ran=ran, lost=(lost,) if lost else (), failing=tuple(failing))


def early_stage(
    store: Store,
    sections: MeasureSections,
    ref: str,
    note: Callable[[str], None],
    tree: Path,
    base: str,
    changed: Sequence[str],
    before: SuiteResult,
) -> EarlyVerdict | None:
    """The early stage of the candidate in tree against main's commit base and results, or
    None when the full suite must run straight away."""
    outcomes = recorded_outcomes(before.results)
    main_tree = tree_of(tree, base)
    found = load_map(store, main_tree) if main_tree and outcomes else None
    plan = plan_early(changed, found, set(repo_files(tree)))
    if plan.full:
        note(f"early stage skipped, the full suite runs: {plan.full}")
        return None
    env = environment(tree, sections, ref, note)
    # A change the map can see leaves the benchmark config as main's: its timeout holds.
    timeout = load_bench_config(tree, sections.benchmarks).timeout(TESTS)
    verdict = run_early(tree, sections, plan, outcomes, changed, env, timeout)
    note(f"early stage: {len(verdict.ran)} affected tests run, {len(verdict.lost)} lost")
    return verdict
