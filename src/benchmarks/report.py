"""How `agent bench` shows a suite: the table, the JSON object and the progress lines."""

from __future__ import annotations

import statistics
from typing import Any

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.runner import SuiteResult

# The one raw figure worth a column, per benchmark.
_KEY_FIGURES = {
    "test_pass_rate": lambda r: f"{r['passed']}/{r['total'] - r['skipped']} passed",
    "code_coverage": lambda r: f"{r['percent']:.1f}% lines",
    "type_check": lambda r: f"{r['errors']} errors",
    "lint_score": lambda r: f"{r['violations']} violations",
    "code_complexity": lambda r: f"CC {r['cc_average']:.2f} MI {r['mi_average']:.0f}",
    "doc_coverage": lambda r: f"{r['documented']}/{r['total']} documented",
    "file_organization": lambda r: f"{sum(r['checks'].values())}/{len(r['checks'])} checks",
    "import_check": lambda r: f"{r['importable']}/{r['total']} import",
    "security_scan": lambda r: f"{r['findings']} findings",
}


def spread(samples: list[float]) -> str:
    """min/median/max of repeated scores, for a column."""
    if not samples:
        return ""
    return f"{min(samples):.3f}/{statistics.median(samples):.3f}/{max(samples):.3f}"


def key_figure(result: BenchResult) -> str:
    """The headline raw figure of a result, or its detail when it has none."""
    if result.custom and result.status == "ok":
        number = result.raw.get("value")
        value = f"{number:.4g}" if isinstance(number, int | float) else "?"
        return (
            f"{value}, {len(result.samples)}x {spread(result.samples)}" if result.samples else value
        )
    figure = _KEY_FIGURES.get(result.name)
    try:
        return str(figure(result.raw)) if figure else result.detail
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return result.detail[:40]


def render_table(suite: SuiteResult) -> str:
    """Name, score, key figure, time and status per benchmark, then the total."""
    header = f"{'benchmark':<18} {'score':>6}  {'key figure':<34} {'time':>7}  status"
    lines = [header, "-" * len(header)]
    for r in suite.results:
        # A reason is a whole sentence: it goes below the table, never cut to fit a column.
        figure = key_figure(r)[:34] if r.status == "ok" else "(see below)"
        lines.append(
            f"{r.name:<18} {r.score:>6.3f}  {figure:<34} {r.duration_s:>6.1f}s  {r.status}"
        )
    lines.append("-" * len(header))
    source = " (cached)" if suite.cached else ""
    lines.append(f"{'total':<18} {suite.total:>6.3f}{source}")
    for r in suite.results:
        if r.status != "ok":
            lines.append(f"{r.name} {r.status}: {r.detail}")
    return "\n".join(lines)


def has_errors(suite: SuiteResult) -> bool:
    """Whether any benchmark could not measure the tree: `agent bench` then exits non-zero."""
    return any(r.status in ("error", "timeout") for r in suite.results)


def suite_json(suite: SuiteResult) -> dict[str, Any]:
    """Exactly the object `agent bench --json` prints."""
    return {
        "total": suite.total,
        "benchmarks": [
            {
                "name": r.name,
                "score": r.score,
                "status": r.status,
                "duration_s": r.duration_s,
                "raw": r.raw,
                "detail": r.detail,
                "sandbox": r.sandbox,
                "custom": r.custom,
                "samples": r.samples,
            }
            for r in suite.results
        ],
        "cached": suite.cached,
        "sandbox": suite.sandbox.model_dump() if suite.sandbox else None,
    }


def progress_line(name: str, result: BenchResult | None) -> str:
    """One live progress line: a benchmark started or finished."""
    if result is None:
        return f"  {name}: running"
    return f"  {name}: {result.status} {result.score:.3f} in {result.duration_s:.1f}s"
