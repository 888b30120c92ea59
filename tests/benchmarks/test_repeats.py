"""Repeats: the median run, interleaving order, the noise verdict and staged thresholds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from self_improving_agent.base.errors import ConfigError
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import parse_bench_config
from self_improving_agent.benchmarks.repeats import (
    compare,
    counted_after,
    interleave,
    repeat_alone,
    summarize,
)
from self_improving_agent.benchmarks.stages import below_threshold, stage_plan, stage_rejection


def ok(score: float, name: str = "speed") -> BenchResult:
    """A finished run with the given score."""
    return BenchResult(name=name, score=score, duration_s=1.0, custom=True)


def test_summarize_takes_the_median_and_keeps_every_sample() -> None:
    result = summarize([ok(0.3), ok(0.9), ok(0.5), ok(0.4)])
    assert (result.score, result.samples, result.duration_s) == (0.45, [0.3, 0.9, 0.5, 0.4], 4.0)
    failed = summarize([ok(0.3), BenchResult(name="speed", score=0, status="error", detail="x")])
    assert (failed.status, failed.detail) == ("error", "run 2 of 2: x")


def test_runs_alternate_so_that_drift_hits_both_trees() -> None:
    order: list[str] = []

    def run(tree: str) -> BenchResult:
        order.append(tree)
        return ok(len(order) / 10)

    before, after = interleave(lambda: run("b"), lambda: run("a"), 4)
    assert order == ["b", "a", "a", "b", "b", "a", "a", "b"]
    assert (len(before), len(after)) == (4, 4)
    scores: Iterator[float] = iter([0.1, 0.2])
    assert repeat_alone(lambda: ok(next(scores)), 2).samples == [0.1, 0.2]


def test_a_clear_change_counts_and_noise_counts_as_zero() -> None:
    low = [ok(s) for s in (0.40, 0.42, 0.41, 0.43, 0.39)]
    high = [ok(s) for s in (0.60, 0.62, 0.61, 0.63, 0.59)]
    better = compare("speed", low, high, 0.05)
    assert better.counted and better.p_value == pytest.approx(1 / 252)
    assert counted_after(better).score == pytest.approx(0.61)
    worse = compare("speed", high, low, 0.05)
    assert worse.counted and worse.p_value == pytest.approx(1 / 252)
    mixed = [ok(s) for s in (0.41, 0.40, 0.44, 0.38, 0.42)]
    noise = compare("speed", low, mixed, 0.05)
    assert not noise.counted and noise.p_value is not None and noise.p_value > 0.05
    assert counted_after(noise).score == noise.before.score
    broken = compare("speed", low, [*high[:4], ok(0).model_copy(update={"status": "error"})], 0.05)
    assert broken.after.status == "error" and broken.p_value is None


CONFIG = {
    "enabled": ["lint_score", "test_pass_rate"],
    "stages": {"test_pass_rate": 2},
    "thresholds": {"lint_score": 0.5},
    "custom": [
        {"name": "quick", "command": ["python", "q.py"], "score": {"exit_code": True}, "stage": 0},
        {"name": "speed", "command": ["python", "s.py"], "score": {"json": "s"}, "threshold": 0.3},
    ],
}


def test_stages_run_lowest_first_and_thresholds_stop_a_candidate() -> None:
    config = parse_bench_config(CONFIG, "benchmarks.json")
    assert stage_plan(config, config.names()) == [
        (0, ["quick"]),
        (1, ["lint_score", "speed"]),
        (2, ["test_pass_rate"]),
    ]
    failing = below_threshold(config, [ok(0.2), ok(0.4, "lint_score"), ok(0.0, "quick")])
    assert failing == [
        "speed scored 0.200, below its threshold 0.300",
        "lint_score scored 0.400, below its threshold 0.500",
    ]
    assert stage_rejection(1, failing[:1], [2]) == (
        "stage 1: speed scored 0.200, below its threshold 0.300; stage(s) 2 not run"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stages": {"lint": 1}}, "stages.lint: unknown benchmark"),
        ({"stages": {"lint_score": -1}}, "stages.lint_score = -1.0: must not be negative"),
        ({"thresholds": {"lint_score": 1.5}}, "thresholds.lint_score = 1.5: scores run from 0"),
    ],
)
def test_bad_stages_and_thresholds_are_one_sentence(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_bench_config({**CONFIG, **change}, "benchmarks.json")
