"""code_complexity: radon CC and MI; score = (mi_avg / 100 + 10 / (9 + cc_avg)) / 2."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext, nothing_result
from self_improving_agent.benchmarks.findings import complexity_findings
from self_improving_agent.benchmarks.sources import PARSE_LOCK

NAME = "code_complexity"


class Complexity(BaseModel):
    """The raw figures of code_complexity."""

    cc_average: float
    cc_worst: int
    cc_worst_block: str
    blocks: int
    mi_average: float
    files: int
    unparsable: list[str]
    evidence: list[dict[str, Any]]


def measure_sources(texts: dict[str, str]) -> Complexity:
    """Average and worst cyclomatic complexity over all blocks, average MI over files."""
    from radon.complexity import cc_visit, sorted_results
    from radon.metrics import mi_visit

    complexities: list[int] = []
    worst_block = ""
    worst = 0
    indexes: list[float] = []
    unparsable: list[str] = []
    found: list[tuple[str, int, str, int]] = []
    for rel, text in texts.items():
        try:
            with PARSE_LOCK:
                blocks = sorted_results(cc_visit(text))
                indexes.append(float(mi_visit(text, multi=True)))
        except SyntaxError:
            unparsable.append(rel)
            continue
        for block in blocks:
            complexities.append(int(block.complexity))
            found.append((rel, int(block.lineno), str(block.fullname), int(block.complexity)))
            if block.complexity > worst:
                worst, worst_block = int(block.complexity), f"{rel}:{block.lineno} {block.name}"
    return Complexity(
        cc_average=round(sum(complexities) / len(complexities), 3) if complexities else 0.0,
        cc_worst=worst,
        cc_worst_block=worst_block,
        blocks=len(complexities),
        mi_average=round(sum(indexes) / len(indexes), 3) if indexes else 0.0,
        files=len(indexes),
        unparsable=unparsable,
        evidence=complexity_findings(found),
    )


def score_complexity(cc_average: float, mi_average: float) -> float:
    """Mean of MI/100 and 10/(9 + CC): 1.0 for trivial code, lower as CC rises or MI falls."""
    cc_part = 10.0 / (9.0 + max(cc_average, 1.0))
    mi_part = min(max(mi_average / 100.0, 0.0), 1.0)
    return (cc_part + mi_part) / 2.0


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Complexity of the non-test files, with radon's Python API in this process."""
    start = time.perf_counter()
    texts = {rel: ctx.tree.texts[rel] for rel in ctx.tree.source}
    if not texts:
        return nothing_result(NAME, "no non-test Python files to measure")
    raw = measure_sources(texts)
    return BenchResult(
        name=NAME,
        score=score_complexity(raw.cc_average, raw.mi_average),
        raw=raw.model_dump(),
        duration_s=time.perf_counter() - start,
        detail=f"average CC {raw.cc_average:.2f}, worst {raw.cc_worst},"
        f" average MI {raw.mi_average:.1f}",
    )
