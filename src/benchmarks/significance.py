"""One-sided Mann-Whitney U: is one sample of scores stochastically greater than another?"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Up to this many values per side the exact distribution of U is counted, beyond it z is used.
EXACT_MAX = 25


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def u_statistic(xs: Sequence[float], ys: Sequence[float]) -> float:
    """U of ys over xs: pairs (x, y) with y > x, ties counting one half."""
    ranks = _ranks([*xs, *ys])
    n = len(ys)
    return sum(ranks[len(xs) :]) - n * (n + 1) / 2


def _exact_upper(u: float, m: int, n: int) -> float:
    """P(U >= u) under the null, no ties: counts of rank arrangements by U (a classic recursion)."""
    # counts[j][k] = ways to choose j of the first i ranks for ys with U contribution k.
    counts = [[0] * (m * n + 1) for _ in range(n + 1)]
    counts[0][0] = 1
    for i in range(1, m + n + 1):
        for j in range(min(i, n), 0, -1):
            xs_below = i - j
            row, prev = counts[j], counts[j - 1]
            for k in range(m * n, xs_below - 1, -1):
                row[k] += prev[k - xs_below]
    total = math.comb(m + n, n)
    need = math.ceil(u - 1e-9)
    return sum(counts[n][need:]) / total


def _normal_upper(u: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """P(U >= u) by the normal approximation with tie and continuity corrections."""
    m, n = len(xs), len(ys)
    size = m + n
    tied = _tie_counts([*xs, *ys])
    variance = m * n / 12 * ((size + 1) - sum(t**3 - t for t in tied) / (size * (size - 1)))
    if variance <= 0:
        return 1.0
    z = (u - m * n / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _tie_counts(values: Sequence[float]) -> list[int]:
    """How many values share each distinct value that occurs more than once."""
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return [c for c in counts.values() if c > 1]


def p_greater(xs: Sequence[float], ys: Sequence[float]) -> float:
    """One-sided p-value that ys tend to be greater than xs (exact when small and untied)."""
    m, n = len(xs), len(ys)
    if m == 0 or n == 0:
        return 1.0
    u = u_statistic(xs, ys)
    if max(m, n) <= EXACT_MAX and not _tie_counts([*xs, *ys]):
        return _exact_upper(u, m, n)
    return _normal_upper(u, xs, ys)


def p_less(xs: Sequence[float], ys: Sequence[float]) -> float:
    """One-sided p-value that ys tend to be less than xs."""
    return p_greater(ys, xs)
