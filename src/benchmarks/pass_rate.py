"""test_pass_rate: pytest outcomes from the junit XML; score = passed / (total - skipped)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Literal

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
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


def parse_junit(xml_text: str) -> dict[str, Outcome]:
    """Node id -> outcome for every testcase in a junit report."""
    root = ET.fromstring(xml_text)
    return {node_id(case): case_outcome(case) for case in root.iter("testcase")}


def failure_reports(xml_text: str) -> dict[str, str]:
    """Node id -> assertion message and traceback excerpt of the first failing or erroring tests."""
    found: dict[str, str] = {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        problem = case.find("failure")
        problem = case.find("error") if problem is None else problem
        if problem is not None and len(found) < MAX_FAILURES:
            found[node_id(case)] = failure_excerpt(problem.get("message", ""), problem.text or "")
    return found


def foreign_import_errors(xml_text: str, own: Collection[str]) -> dict[str, str]:
    """Test modules that failed to collect because a module outside the tree is missing."""
    found: dict[str, str] = {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        error = case.find("error")
        if case.get("classname") or error is None:
            continue
        missing = _MISSING.search(f"{error.get('message', '')}\n{error.text or ''}")
        if missing and missing.group(1).split(".")[0] not in own:
            found[node_id(case)] = missing.group(1)
    return found


def environment_error(foreign: dict[str, str]) -> str:
    """The sentence saying which modules are missing and how to fix it."""
    names = ", ".join(sorted(set(foreign.values())))
    return (
        f"{len(foreign)} test modules failed to import: No module named {names}; add it to "
        "your test dependencies or set [benchmarks] python"
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
    if run.returncode not in REPORTED_EXIT_CODES or not prun.junit.is_file():
        return error_result(NAME, f"pytest exited {run.returncode}: {run.tail()}", run.duration_s)
    try:
        text = Path(prun.junit).read_text(encoding="utf-8")
        outcomes = parse_junit(text)
        foreign = foreign_import_errors(text, prun.own)
        failures = failure_reports(text)
    except (ET.ParseError, OSError) as exc:
        return error_result(NAME, f"unreadable junit report: {exc}", run.duration_s)
    counts = count_outcomes(outcomes)
    raw = {**counts, "outcomes": outcomes, "failures": failures}
    if foreign:
        return environment_result(
            NAME, environment_error(foreign), {**raw, "missing_modules": foreign}
        )
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
