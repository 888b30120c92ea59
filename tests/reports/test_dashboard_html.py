"""The HTML dashboard: self-contained, charts drawn inline, every text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_html import render_html
from tests.reports.test_report_files import make_report, sample_reports


class _Collector(HTMLParser):
    """Collects tags with their attributes and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Collector:
    """Parse a page into tags and text."""
    collector = _Collector()
    collector.feed(page)
    return collector


def test_page_is_self_contained() -> None:
    """No scripts, no links, nothing fetched; only inline CSS and SVG."""
    page = render_html(summarize(sample_reports()))
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for banned in ("http://", "https://", "<script", "<link", "@import", "url(", "<img"):
        assert banned not in lowered
    tags = {tag for tag, _ in parse(page).tags}
    assert {"style", "svg", "path", "circle", "rect", "table"} <= tags


def test_charts_are_present_and_titled() -> None:
    """Score trend, acceptance, benchmarks, cost and time each get an SVG chart."""
    page = render_html(summarize(sample_reports()))
    labels = [a.get("aria-label") for tag, a in parse(page).tags if tag == "svg"]
    assert labels == [
        "Total score at the start and after each generation",
        "Cumulative acceptance rate and outcome per generation",
        "Benchmark scores after each generation",
        "Cost per generation",
        "Time per generation",
    ]


def test_score_chart_plots_every_measured_level() -> None:
    """One dot for the start and one per generation, in generation order."""
    page = render_html(summarize(sample_reports()))
    score_svg = page.split("<svg", 2)[1]
    dots = re.findall(r"<title>([^<]*)</title></circle>", score_svg)
    assert dots == [
        "start: 0.600",
        "1: 0.650",
        "2: 0.650",
        "3: 0.650",
        "4: 0.650",
        "5: 0.650",
        "6: 0.720",
    ]


def test_acceptance_chart_colours_each_outcome() -> None:
    """Green bars for accepted, red for rejected or failed."""
    page = render_html(summarize(sample_reports()))
    acceptance_svg = page.split("<svg", 3)[2]
    bars = re.findall(r'fill="(#[0-9a-f]{6})"><title>gen (\d+): (\w+)', acceptance_svg)
    assert [(gen, status) for _, gen, status in bars] == [
        ("1", "accepted"),
        ("2", "rejected"),
        ("3", "failed"),
        ("4", "rejected"),
        ("5", "accepted"),
        ("6", "accepted"),
    ]
    assert {fill for fill, _, status in bars if status == "accepted"} == {"#2e7d32"}
    assert {fill for fill, _, status in bars if status != "accepted"} == {"#c62828"}


def test_headline_figures_and_tables() -> None:
    """The same figures as the text dashboard appear in the page."""
    text = " ".join(parse(render_html(summarize(sample_reports()))).text)
    for expected in (
        "50%",
        "3 of 6 finished generations",
        "+0.057",
        "0.600 → 0.720",
        "$0.0950",
        "priced calls only; some were unpriced",
        "2.2 min",
        "review score N below consensus N",
        "implement failed: anchor not found in src/a.py",
        "accepted · dry run",
        "review score 0.52 below consensus 0.60",
    ):
        assert expected in text


def test_malicious_text_is_escaped() -> None:
    """A plan title, benchmark name and reason full of markup stay text."""
    evil = '</title><script>alert("x")</script><img src=x onerror=alert(1)>'
    report = make_report(
        1,
        "rejected",
        title=evil,
        benchmarks={evil: (0.5, 0.4)},
        reasons=[evil],
    )
    page = render_html(summarize([report]))
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page
    assert evil in " ".join(parse(page).text)


def test_empty_page() -> None:
    """No reports still gives a valid page that says so."""
    page = render_html(summarize([]))
    assert "No generation reports yet." in page
    assert "<svg" not in page
