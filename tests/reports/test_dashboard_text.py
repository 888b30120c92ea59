"""The dashboard as terminal text."""

from __future__ import annotations

from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_text import render_dashboard
from tests.reports.test_report_files import sample_reports


def test_text_dashboard_content() -> None:
    """The text shows the rate, the sparkline, totals, reasons and each generation."""
    text = render_dashboard(summarize(sample_reports()), color=False)
    lines = text.splitlines()
    assert lines[0] == "Dashboard: 6 generation(s), 3 accepted, 2 rejected, 1 failed"
    assert "acceptance   50% (3 of 6)   █▅▃▃▄▅" in text
    assert "improvement  +0.057 total score per accepted generation" in text
    assert "total score  0.600 -> 0.720 (+0.120)" in text
    assert "cost         $0.0950 + unpriced in all" in text
    assert "time         2.2 min in all, 21.7 s per generation" in text
    bench = next(line for line in lines if line.startswith("  tests"))
    assert bench.split() == ["tests", "0.800", "1.000", "+0.200", "▁▅▅▅▅▅█", "+0.083"]
    assert lines.index("  2x  review score N below consensus N  (gen 2, 4)") < lines.index(
        "  1x  implement failed: anchor not found in src/a.py  (gen 3)"
    )
    gen5 = next(line for line in lines if line.startswith("    5"))
    assert gen5.split()[:5] == ["5", "accepted", "(dry", "run)", "0.650"]
    assert "\x1b[" not in text
    assert "\x1b[32m+0.057\x1b[0m" in render_dashboard(summarize(sample_reports()), color=True)
