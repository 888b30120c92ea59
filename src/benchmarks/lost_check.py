"""The lost-test check's own runs: main's tests against the candidate, and reruns of lost tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from self_improving_agent.base.errors import AgentError
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.main_tests import added, counted, main_tests_only
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.pass_rate import (
    count_outcomes,
    recorded_outcomes,
    score_pass_rate,
)
from self_improving_agent.benchmarks.retest import RerunTree, Restore, base_versions, open_tree
from self_improving_agent.benchmarks.runner import SuiteResult, weighted_total
from self_improving_agent.benchmarks.sources import is_test_path
from self_improving_agent.benchmarks.tree_setup import environment
from self_improving_agent.envs.model import Env, EnvError

# A test that ran and did not pass can be run again; a missing or skipped one cannot flip back.
RERUN_OUTCOMES = ("failed", "error")
# More lost tests than this is a break, not noise: none of them is rerun.
MAX_RERUN_TESTS = 10


class FlakyTest(BaseModel):
    """A lost test whose reruns flipped: left out of the lost-test rule, shown to people."""

    test_id: str
    candidate_reruns: list[str] = Field(description="Its outcomes rerun alone on the candidate.")
    main_reruns: list[str] = Field(description="Its outcomes rerun alone on main's tree.")
    why: str


class LostTestCheck(BaseModel):
    """What the lost-test check ran beyond the measurement, for the decision and the report."""

    reruns: int = Field(0, description="[benchmarks] flaky_reruns when the check ran.")
    own_tests: bool = Field(False, description="It changed tests: its own ran apart, unscored.")
    restored: list[str] = Field(
        default_factory=list, description="Existing test files it changed, measured in main's."
    )
    left_out: list[str] = Field(
        default_factory=list, description="Test files and conftests it added, not measured."
    )
    # Every outcome is for the decision only; a report keeps the counts and the ones that failed.
    outcomes: dict[str, str] | None = Field(
        None,
        exclude=True,
        description="The candidate's own tests on its own tree; None when they did not run.",
    )
    new_counts: dict[str, int] = Field(
        default_factory=dict, description="passed, failed, errors, skipped of its new tests."
    )
    new_not_passed: dict[str, str] = Field(
        default_factory=dict, description="Its new tests that failed or errored."
    )
    error: str | None = Field(None, description="Why its own tests could not be run, or None.")
    for_person: list[str] = Field(
        default_factory=list,
        description="Main's tests in files it rewrote that fail against it while its own version "
        "passes or is gone: counted as on main, shown to a person.",
    )
    flaky: list[FlakyTest] = Field(default_factory=list)
    confirmed: list[str] = Field(
        default_factory=list, description="Lost tests that failed every rerun on the candidate."
    )
    not_rerun: list[str] = Field(default_factory=list, description="Lost tests over the limit.")


def suspects(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Tests that passed before and ran but did not pass after: the ones a rerun can clear."""
    return sorted(t for t, o in before.items() if o == "passed" and after.get(t) in RERUN_OUTCOMES)


def rerun(test_id: str, candidate: RerunTree, main: Callable[[], RerunTree], n: int) -> FlakyTest:
    """Run test_id alone up to n times on the candidate, then on main; stop at the first flip."""
    ours: list[str] = []
    theirs: list[str] = []
    for i in range(n):
        ours.append(candidate.outcome(test_id))
        if ours[-1] == "passed":
            why = f"passed on rerun {i + 1} of the candidate"
            return FlakyTest(test_id=test_id, candidate_reruns=ours, main_reruns=[], why=why)
    tree = main()
    for i in range(n):
        theirs.append(tree.outcome(test_id))
        if theirs[-1] != "passed":
            why = f"{theirs[-1]} on rerun {i + 1} of main's unchanged tree"
            return FlakyTest(test_id=test_id, candidate_reruns=ours, main_reruns=theirs, why=why)
    return FlakyTest(test_id=test_id, candidate_reruns=ours, main_reruns=theirs, why="")


