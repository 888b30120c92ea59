"""file_organization: a fixed list of layout checks; score = checks passed / checks.

The checks, each pass/fail:
- packages_have_init: every folder of Python files inside a package has an __init__.py;
- module_size: no module is longer than settings.benchmarks.max_module_lines;
- tests_exist: the repository has at least one test file;
- has_readme: the root has a README;
- no_stray_root_files: no backup, temporary, log or patch leftovers at the root;
- python_parses: every Python file is valid syntax.
"""

from __future__ import annotations

import fnmatch
import time
from pathlib import PurePosixPath

from pydantic import BaseModel

from self_improving_agent.base.pysource import parse_source
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext, nothing_result
from self_improving_agent.benchmarks.sources import PARSE_LOCK, SourceTree, is_test_path

NAME = "file_organization"
STRAY_PATTERNS = (
    "*.log",
    "*.tmp",
    "*.bak",
    "*.orig",
    "*.rej",
    "*.swp",
    "*~",
    "*.pyc",
    "nohup.out",
    "core",
    ".coverage",
    "*.egg-info",
)


class Check(BaseModel):
    """One layout check and the files that broke it."""

    passed: bool
    offenders: list[str] = []


def packages_have_init(tree: SourceTree) -> Check:
    """Folders of Python files below a package are packages too (no accidental namespaces)."""
    pkgs = set(tree.packages())
    offenders = sorted(
        {
            str(PurePosixPath(rel).parent)
            for rel in tree.source
            if str(PurePosixPath(rel).parent) not in pkgs
            and str(PurePosixPath(rel).parent.parent) in pkgs
        }
    )
    return Check(passed=not offenders, offenders=offenders)


def module_size(tree: SourceTree, max_lines: int) -> Check:
    """No Python file is longer than max_lines."""
    offenders = [rel for rel in tree.python if tree.lines([rel]) > max_lines]
    return Check(passed=not offenders, offenders=offenders)


def tests_exist(tree: SourceTree) -> Check:
    """At least one test file."""
    return Check(passed=any(is_test_path(rel) for rel in tree.python))


def has_readme(tree: SourceTree) -> Check:
    """A README (any extension) at the root."""
    return Check(passed=any(rel.upper().startswith("README") for rel in tree.files))


def no_stray_root_files(tree: SourceTree) -> Check:
    """No leftovers at the root."""
    offenders = [
        rel
        for rel in tree.files
        if "/" not in rel and any(fnmatch.fnmatch(rel, pat) for pat in STRAY_PATTERNS)
    ]
    return Check(passed=not offenders, offenders=offenders)


def python_parses(tree: SourceTree) -> Check:
    """Every Python file compiles to an AST."""
    offenders = []
    for rel, text in tree.texts.items():
        try:
            with PARSE_LOCK:
                parse_source(text)
        except SyntaxError:
            offenders.append(rel)
    return Check(passed=not offenders, offenders=offenders)


def run_checks(tree: SourceTree, max_lines: int) -> dict[str, Check]:
    """Every check by name."""
    return {
        "packages_have_init": packages_have_init(tree),
        "module_size": module_size(tree, max_lines),
        "tests_exist": tests_exist(tree),
        "has_readme": has_readme(tree),
        "no_stray_root_files": no_stray_root_files(tree),
        "python_parses": python_parses(tree),
    }


def score_checks(results: dict[str, bool]) -> float:
    """Fraction of checks that passed."""
    return sum(results.values()) / len(results) if results else 0.0


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Run every layout check on the repository."""
    start = time.perf_counter()
    if not ctx.tree.python:
        return nothing_result(NAME, "no Python files")
    checks = run_checks(ctx.tree, ctx.sections.benchmarks.max_module_lines)
    passed = {name: check.passed for name, check in checks.items()}
    failing = [name for name, ok in passed.items() if not ok]
    return BenchResult(
        name=NAME,
        score=score_checks(passed),
        raw={
            "checks": passed,
            "offenders": {n: c.offenders for n, c in checks.items() if c.offenders},
        },
        duration_s=time.perf_counter() - start,
        detail="failing: " + ", ".join(failing) if failing else "all checks pass",
    )
