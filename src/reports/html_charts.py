"""The dashboard's SVG charts: score line, benchmark lines, acceptance bands and bars."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from self_improving_agent.reports.dashboard import DashboardData, GenerationPoint
from self_improving_agent.reports.report_view import fmt_score

ACCEPTED = "#2e7d32"
REJECTED = "#c62828"
NEUTRAL = "#9e9e9e"
LINE = "#1565c0"
PALETTE = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e")
WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 14, 30


def _x_positions(count: int, bands: bool = False) -> list[float]:
    """Evenly spaced x coordinates: edge to edge for lines, band centres for bars."""
    inner = WIDTH - LEFT - RIGHT
    if bands or count == 1:
        return [LEFT + inner * (i + 0.5) / count for i in range(count)]
    return [LEFT + inner * i / (count - 1) for i in range(count)]


def _y(value: float, lo: float, hi: float) -> float:
    """The y coordinate of value on a lo..hi axis."""
    inner = HEIGHT - TOP - BOTTOM
    span = hi - lo or 1.0
    return TOP + inner * (1 - (value - lo) / span)


def _frame(
    labels: Sequence[str],
    lo: float,
    hi: float,
    fmt: Callable[[float], str],
    bands: bool = False,
) -> str:
    """Horizontal grid lines with y labels, and generation numbers along x."""
    parts = []
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        y = _y(value, lo, hi)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#eaeef2"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>'
        )
    step = max(1, -(-len(labels) // 12))
    for i, (x, gen) in enumerate(zip(_x_positions(len(labels), bands), labels, strict=True)):
        if i % step == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">{gen}</text>')
    return "".join(parts)


def _svg(title: str, body: str) -> str:
    """An accessible SVG element of the standard chart size."""
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _path(xs: Sequence[float], values: Sequence[float | None], lo: float, hi: float) -> str:
    """An SVG path through the known values, broken where a value is missing."""
    commands, pen_down = [], False
    for x, v in zip(xs, values, strict=True):
        if v is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{x:.1f},{_y(v, lo, hi):.1f}")
        pen_down = True
    return " ".join(commands)


def _score_range(series: Sequence[Sequence[float | None]]) -> tuple[float, float]:
    """A padded y range around the measured values, kept inside 0..1."""
    known = [v for values in series for v in values if v is not None]
    if not known:
        return 0.0, 1.0
    lo, hi = min(known), max(known)
    pad = max((hi - lo) * 0.15, 0.02)
    return max(0.0, lo - pad), min(1.0, hi + pad)


def outcome_color(point: GenerationPoint) -> str:
    """Green for accepted, red for rejected or failed, grey otherwise."""
    if point.accepted:
        return ACCEPTED
    return REJECTED if point.status in ("rejected", "failed", "interrupted") else NEUTRAL


def _gen_labels(data: DashboardData, with_start: bool) -> list[str]:
    """Generation numbers for the x axis, after 'start' for series that begin at the baseline."""
    return (["start"] if with_start else []) + [str(p.generation) for p in data.generations]


def score_chart(data: DashboardData) -> str:
    """The weighted total on main at the start and after each generation, dots by outcome."""
    labels = _gen_labels(data, with_start=True)
    totals = [data.start_total, *(p.total for p in data.generations)]
    colors = [NEUTRAL, *(outcome_color(p) for p in data.generations)]
    lo, hi = _score_range([totals])
    xs = _x_positions(len(labels))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{_y(v, lo, hi):.1f}" r="4.5" fill="{c}" stroke="#fff" '
        f'stroke-width="1.5"><title>{escape(label)}: {fmt_score(v)}</title></circle>'
        for x, v, c, label in zip(xs, totals, colors, labels, strict=True)
        if v is not None
    )
    body = (
        _frame(labels, lo, hi, lambda v: f"{v:.2f}")
        + f'<path d="{_path(xs, totals, lo, hi)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>'
        + dots
    )
    return _svg("Total score at the start and after each generation", body)


def benchmark_chart(data: DashboardData) -> str:
    """Each benchmark's value on main at the start and after each generation."""
    labels = _gen_labels(data, with_start=True)
    series = [[b.start, *b.values] for b in data.benchmarks]
    lo, hi = _score_range(series)
    xs = _x_positions(len(labels))
    lines = "".join(
        f'<path d="{_path(xs, values, lo, hi)}" fill="none" '
        f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2"><title>{escape(b.name)}</title>'
        "</path>"
        for i, (b, values) in enumerate(zip(data.benchmarks, series, strict=True))
    )
    return _svg(
        "Benchmark scores after each generation",
        _frame(labels, lo, hi, lambda v: f"{v:.2f}") + lines,
    )


def acceptance_chart(data: DashboardData) -> str:
    """Outcome bars per generation under the cumulative acceptance rate (0-100%)."""
    gens = _gen_labels(data, with_start=False)
    xs = _x_positions(len(gens), bands=True)
    bar = max(3.0, min(26.0, (WIDTH - LEFT - RIGHT) / max(len(gens), 1) * 0.6))
    bars = "".join(
        f'<rect x="{x - bar / 2:.1f}" y="{_y(0.12, 0, 1):.1f}" width="{bar:.1f}" '
        f'height="{_y(0, 0, 1) - _y(0.12, 0, 1):.1f}" rx="2" fill="{outcome_color(p)}">'
        f"<title>gen {p.generation}: {escape(p.status)}</title></rect>"
        for x, p in zip(xs, data.generations, strict=True)
    )
    rates = [p.acceptance_rate for p in data.generations]
    line = (
        f'<path d="{_path(xs, rates, 0, 1)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>'
        + "".join(
            f'<circle cx="{x:.1f}" cy="{_y(r, 0, 1):.1f}" r="3" fill="{LINE}"/>'
            for x, r in zip(xs, rates, strict=True)
            if r is not None
        )
    )
    return _svg(
        "Cumulative acceptance rate and outcome per generation",
        _frame(gens, 0, 1, lambda v: f"{v:.0%}", bands=True) + bars + line,
    )


def bar_chart(
    title: str, data: DashboardData, values: Sequence[float | None], fmt: Callable[[float], str]
) -> str:
    """One bar per generation, coloured by outcome, on a 0..max axis."""
    gens = _gen_labels(data, with_start=False)
    hi = max([v for v in values if v is not None] + [0.0]) * 1.1 or 1.0
    xs = _x_positions(len(gens), bands=True)
    bar = max(3.0, min(34.0, (WIDTH - LEFT - RIGHT) / max(len(gens), 1) * 0.6))
    bars = "".join(
        f'<rect x="{x - bar / 2:.1f}" y="{_y(v, 0, hi):.1f}" width="{bar:.1f}" '
        f'height="{_y(0, 0, hi) - _y(v, 0, hi):.1f}" rx="2" fill="{outcome_color(p)}">'
        f"<title>gen {p.generation}: {escape(fmt(v))}</title></rect>"
        for x, v, p in zip(xs, values, data.generations, strict=True)
        if v is not None
    )
    return _svg(title, _frame(gens, 0, hi, fmt, bands=True) + bars)
