"""Every benchmark by name, in default order: the module that measures it and how it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from self_improving_agent.benchmarks import (
    code_complexity,
    code_coverage,
    doc_coverage,
    file_organization,
    import_check,
    lint_score,
    pass_rate,
    security_scan,
    type_check,
)
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext
from self_improving_agent.benchmarks.pytest_run import PytestRun


class Benchmark(NamedTuple):
    """One benchmark: its own run, or a reading of the one pytest run it shares."""

    name: str
    module: str
    run: Callable[[BenchContext, float], BenchResult] | None = None
    measure: Callable[[PytestRun], BenchResult] | None = None


REGISTRY: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(pass_rate.NAME, pass_rate.__name__, measure=pass_rate.measure),
        Benchmark(code_coverage.NAME, code_coverage.__name__, measure=code_coverage.measure),
        Benchmark(type_check.NAME, type_check.__name__, run=type_check.run),
        Benchmark(lint_score.NAME, lint_score.__name__, run=lint_score.run),
        Benchmark(code_complexity.NAME, code_complexity.__name__, run=code_complexity.run),
        Benchmark(doc_coverage.NAME, doc_coverage.__name__, run=doc_coverage.run),
        Benchmark(file_organization.NAME, file_organization.__name__, run=file_organization.run),
        Benchmark(import_check.NAME, import_check.__name__, run=import_check.run),
        Benchmark(security_scan.NAME, security_scan.__name__, run=security_scan.run),
    )
}
BENCHMARK_NAMES = tuple(REGISTRY)
PYTEST_GROUP = tuple(name for name, b in REGISTRY.items() if b.measure is not None)
