"""Flaky tests across generation reports, for the dashboards."""

from __future__ import annotations

from collections.abc import Sequence

from self_improving_agent.reports.report_model import GenerationReport


def flaky_tests(reports: Sequence[GenerationReport]) -> list[tuple[str, list[int]]]:
    """Each test reruns found flaky and the generations that left it out, most often first."""
    seen: dict[str, list[int]] = {}
    for r in reports:
        for f in r.tests_check.flaky if r.tests_check else []:
            seen.setdefault(f.test_id, []).append(r.generation)
    return sorted(seen.items(), key=lambda item: (-len(item[1]), item[0]))
