"""code_complexity: the score and agreement with the radon command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from self_improving_agent.benchmarks import code_complexity
from self_improving_agent.benchmarks.code_complexity import measure_sources, score_complexity
from tests.benchmarks.conftest import context

BRANCHY = (
    "def f(x):\n    if x:\n        return 1\n    elif x > 2:\n        return 2\n    return 3\n"
)


def test_score_is_monotonic_in_cc_and_mi() -> None:
    assert score_complexity(1.0, 100.0) == 1.0
    assert score_complexity(2.0, 80.0) < score_complexity(1.0, 80.0)
    assert score_complexity(2.0, 70.0) < score_complexity(2.0, 80.0)


def test_measure_reports_worst_block_and_unparsable_files() -> None:
    raw = measure_sources({"a.py": BRANCHY, "b.py": "def (:\n"})
    assert (raw.cc_worst, raw.blocks, raw.unparsable) == (3, 1, ["b.py"])
    assert raw.cc_worst_block == "a.py:1 f"


def test_agrees_with_radon_run_by_hand(sample: Path, tmp_path: Path) -> None:
    result = code_complexity.run(context(sample, tmp_path / "scratch"), 60)
    files = ["pkg/__init__.py", "pkg/broken.py", "pkg/calc.py"]
    cc = subprocess.run(
        [sys.executable, "-m", "radon", "cc", "-a", "-s", *files],
        cwd=sample,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Average complexity: \w \(([\d.]+)\)", cc)
    assert found is not None
    average = float(found.group(1))
    mi = json.loads(
        subprocess.run(
            [sys.executable, "-m", "radon", "mi", "-j", *files],
            cwd=sample,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    mi_average = sum(entry["mi"] for entry in mi.values()) / len(mi)
    assert result.raw["cc_average"] == pytest.approx(average, abs=0.01)
    assert result.raw["mi_average"] == pytest.approx(mi_average, abs=0.01)
