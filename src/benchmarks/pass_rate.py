"""test_pass_rate: pytest outcomes from the junit XML; score = passed / (total - skipped)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from self_improving_agent.base.safe_files import UnsafeResult, open_result
from self_improving_agent.base.text import printable
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    containment_result,
    environment_result,
    error_result,
    nothing_result,
    timeout_result,
)
from self_improving_agent.benchmarks.findings import MAX_FAILURES, failure_excerpt
from self_improving_agent.benchmarks.pytest_run import (
    NO_TESTS_EXIT_CODE,
    REPORTED_EXIT_CODES,
    PytestRun,
)

NAME = "test_pass_rate"
Outcome = Literal["passed", "failed", "error", "skipped"]
_MISSING = re.compile(r"No module named '([^']+)'")


def recorded_outcomes(results: Sequence[BenchResult]) -> dict[str, str]:
    """The per-test outcomes this benchmark recorded among results, or none."""
    for result in results:
        outcomes = result.raw.get("outcomes") if result.name == NAME else None
        if isinstance(outcomes, dict):
            return {str(test): str(outcome) for test, outcome in outcomes.items()}
    return {}


def node_id(case: ET.Element) -> str:
    """pytest's node id (`tests/test_x.py::Class::test_y`) from an xunit1 testcase element."""
    classname = case.get("classname", "")
    name = case.get("name", "")
    file = case.get("file")
    if not classname:
        # Collection errors carry the module as name and no class.
        return file or name.replace(".", "/") + ".py"
    if file is None:
        return "::".join([classname.replace(".", "/") + ".py", name])
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname.removeprefix(module).strip(".")
    return "::".join(part for part in (file, *classes.split("."), name) if part)


def case_outcome(case: ET.Element) -> Outcome:
    """One testcase's outcome; an error (setup, teardown, collection) wins over everything."""
    tags = {child.tag for child in case}
    if "error" in tags:
        return "error"
    if "failure" in tags:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    return "passed"


@dataclass(frozen=True)
class JunitFacts:
    """What one junit report says: outcomes, failure excerpts, modules tests could not import
    (foreign: outside the tree; unimportable: the tree's own top-level packages)."""

    outcomes: dict[str, Outcome]
    failures: dict[str, str]
    foreign: dict[str, str]
    unimportable: dict[str, str]


def scan_junit(stream: BinaryIO, own: Collection[str] = ()) -> JunitFacts:
    """One streaming pass over a junit report; each testcase is dropped once read."""
    outcomes: dict[str, Outcome] = {}
    failures: dict[str, str] = {}
    foreign: dict[str, str] = {}
    unimportable: dict[str, str] = {}
    for _, case in ET.iterparse(stream, events=("end",)):
        if case.tag != "testcase":
            continue
        node = printable(node_id(case))
        outcomes[node] = case_outcome(case)
        problem = case.find("failure")
        problem = case.find("error") if problem is None else problem
        if problem is not None and len(failures) < MAX_FAILURES:
            text = failure_excerpt(problem.get("message", ""), problem.text or "")
            failures[node] = printable(text)
        error = case.find("error")
        if not case.get("classname") and error is not None:
            missing = _MISSING.search(f"{error.get('message', '')}\n{error.text or ''}")
            name = printable(missing.group(1)) if missing else ""
            if name and name.split(".")[0] not in own:
                foreign[node] = name
            elif name and "." not in name:
                # The package is in the tree but not importable: the tests never reached it.
                # A missing submodule is the code's own fault and stays a failure.
                unimportable[node] = name
        case.clear()
    return JunitFacts(outcomes, failures, foreign, unimportable)


def parse_junit(xml_text: str) -> dict[str, Outcome]:
    """Node id -> outcome for every testcase in a junit report."""
    return scan_junit(io.BytesIO(xml_text.encode("utf-8"))).outcomes


def read_junit(root: Path, rel: str, own: Collection[str] = ()) -> JunitFacts | None:
    """The facts of the junit report at root/rel, read safely; None when it is absent."""
    with open_result(root, rel, "junit") as stream:
        return None if stream is None else scan_junit(stream, own)


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


def count_outcomes(outcomes: dict[str, Outcome]) -> dict[str, int]:
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
    exited = f"pytest exited {run.returncode}: {run.tail()}"
    if run.returncode not in REPORTED_EXIT_CODES:
        return error_result(NAME, exited, run.duration_s)
    try:
        facts = read_junit(prun.scratch, prun.junit, prun.own)
    except UnsafeResult as exc:
        return containment_result(NAME, str(exc), run.duration_s)
    except (ET.ParseError, OSError) as exc:
        return error_result(NAME, f"unreadable junit report: {exc}", run.duration_s)
    if facts is None:
        return error_result(NAME, exited, run.duration_s)
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
    if run.returncode == NO_TESTS_EXIT_CODE or counts["total"] == 0:
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
