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
    """Lost: main's version fails against the candidate (after, measured with main's tests), or
    the candidate's own version of it fails.

    A test in a file the candidate rewrote whose main version fails while the candidate's own
    version passes or was renamed away is for a person; a flaky test is neither.
    """
    own = check.outcomes if check is not None else None
    flaky = sorted({f.test_id for f in check.flaky}) if check else []
    by_main = [t for t in lost_test_ids(before, after) if t not in flaky]
    for_human = [t for t in by_main if check is not None and t in check.for_person]
    by_own = [t for t in lost_test_ids(before, own or {}) if t in (own or {}) and t not in flaky]
    lost = sorted((set(by_main) | set(by_own)) - set(for_human))
    # Each lost test is described by the run that lost it: main's tests first.
    seen = dict(after)
    for t in lost:
        if after.get(t) == "passed" and own is not None:
            seen[t] = own[t]
    reasons = lost_tests({t: "passed" for t in lost}, seen)
    return LostVerdict(lost, reasons, for_human, flaky)


def check_problem(
    files_changed: Sequence[str], before: Mapping[str, str], check: LostTestCheck | None
) -> str | None:
    """Why the change's own tests keep it from merging: they did not run, or new ones fail
    (main would hold a failing test)."""
    if not any(is_test_path(f) for f in files_changed):
        return None
    if check is None or not check.own_tests:
        return "the change edits tests and its own tests were not run" if before else None
    if check.outcomes is None:
        return f"the change's own tests could not be run: {check.error or 'no outcome'}"
    failing = sorted(check.new_not_passed)
    if failing:
        shown = ", ".join(failing[:5]) + (
            f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        )
        return f"{len(failing)} new test(s) of the change do not pass: {shown}"
    return None
