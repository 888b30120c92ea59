"""The hand-written one-sided Mann-Whitney U against known values and a brute-force count."""

from __future__ import annotations

import itertools
import random

import pytest

from self_improving_agent.benchmarks.significance import (
    _normal_upper,
    p_greater,
    p_less,
    u_statistic,
)

# SciPy's documented example (mannwhitneyu docs): U = 17, two-sided p = 0.1111 exact and
# 0.11134688653314041 asymptotic; the one-sided p-values are half of those.
MALES = [19, 22, 16, 29, 24]
FEMALES = [20, 11, 17, 12]


def brute_force(xs: list[float], ys: list[float]) -> float:
    """P(U >= observed) by enumerating every split of the pooled values."""
    pooled, observed = [*xs, *ys], u_statistic(xs, ys)
    splits = list(itertools.combinations(range(len(pooled)), len(ys)))
    hits = 0
    for chosen in splits:
        picked = [pooled[i] for i in chosen]
        rest = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += u_statistic(rest, picked) >= observed - 1e-9
    return hits / len(splits)


def test_known_values() -> None:
    assert u_statistic(FEMALES, MALES) == 17
    assert p_greater(FEMALES, MALES) == pytest.approx(0.1111111111111111 / 2)
    assert p_greater([1, 2, 3], [4, 5, 6]) == pytest.approx(1 / 20)
    assert p_greater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(1 / 252)
    assert p_less([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(1.0)
    assert p_greater([], [1.0]) == 1.0


def test_normal_approximation_matches_scipy_and_handles_ties() -> None:
    assert _normal_upper(17, FEMALES, MALES) == pytest.approx(0.11134688653314041 / 2)
    # A tie (17 twice) forces the approximation: U = 21, variance 25/12 * (11 - 6/90) = 22.78,
    # z = (21 - 12.5 - 0.5) / 4.7726 = 1.676.
    assert p_greater([*FEMALES, 17], MALES) == pytest.approx(0.04685, abs=1e-4)
    many_x = [float(v) for v in range(30)]
    many_y = [v + 0.5 for v in many_x]
    # Beyond the exact count: U = 465, z = (465 - 450 - 0.5) / sqrt(900 * 61 / 12) = 0.2144.
    assert p_greater(many_x, many_y) == pytest.approx(0.41513, abs=1e-4)


def test_exact_p_values_match_a_brute_force_count() -> None:
    rng = random.Random(7)
    for _ in range(25):
        xs = [rng.random() for _ in range(rng.randint(1, 6))]
        ys = [rng.random() + 0.2 for _ in range(rng.randint(1, 6))]
        assert p_greater(xs, ys) == pytest.approx(brute_force(xs, ys), abs=1e-12)
