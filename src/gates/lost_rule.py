"""The lost-test rule over main's tests, the candidate's own run and the reruns of lost tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.benchmarks.sources import is_test_path
from self_improving_agent.gates.anti_gaming import lost_test_ids, lost_tests


class LostVerdict(NamedTuple):
    """Which tests that passed before are lost, which need a person, which were flaky."""

    lost: list[str]
    reasons: list[str]
    for_human: list[str]
    flaky: list[str]


def judge_lost(
    before: Mapping[str, str], after: Mapping[str, str], check: LostTestCheck | None
) -> LostVerdict:
    """Lost: main's version fails against the candidate, or the candidate's own run lost it.

    A test in a file the candidate rewrote whose main version fails while the candidate's own
    version passes or was renamed away is for a person; a flaky test is neither.
    """
    judged = after if check is None or check.outcomes is None else check.outcomes
    flaky = sorted({f.test_id for f in check.flaky}) if check else []
    rewritten = set(check.restored) if check else set()
    by_main = [t for t in lost_test_ids(before, judged) if t not in flaky]
    for_human = [
        t for t in by_main if t.split("::")[0] in rewritten and after.get(t) in ("passed", None)
    ]
    by_own = [t for t in lost_test_ids(before, after) if t not in flaky]
    lost = sorted((set(by_main) | set(by_own)) - set(for_human))
    # Each lost test is described by the run that lost it: main's tests first.
    seen = dict(judged)
    for t in lost:
        if judged.get(t) == "passed":
            seen.pop(t)
            if t in after:
                seen[t] = after[t]
    reasons = lost_tests({t: "passed" for t in lost}, seen)
    return LostVerdict(lost, reasons, for_human, flaky)


def check_problem(
    files_changed: Sequence[str], before: Mapping[str, str], check: LostTestCheck | None
) -> str | None:
    """Why the lost-test check cannot be trusted: tests changed and main's did not judge them."""
    if not before or not any(is_test_path(f) for f in files_changed):
        return None
    if check is None or not check.main_tests:
        return "the change edits tests and main's tests were not run against it"
    if check.outcomes is None:
        return f"main's tests could not be run against the change: {check.error or 'no outcome'}"
    return None
