"""What a candidate broke that worked before: lost tests, new lint/type errors, imports, checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.pass_rate import recorded_outcomes
from self_improving_agent.benchmarks.registry import PYTEST_GROUP
from self_improving_agent.gates.anti_gaming import lost_test_ids

LINT, TYPES, IMPORTS = "lint_score", "type_check", "import_check"
# What the Builder is shown of the evidence in one repair request.
EVIDENCE_TOKENS = 1500
MAX_LINE_CHARS = 300


class LostTest(BaseModel):
    """A test that passed before and does not now, with what its failure report said."""

    id: str
    excerpt: str = ""


class Regressions(BaseModel):
    """Everything a candidate broke, each item as the Builder is shown it."""

    lost_tests: list[LostTest] = Field(default_factory=list)
    lint: list[str] = Field(default_factory=list, description="New ruff messages, file:line.")
    types: list[str] = Field(default_factory=list, description="New mypy messages, file:line.")
    imports: list[str] = Field(default_factory=list, description="Modules that stopped importing.")
    checks: list[str] = Field(default_factory=list, description="Post-change checks that failed.")
    benchmarks: list[str] = Field(
        default_factory=list, description="The benchmarks that showed a regression."
    )

    def empty(self) -> bool:
        """Nothing regressed."""
        return not (self.lost_tests or self.lint or self.types or self.imports or self.checks)

    def summary(self) -> str:
        """One line: how many of each kind."""
        parts = [
            (len(self.lost_tests), "lost test(s)"),
            (len(self.lint), "new lint message(s)"),
            (len(self.types), "new type error(s)"),
            (len(self.imports), "broken import(s)"),
            (len(self.checks), "failed check(s)"),
        ]
        return ", ".join(f"{n} {label}" for n, label in parts if n) or "no regression"


def _by_name(results: Sequence[BenchResult]) -> dict[str, BenchResult]:
    """Results keyed by benchmark name."""
    return {r.name: r for r in results}


def _findings(result: BenchResult | None) -> list[dict[str, Any]]:
    """The benchmark's file:line findings (raw["evidence"])."""
    found = result.raw.get("evidence") if result is not None else None
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def _count(result: BenchResult | None, key: str) -> int:
    """A raw count of a result, 0 when absent."""
    value = result.raw.get(key) if result is not None else None
    return value if isinstance(value, int) else 0


def new_messages(
    before: BenchResult | None, after: BenchResult | None, files: Sequence[str], key: str
) -> list[str]:
    """Findings in the changed files that were not there before (lines may have moved)."""
    changed = set(files)
    old = Counter((f["path"], f["message"]) for f in _findings(before))
    lines = []
    for item in _findings(after):
        pair = (item["path"], item["message"])
        if old[pair]:
            old[pair] -= 1
        elif item["path"] in changed:
            lines.append(f"{item['path']}:{item['line']}: {item['message']}")
    if not lines and _count(after, key) > _count(before, key):
        # The benchmark keeps only its first findings; the count still shows the rise.
        rise = _count(after, key) - _count(before, key)
        name = after.name if after is not None else key
        lines.append(f"{name}: {rise} new {key} (their file:line is beyond the findings kept)")
    return lines


def find_regressions(
    before: Sequence[BenchResult],
    after: Sequence[BenchResult],
    files_changed: Sequence[str],
    failed_checks: Sequence[str] = (),
) -> Regressions:
    """Compare the after-results with main's: what passed, imported or was clean and is not now."""
    old, new = _by_name(before), _by_name(after)
    checks = list(failed_checks)
    benchmarks: list[str] = []
    for name, result in new.items():
        was = old.get(name)
        if was is not None and was.status == "ok" and result.status != "ok":
            detail = " ".join(result.detail.split())[:MAX_LINE_CHARS]
            checks.append(f"benchmark {name} was ok before and is {result.status} now: {detail}")
            benchmarks.append(name)
    lost: list[LostTest] = []
    if TESTS in new:
        failures = new[TESTS].raw.get("failures")
        reports = failures if isinstance(failures, dict) else {}
        lost_ids = lost_test_ids(recorded_outcomes(before), recorded_outcomes(after))
        lost = [LostTest(id=t, excerpt=str(reports.get(t, ""))) for t in lost_ids]
    lint = new_messages(old.get(LINT), new.get(LINT), files_changed, "violations")
    types = new_messages(old.get(TYPES), new.get(TYPES), files_changed, "errors")
    old_errors = old[IMPORTS].raw.get("errors", {}) if IMPORTS in old else {}
    new_errors = new[IMPORTS].raw.get("errors", {}) if IMPORTS in new else {}
    imports = [f"{m}: {e}" for m, e in sorted(new_errors.items()) if m not in old_errors]
    for flag, names in (
        (lost, list(PYTEST_GROUP)),
        (lint, [LINT]),
        (types, [TYPES]),
        (imports, [IMPORTS]),
    ):
        if flag:
            benchmarks += [n for n in names if n in new]
    return Regressions(
        lost_tests=lost,
        lint=lint,
        types=types,
        imports=imports,
        checks=checks,
        benchmarks=list(dict.fromkeys(benchmarks)),
    )


def evidence_lines(found: Regressions, budget_tokens: int = EVIDENCE_TOKENS) -> list[str]:
    """The evidence as the Builder reads it, most telling first, cut to the token budget."""
    items: list[str] = []
    for test in found.lost_tests:
        body = "\n".join(f"    {line}" for line in test.excerpt.splitlines())
        items.append(
            f"- test {test.id} passed before and fails now" + (f":\n{body}" if body else "")
        )
    items += [f"- import broken: {line[:MAX_LINE_CHARS]}" for line in found.imports]
    items += [f"- check failed: {line[:MAX_LINE_CHARS]}" for line in found.checks]
    items += [f"- new type error: {line[:MAX_LINE_CHARS]}" for line in found.types]
    items += [f"- new lint message: {line[:MAX_LINE_CHARS]}" for line in found.lint]
    shown: list[str] = []
    used = 0
    for item in items:
        cost = estimate_tokens(item)
        if shown and used + cost > budget_tokens:
            break
        shown.append(item)
        used += cost
    if len(shown) < len(items):
        shown.append(f"- (+{len(items) - len(shown)} more not shown)")
    return shown
