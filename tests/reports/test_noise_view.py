"""Reports, PR bodies and dashboards show custom benchmarks, repeats with spread, p and stages."""

from __future__ import annotations

from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_html import render_html
from self_improving_agent.reports.dashboard_text import render_dashboard
from self_improving_agent.reports.noise_view import bench_note, spread
from self_improving_agent.reports.pr_body import render_pr_body
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport
from self_improving_agent.reports.report_view import render_report

NOISY = BenchDelta(
    before=0.5,
    after=0.49,
    delta=0.0,
    custom=True,
    before_samples=[0.55, 0.5, 0.48, 0.52, 0.49],
    after_samples=[0.47, 0.46, 0.58, 0.52, 0.49],
    p_value=0.345,
    counted=False,
)


def report(number: int, **benchmarks: BenchDelta) -> GenerationReport:
    """A rejected generation with the given benchmark deltas."""
    return GenerationReport(
        generation=number,
        status="rejected",
        started_at="2026-12-01T10:00:00+00:00",
        benchmarks=benchmarks,
        stage_rejection=(
            "stage 0: speed scored 0.100, below its threshold 0.300; stage(s) 1 not run"
        ),
    )


def test_a_note_says_custom_spread_p_and_why_a_benchmark_did_not_run() -> None:
    assert spread([0.3, 0.1, 0.2]) == "3x 0.100/0.200/0.300"
    assert bench_note(NOISY) == (
        "custom; before 5x 0.480/0.500/0.550, after 5x 0.460/0.490/0.580 (min/median/max);"
        " p=0.345 (noise, counted as 0)"
    )
    skipped = BenchDelta(before=1.0, after=None, delta=None, skipped=True)
    assert bench_note(skipped) == "not run: an earlier stage stopped the candidate"
    failed = BenchDelta(before=0.5, after=0.0, delta=-0.5, custom=True, detail="exit 2:\n  boom")
    assert bench_note(failed) == "custom; failed: exit 2: boom"
    assert bench_note(BenchDelta(before=0.5, after=0.6, delta=0.1)) == ""


def test_report_and_pr_body_carry_the_notes_and_the_stage() -> None:
    one = report(3, speed=NOISY, test_pass_rate=BenchDelta(before=1.0, after=None, delta=None))
    text = render_report(one, color=False)
    assert "speed: custom; before 5x 0.480/0.500/0.550" in text
    assert "p=0.345 (noise, counted as 0)" in text
    assert "stopped at stage 0: speed scored 0.100" in text
    body = render_pr_body(one, "reports/gen-3.json")
    assert "- speed: custom; before 5x" in body and "- stopped at stage 0" in body


def test_dashboards_mark_custom_benchmarks_and_the_latest_repeats() -> None:
    later = NOISY.model_copy(update={"p_value": 0.004, "counted": True, "delta": 0.2})
    data = summarize([report(1, speed=NOISY), report(2, speed=later)])
    assert data.custom == ["speed"]
    assert data.repeated == [f"speed (gen 2): {bench_note(later)}"]
    text = render_dashboard(data, color=False)
    assert "speed (custom)" in text
    assert "Repeated benchmarks (latest measurement)" in text and "p=0.004 (counted)" in text
    assert "p=0.004 (counted)" in render_html(data)
