"""Concrete findings (file:line) for the Architect's weakest benchmarks and the Builder's files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.benchmarks.base import BenchResult

ARCHITECT_TOKENS = 400
BUILDER_TOKENS = 1500
WEAKEST = 3
PER_BENCHMARK = 6
FAILING = ("failed", "error")


class Finding(BaseModel):
    """One concrete thing a benchmark found; line 0 when the tool names only the file."""

    benchmark: str
    path: str
    line: int = 0
    message: str

    def text(self) -> str:
        """`path:line message`."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} {self.message}"


def _located(name: str, items: Iterable[Any]) -> list[Finding]:
    """Findings from {path, line, message} dicts, skipping anything else."""
    found = []
    for item in items:
        if isinstance(item, dict) and {"path", "line", "message"} <= item.keys():
            where = {"path": str(item["path"]), "line": int(item["line"] or 0)}
            found.append(Finding(benchmark=name, message=str(item["message"]), **where))
    return found


def _undocumented(name: str, entries: Iterable[Any]) -> list[Finding]:
    """doc_coverage's `path:line name` entries (or a bare module path)."""
    found = []
    for entry in map(str, entries):
        where, _, what = entry.partition(" ")
        path, _, line = where.partition(":")
        message = f"no docstring: {what}" if what else "no module docstring"
        found.append(Finding(benchmark=name, path=path, line=int(line or 0), message=message))
    return found


def findings_of(result: BenchResult) -> list[Finding]:
    """The findings a benchmark's raw figures carry, most useful first."""
    raw, name = result.raw, result.name
    if isinstance(raw.get("evidence"), list):
        return _located(name, raw["evidence"])
    if name == "doc_coverage" and isinstance(raw.get("undocumented"), list):
        return _undocumented(name, raw["undocumented"])
    if name == "security_scan" and isinstance(raw.get("locations"), list):
        items = [
            {**loc, "message": f"{loc.get('rule')} {loc.get('message')}"}
            for loc in raw["locations"]
            if isinstance(loc, dict)
        ]
        return _located(name, items)
    if name == "import_check" and isinstance(raw.get("errors"), dict):
        return [
            Finding(benchmark=name, path=str(module), message=f"does not import: {error}")
            for module, error in raw["errors"].items()
        ]
    if name == "test_pass_rate" and isinstance(raw.get("outcomes"), dict):
        return [
            Finding(benchmark=name, path=str(test).split("::")[0], message=f"{outcome}: {test}")
            for test, outcome in raw["outcomes"].items()
            if outcome in FAILING
        ]
    if name == "file_organization" and isinstance(raw.get("offenders"), dict):
        return [
            Finding(benchmark=name, path=str(path), message=f"fails check {check}")
            for check, paths in raw["offenders"].items()
            for path in (paths if isinstance(paths, list) else [])
        ]
    return []


def _fit(lines: list[str], budget_tokens: int) -> list[str]:
    """The lines that fit the budget, in order; a block that does not fit is cut, not split."""
    kept: list[str] = []
    for line in lines:
        if estimate_tokens("\n".join([*kept, line])) > budget_tokens:
            break
        kept.append(line)
    return kept


def architect_evidence(
    results: Sequence[BenchResult], budget_tokens: int = ARCHITECT_TOKENS
) -> list[str]:
    """Findings of the weakest benchmarks that have some, a few each, within the budget."""
    weak = [r for r in sorted(results, key=lambda r: (r.score, r.name)) if r.score < 1.0]
    lines: list[str] = []
    shown = 0
    for result in weak:
        found = findings_of(result)
        if not found or shown == WEAKEST:
            continue
        shown += 1
        more = len(found) - PER_BENCHMARK
        lines.append(f"- {result.name} ({result.score:.3f}):")
        lines += [f"  {f.text()}" for f in found[:PER_BENCHMARK]]
        if more > 0:
            lines.append(f"  (+{more} more)")
    return _fit(lines, budget_tokens)


def builder_evidence(
    results: Sequence[BenchResult], files: Sequence[str], budget_tokens: int = BUILDER_TOKENS
) -> list[str]:
    """Every finding in the planned files, by file and line, within the budget."""
    planned = set(files)
    found = [f for r in results for f in findings_of(r) if f.path in planned]
    found.sort(key=lambda f: (f.path, f.line, f.benchmark))
    return _fit([f"- [{f.benchmark}] {f.text()}" for f in found], budget_tokens)
