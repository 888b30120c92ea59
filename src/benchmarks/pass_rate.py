"""test_pass_rate: outcomes from the host's report channel; score = passed / (total - skipped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from self_improving_agent.base.safe_files import UnsafeResult
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    containment_result,
    environment_result,
    error_result,
    nothing_result,
    timeout_result,
)
from self_improving_agent.benchmarks.outcome_stream import SessionFacts, read_stream
from self_improving_agent.benchmarks.pytest_run import (
    NO_TESTS_EXIT_CODE,
    REPORTED_EXIT_CODES,
    PytestRun,
)
from self_improving_agent.sandbox.proc import ToolRun

NAME = "test_pass_rate"


def recorded_outcomes(results: Sequence[BenchResult]) -> dict[str, str]:
    """The per-test outcomes this benchmark recorded among results, or none."""
    for result in results:
        outcomes = result.raw.get("outcomes") if result.name == NAME else None
        if isinstance(outcomes, dict):
            return {str(test): str(outcome) for test, outcome in outcomes.items()}
    return {}


def environment_error(foreign: dict[str, str]) -> str:
    """The sentence saying which modules are missing and how to fix it."""
    names = ", ".join(sorted(set(foreign.values())))
    return (
        f"{len(foreign)} test modules failed to import: No module named {names}; add it to "
        "your test dependencies or set [benchmarks] python"
    )


def project_error(unimportable: dict[str, str]) -> str:
    """The sentence saying the tests cannot import the project, and how to fix it."""
    names = ", ".join(sorted(set(unimportable.values())))
    return (
        f"{len(unimportable)} test modules cannot import the project's own {names}, which is in "
        "the tree but not importable; give it a pyproject.toml (or setup.py) the tests can be "
        "installed with, or set [benchmarks] python to an interpreter where it imports"
    )


def session_error(run: ToolRun, facts: SessionFacts | None) -> str:
    """Why a pytest run told nothing that can be counted."""
    if facts is None:
        return f"pytest exited {run.returncode} before its session finished: {run.tail()}"
    return f"pytest's session ended with status {facts.exit_status}: {run.tail()}"


def count_outcomes(outcomes: Mapping[str, str]) -> dict[str, int]:
    """passed, failed, errors, skipped and total."""
    values = list(outcomes.values())
    return {
        "passed": values.count("passed"),
        "failed": values.count("failed"),
        "errors": values.count("error"),
        "skipped": values.count("skipped"),
        "total": len(values),
    }


def score_pass_rate(passed: int, total: int, skipped: int) -> float:
    """passed / (total - skipped); errors count as failures; 0 when nothing ran."""
    ran = total - skipped
    return passed / ran if ran > 0 else 0.0


def measure(prun: PytestRun) -> BenchResult:
    """The pass rate of a finished pytest run; prun.own names the tree's own modules."""
    run = prun.run
    if run.timed_out:
        return timeout_result(NAME, run)
    if run.exhausted:
        return error_result(NAME, run.exhausted, run.duration_s)
    try:
        facts = read_stream(run.reported or b"", prun.own, prun.present)
    except UnsafeResult as exc:
        return containment_result(NAME, str(exc), run.duration_s)
    # The session's own exit status: what the process did after the session is not trusted.
    if facts is None or facts.exit_status not in REPORTED_EXIT_CODES:
        return error_result(NAME, session_error(run, facts), run.duration_s)
    outcomes, failures, foreign = facts.outcomes, facts.failures, facts.foreign
    counts = count_outcomes(outcomes)
    raw = {**counts, "outcomes": outcomes, "failures": failures}
    if foreign:
        return environment_result(
            NAME, environment_error(foreign), {**raw, "missing_modules": foreign}
        )
    if facts.unimportable:
        missing = facts.unimportable
        return environment_result(NAME, project_error(missing), {**raw, "missing_modules": missing})
    if facts.exit_status == NO_TESTS_EXIT_CODE or counts["total"] == 0:
        return nothing_result(NAME, "no tests collected", run.duration_s).model_copy(
            update={"raw": raw}
        )
    if counts["total"] == counts["skipped"]:
        return nothing_result(NAME, "every test was skipped", run.duration_s).model_copy(
            update={"raw": raw}
        )
    score = score_pass_rate(counts["passed"], counts["total"], counts["skipped"])
    detail = f"{counts['passed']} of {counts['total'] - counts['skipped']} tests passed"
    return BenchResult(name=NAME, score=score, raw=raw, duration_s=run.duration_s, detail=detail)
