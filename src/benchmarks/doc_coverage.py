"""doc_coverage: public modules, classes, functions with a docstring; score = documented/total."""

from __future__ import annotations

import ast
import time
from pathlib import PurePosixPath

from self_improving_agent.base.pysource import parse_source
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext, nothing_result
from self_improving_agent.benchmarks.sources import PARSE_LOCK

NAME = "doc_coverage"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def is_public_module(rel: str) -> bool:
    """A module is public when no part of its path starts with an underscore (__init__ aside)."""
    parts = PurePosixPath(rel).with_suffix("").parts
    return not any(p.startswith("_") and p != "__init__" for p in parts)


def public_defs(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """Top-level functions and classes and the methods of public classes, without underscores."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
    for node in tree.body:
        if isinstance(node, _DEFS) and not node.name.startswith("_"):
            found.append(node)
            if isinstance(node, ast.ClassDef):
                found.extend(
                    child
                    for child in node.body
                    if isinstance(child, _DEFS) and not child.name.startswith("_")
                )
    return found


def undocumented(rel: str, text: str) -> tuple[int, list[str]]:
    """(public objects, names of the undocumented ones) of one file; unparsable files count 0."""
    try:
        with PARSE_LOCK:
            tree = parse_source(text)
    except SyntaxError:
        return 0, []
    total, missing = 0, []
    if is_public_module(rel):
        total += 1
        if ast.get_docstring(tree) is None:
            missing.append(rel)
    for node in public_defs(tree):
        total += 1
        if ast.get_docstring(node) is None:
            missing.append(f"{rel}:{node.lineno} {node.name}")
    return total, missing


def score_docs(documented: int, total: int) -> float:
    """documented / total; 1.0 when there is nothing public to document."""
    return documented / total if total else 1.0


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Docstring coverage of the non-test files."""
    start = time.perf_counter()
    files = ctx.tree.source
    if not files:
        return nothing_result(NAME, "no non-test Python files to inspect")
    total, missing = 0, []
    for rel in files:
        count, names = undocumented(rel, ctx.tree.texts[rel])
        total += count
        missing.extend(names)
    documented = total - len(missing)
    return BenchResult(
        name=NAME,
        score=score_docs(documented, total),
        raw={"documented": documented, "total": total, "undocumented": missing},
        duration_s=time.perf_counter() - start,
        detail=f"{documented} of {total} public objects documented",
    )
