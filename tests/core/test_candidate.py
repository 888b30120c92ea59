"""Measuring a candidate: stages in order, a missed threshold stops it, repeats beside main."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import parse_bench_config
from self_improving_agent.benchmarks.repeats import Comparison, compare
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.candidate import bench_deltas, measure_candidate

CONFIG = parse_bench_config(
    {
        "enabled": ["lint_score"],
        "stages": {"lint_score": 2},
        "custom": [
            {
                "name": "speed",
                "command": ["python", "s.py"],
                "score": {"json": "s"},
                "threshold": 0.5,
                "repeat": 5,
            }
        ],
    },
    "benchmarks.json",
)
BEFORE = SuiteResult(
    total=0.5,
    results=[BenchResult(name="lint_score", score=0.5), BenchResult(name="speed", score=0.5)],
    cached=True,
    key="k",
)


class Recorder:
    """The measuring seams, recording what was asked of them."""

    def __init__(self, speeds: list[float]) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.speeds = speeds
        self.trees: list[Path] = []

    def measure(self, path: Path, only: Sequence[str] | None = None) -> SuiteResult:
        self.calls.append(("measure", *(only or ())))
        results = [BenchResult(name=n, score=0.5) for n in only or ()]
        return SuiteResult(total=0.5, results=results, cached=False, key="k2")

    def compare(self, before: Path, after: Path, names: Sequence[str]) -> dict[str, Comparison]:
        self.calls.append(("compare", before.name, *names))
        old = [BenchResult(name="speed", score=0.5 + i / 100) for i in range(5)]
        new = [BenchResult(name="speed", score=s) for s in self.speeds]
        return {"speed": compare("speed", old, new, 0.05)}

    @contextmanager
    def main_tree(self) -> Iterator[Path]:
        self.calls.append(("checkout",))
        yield Path("/main-tree")
        self.calls.append(("removed",))


def test_a_candidate_below_a_stage_threshold_never_reaches_the_later_stages() -> None:
    seams = Recorder([0.1, 0.2, 0.15, 0.12, 0.11])
    found = measure_candidate(
        Path("/cand"), BEFORE, CONFIG, seams.measure, seams.compare, seams.main_tree
    )
    assert seams.calls == [("checkout",), ("compare", "main-tree", "speed"), ("removed",)]
    assert found.rejection == (
        "stage 1: speed scored 0.120, below its threshold 0.500; stage(s) 2 not run"
    )
    assert found.skipped == ["lint_score"]
    deltas = bench_deltas(found)
    assert deltas["lint_score"].skipped and deltas["lint_score"].after is None
    assert deltas["speed"].after_samples == [0.1, 0.2, 0.15, 0.12, 0.11]


def test_a_clear_gain_counts_and_noise_does_not() -> None:
    seams = Recorder([0.9, 0.91, 0.92, 0.93, 0.94])
    gain = measure_candidate(
        Path("/cand"), BEFORE, CONFIG, seams.measure, seams.compare, seams.main_tree
    )
    assert seams.calls[-2:] == [("measure", "lint_score"), ("removed",)]
    assert gain.rejection is None and gain.comparisons["speed"].counted
    # speed's before is re-measured beside the candidate: median 0.52 -> 0.92, weights 1 and 1.
    assert gain.counted_delta == pytest.approx(0.2)
    assert gain.noise() == []
    noisy = measure_candidate(
        Path("/cand"),
        BEFORE,
        CONFIG,
        Recorder([0.505, 0.535, 0.515, 0.525, 0.545]).measure,
        Recorder([0.505, 0.535, 0.515, 0.525, 0.545]).compare,
        Recorder([]).main_tree,
    )
    assert noisy.counted_delta == 0.0
    assert noisy.noise()[0].startswith("speed moved +0.0050 within the noise (p=0.")
    assert bench_deltas(noisy)["speed"].delta == 0.0
