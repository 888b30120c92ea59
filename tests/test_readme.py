"""The README is short, names the two commands and the tour, and leads into the manual."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from self_improving_agent.benchmarks.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MEASUREMENT = (ROOT / "docs" / "concepts" / "measurement.md").read_text(encoding="utf-8")


def test_the_readme_is_at_most_250_lines() -> None:
    assert len(README.splitlines()) <= 250


def test_quick_start_names_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quick_start
    assert "make test" in quick_start


def test_the_tour_measures_dry_runs_loops_and_reports() -> None:
    tour = README.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    for command in ("agent bench", "agent run --repo PATH --dry-run", "agent loop", "agent report"):
        assert command in tour, command


def test_every_picture_the_readme_shows_is_committed() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert pictures
    assert [p for p in pictures if not (ROOT / p).is_file()] == []


def test_every_old_readme_heading_has_a_place_in_the_manual() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/readme_map.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n| ") >= 44


def test_the_benchmark_table_lists_the_registry_in_order() -> None:
    rows = [line for line in MEASUREMENT.splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows if row.split("`")[1] in REGISTRY]
    assert names == list(REGISTRY)
