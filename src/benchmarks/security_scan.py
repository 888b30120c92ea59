"""security_scan: the code scan over non-test files; score = 1 / (1 + findings_per_kloc)."""

from __future__ import annotations

import time
from collections import Counter

from self_improving_agent.analysis.code_scan import scan_source
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext, nothing_result
from self_improving_agent.benchmarks.sources import PARSE_LOCK

NAME = "security_scan"


def scan_files(texts: dict[str, str]) -> list[dict[str, object]]:
    """Every finding of every file as {rule, path, line, col, message}, in file order."""
    return [
        {"rule": f.rule, "path": rel, "line": f.line, "col": f.col, "message": f.message}
        for rel, text in texts.items()
        for f in scan_source(text, rel)
    ]


def score_security(findings: int, lines: int) -> float:
    """1 / (1 + findings per thousand lines): one finding per KLOC halves the score."""
    return 1.0 / (1.0 + findings / max(lines, 1) * 1000)


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Scan the non-test files for dangerous patterns."""
    start = time.perf_counter()
    files = ctx.tree.source
    if not files:
        return nothing_result(NAME, "no non-test Python files to scan")
    with PARSE_LOCK:
        findings = scan_files({rel: ctx.tree.texts[rel] for rel in files})
    by_rule = dict(Counter(str(f["rule"]) for f in findings).most_common())
    return BenchResult(
        name=NAME,
        score=score_security(len(findings), ctx.tree.lines(files)),
        raw={"findings": len(findings), "by_rule": by_rule, "locations": findings},
        duration_s=time.perf_counter() - start,
        detail=f"{len(findings)} findings" + (f" ({', '.join(by_rule)})" if by_rule else ""),
    )