def check_tests(
    repo: Path,
    base: str,
    sections: MeasureSections,
    files_changed: Sequence[str],
    before: Mapping[str, str],
    after: Mapping[str, str],
    config: BenchConfig,
    *,
    own: Path | None = None,
    ref: str = "HEAD",
    note: Callable[[str], None] | None = None,
) -> LostTestCheck:
    """Rerun lost tests in repo (the candidate measured with main's tests); when it changed
    tests, run its own suite in own, apart, for the report and the decision, never the score."""
    changed_tests = [f for f in files_changed if is_test_path(f)]
    check = LostTestCheck(reruns=sections.benchmarks.flaky_reruns)
    originals = base_versions(repo, base, files_changed)
    timeout = config.timeout(TESTS)
    env: list[Env | EnvError | None] = []

    def opened(restore: Restore, tree: Path = repo) -> RerunTree:
        if not env:
            env.append(environment(repo, sections, ref, note))
        return stack.enter_context(open_tree(tree, sections, restore, env[0], timeout))

    with ExitStack() as stack:
        if changed_tests and own is not None:
            check.own_tests = True
            check.restored = sorted(f for f in changed_tests if originals[f] is not None)
            check.left_out = sorted(f for f in changed_tests if originals[f] is None)
            found = opened({}, own).outcomes()
            if isinstance(found, str):
                check.error = found
            else:
                check.outcomes = {t: str(o) for t, o in found.items()}
                new = added(before, check.outcomes)
                check.new_counts = count_outcomes(new)
                check.new_not_passed = {t: o for t, o in new.items() if o in RERUN_OUTCOMES}
                check.for_person = rewritten_for_person(before, after, check)
        lost = [t for t in suspects(before, after) if t not in check.for_person]
        if len(lost) > MAX_RERUN_TESTS or not check.reruns:
            check.not_rerun = lost
            return check
        main_tree: list[RerunTree] = []

        def main() -> RerunTree:
            if not main_tree:
                main_tree.append(opened(originals))
            return main_tree[0]

        candidate: RerunTree | None = None
        for test_id in lost:
            candidate = candidate or opened({})
            result = rerun(test_id, candidate, main, check.reruns)
            if result.why:
                check.flaky.append(result)
            else:
                check.confirmed.append(test_id)
    return check


def rewritten_for_person(
    before: Mapping[str, str], after: Mapping[str, str], check: LostTestCheck
) -> list[str]:
    """Tests that passed on main, fail in main's version against the change, and live in a file
    it rewrote where its own version passes or is gone."""
    own, rewritten = check.outcomes or {}, set(check.restored)
    return [
        t
        for t, was in sorted(before.items())
        if was == "passed"
        and after.get(t) != "passed"
        and t.split("::")[0] in rewritten
        and own.get(t) in ("passed", None)
    ]


def flaky_as_before(
    after: SuiteResult,
    before: Mapping[str, str],
    check: LostTestCheck,
    weights: Mapping[str, float],
) -> SuiteResult:
    """after with each flaky test, and each left to a person, counted in test_pass_rate as it
    was before (main's tests only), total recomputed."""
    flaky = {f.test_id for f in check.flaky}
    kept = flaky | set(check.for_person)
    if not kept:
        return after
    results = []
    for result in after.results:
        outcomes = result.raw.get("outcomes")
        if result.name == TESTS and result.status == "ok" and isinstance(outcomes, dict):
            # A kept test counts as before even when the run did not report it.
            fixed: dict[str, Any] = {**outcomes, **{t: before[t] for t in kept if t in before}}
            counts = count_outcomes(counted(before, fixed))
            score = score_pass_rate(counts["passed"], counts["total"], counts["skipped"])
            detail = f"{result.detail}; {len(kept)} flaky or rewritten test(s) counted as before"
            measured = result.raw.get("score_as_measured", result.score)
            raw = {**result.raw, "flaky": sorted(flaky), "score_as_measured": measured}
            result = result.model_copy(update={"score": score, "detail": detail, "raw": raw})
        results.append(result)
    return after.model_copy(update={"results": results, "total": weighted_total(results, weights)})


def judge_lost_tests(
    repo: Path,
    base: str,
    sections: MeasureSections,
    files_changed: Sequence[str],
    before: SuiteResult,
    after: SuiteResult,
    config: BenchConfig,
    *,
    own: Path | None = None,
    ref: str = "HEAD",
    note: Callable[[str], None] | None = None,
) -> tuple[LostTestCheck, SuiteResult]:
    """The candidate's test check (repo: the candidate measured with main's checks; base: main's
    commit; own: its own tree), and after scored over main's tests with flaky ones as before;
    config is main's benchmark config, which judges the candidate."""
    old = recorded_outcomes(before.results)
    new = recorded_outcomes(after.results)
    after = main_tests_only(after, old, config.weight_map())
    if not old:
        # No test outcome before: the lost-test rule has nothing to protect.
        return LostTestCheck(reruns=sections.benchmarks.flaky_reruns), after
    try:
        check = check_tests(
            repo, base, sections, files_changed, old, new, config, own=own, ref=ref, note=note
        )
    except (OSError, subprocess.CalledProcessError, AgentError) as exc:
        # Fail closed: tests stay lost and changed tests unjudged, with the cause on record.
        return LostTestCheck(reruns=sections.benchmarks.flaky_reruns, error=str(exc)), after
    return check, flaky_as_before(after, old, check, config.weight_map())
