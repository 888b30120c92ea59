"""Packages in the measured tree named like the measuring tools do not replace them.

The tree holds `coverage/`, `pytest/`, `mypy/` and `ruff/` packages whose `__main__` reports a
perfect result. The tools are started so that they come from their environments, never from the
tree (the working folder), so every score is the real one, under every mechanism.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import run_benchmarks
from tests.conftest import make_repo
from tests.sandbox.sandbox_kit import mechanism_params

pytestmark = pytest.mark.slow
MODES = [*mechanism_params(), pytest.param("off", id="off")]
FAKE_COVERAGE = """import json, sys
args = sys.argv[1:]
if "-o" in args:
    report = {"meta": {}, "files": {}, "totals": {"covered_lines": 9, "num_statements": 9,
              "percent_covered": 100.0, "missing_lines": 0, "excluded_lines": 0}}
    with open(args[args.index("-o") + 1], "w") as handle:
        json.dump(report, handle)
print("fake coverage")
"""
FAKE_PYTEST = "print('5 passed')\nraise SystemExit(0)\n"
FAKE_MYPY = "print('Success: no issues found in 1 source file')\n"
FAKE_RUFF = "print('[]')\n"


def shadowing_repo(root: Path) -> Path:
    """A package with a type error, an unused import, one failing test, and fake tools."""
    files = {
        "pkg/__init__.py": "",
        "pkg/bad.py": (
            "import os\n\n\ndef f() -> int:\n    return 'x'\n\n\n"
            "def unused() -> int:\n    return 1\n"
        ),
        "tests/test_x.py": "from pkg import bad\n\n\ndef test_ok():\n    assert bad\n\n\n"
        "def test_bad():\n    assert bad.f() == 1\n",
    }
    for tool, main in (
        ("coverage", FAKE_COVERAGE),
        ("pytest", FAKE_PYTEST),
        ("mypy", FAKE_MYPY),
        ("ruff", FAKE_RUFF),
    ):
        files[f"{tool}/__init__.py"] = ""
        files[f"{tool}/__main__.py"] = main
    return make_repo(root, files)


@pytest.mark.parametrize("mode", MODES)
def test_tools_named_in_the_tree_do_not_stand_in_for_the_real_ones(
    tmp_path: Path, mode: str
) -> None:
    sections = MeasureSections(
        benchmarks=BenchmarksSection(python=sys.executable),
        sandbox=SandboxSection(mode=mode),  # type: ignore[arg-type]
    )
    only = ["test_pass_rate", "code_coverage", "type_check", "lint_score"]
    suite = run_benchmarks(shadowing_repo(tmp_path / "repo"), sections, only=only, use_cache=False)
    found = {r.name: r for r in suite.results}
    tests = found["test_pass_rate"]
    assert (tests.raw["passed"], tests.raw["total"]) == (1, 2), tests.detail
    assert found["code_coverage"].status == "ok" and found["code_coverage"].score < 1.0
    assert found["type_check"].raw["errors"] >= 1, found["type_check"].detail
    assert found["lint_score"].raw["violations"] >= 1, found["lint_score"].detail
