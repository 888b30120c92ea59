"""code_coverage: the project's own coverage settings, and agreement with coverage.py by hand."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from self_improving_agent.benchmarks import code_coverage
from self_improving_agent.benchmarks.code_coverage import covered_text, score_coverage, summarize
from self_improving_agent.benchmarks.pytest_run import run_pytest
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

MOD = '"""M."""\n\n\ndef one():\n    return 1\n\n\ndef two():\n    return 2\n'
TEST = "from pkg.mod import one\n\n\ndef test_one():\n    assert one() == 1\n"


def _report(covered: int, statements: int, **branches: int) -> dict[str, object]:
    """A coverage JSON report whose totals are these."""
    totals = {"covered_lines": covered, "num_statements": statements, **branches}
    return {"totals": totals, "files": {"pkg/a.py": {"summary": totals}}}


def test_summarize_reads_the_totals_coverage_report_prints() -> None:
    assert summarize(_report(3, 8)) == {
        "percent": 37.5,
        "covered": 3,
        "statements": 8,
        "branches": 0,
        "covered_branches": 0,
        "files": 1,
        "evidence": [],
    }
    # With branch = true, `coverage report` counts branches too.
    branchy = summarize(_report(3, 8, covered_branches=1, num_branches=2))
    assert branchy["percent"] == 40.0
    # The sentence names what the percent counts: 4 of 10 is 40%.
    assert covered_text(branchy) == "3 of 8 lines and 1 of 2 branches"
    assert covered_text(summarize(_report(3, 8))) == "3 of 8 lines"


def test_summarize_rejects_an_unexpected_shape() -> None:
    with pytest.raises(ValueError):
        summarize({"files": {"a.py": {"summary": {}}}})


def test_score_is_percent_over_100_and_monotonic() -> None:
    assert score_coverage(37.5) == 0.375
    assert score_coverage(120) == 1.0
    assert score_coverage(10) < score_coverage(11)


def by_hand(repo: Path, tmp_path: Path) -> dict[str, float]:
    """Totals of `coverage run -m pytest; coverage json` run in a copy of repo, as a user would."""
    copy = tmp_path / "by-hand"
    shutil.copytree(repo, copy)
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    run = [sys.executable, "-m", "coverage"]
    subprocess.run([*run, "run", "-m", "pytest", "-p", "no:cacheprovider"], cwd=copy, env=env)
    subprocess.run([*run, "json", "-o", "by_hand.json"], cwd=copy, env=env, check=True)
    totals: dict[str, float] = json.loads((copy / "by_hand.json").read_text())["totals"]
    return totals


def agent(repo: Path, tmp_path: Path) -> code_coverage.BenchResult:
    """What the code_coverage benchmark says about repo."""
    return code_coverage.measure(run_pytest(context(repo, tmp_path / "scratch"), 120))


def test_agrees_with_coverage_run_by_hand(sample: Path, tmp_path: Path) -> None:
    (sample / ".coveragerc").write_text("[run]\nsource = pkg\n", encoding="utf-8")
    try:
        totals = by_hand(sample, tmp_path)
    finally:
        (sample / ".coveragerc").unlink()
    measured = agent(sample, tmp_path)
    assert measured.raw["covered"] == totals["covered_lines"]
    assert measured.raw["statements"] == totals["num_statements"]
    assert measured.score == pytest.approx(totals["percent_covered"] / 100, abs=1e-4)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "pyproject.toml",
            '[tool.coverage.run]\nsource = ["pkg"]\nomit = ["*/pkg/unused.py"]\nbranch = true\n'
            '[tool.coverage.report]\nexclude_also = ["def two"]\n',
        ),
        ("setup.cfg", "[coverage:run]\nsource = pkg\nomit =\n    */pkg/unused.py\nbranch = True\n"),
        ("tox.ini", "[coverage:run]\nsource = pkg\nomit = */pkg/unused.py\n"),
        (".coveragerc", "[run]\nsource = pkg\nomit = */pkg/unused.py\n"),
    ],
)
def test_the_projects_source_and_omit_are_used(name: str, text: str, tmp_path: Path) -> None:
    files = {
        name: text,
        "pkg/__init__.py": "",
        "pkg/mod.py": MOD,
        "pkg/unused.py": "X = 1\nY = 2\n",
        "tests/test_mod.py": TEST,
    }
    repo = make_repo(tmp_path / "repo", files)
    totals = by_hand(repo, tmp_path)
    measured = agent(repo, tmp_path)
    assert measured.raw["config"] == name
    assert measured.raw["statements"] == totals["num_statements"]
    assert measured.raw["percent"] == pytest.approx(totals["percent_covered"], abs=0.01)
    # unused.py is omitted, so every figure leaves its two lines out.
    assert measured.raw["files"] == 2


def test_without_settings_only_the_projects_packages_count(tmp_path: Path) -> None:
    files = {
        "setup.py": "from setuptools import setup\n\nsetup(name='pkg')\n",
        "bench.py": "import pkg.mod\n\nprint(pkg.mod.one())\n",
        "docs/conf.py": "project = 'pkg'\n",
        "scripts/tool.py": "import sys\n\nprint(sys.argv)\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": MOD,
        "pkg/tests/__init__.py": "",
        "pkg/tests/test_inner.py": TEST,
        "tests/test_mod.py": TEST,
    }
    measured = agent(make_repo(tmp_path / "repo", files), tmp_path)
    assert measured.raw["config"] == "no coverage settings of the project's own"
    # pkg/mod.py alone: 4 statements, `two`'s body not run; test files are not traced.
    assert (measured.raw["covered"], measured.raw["statements"]) == (3, 4)
    assert measured.raw["files"] == 2


def test_test_files_are_traced_when_the_projects_settings_say_so(tmp_path: Path) -> None:
    files = {
        ".coveragerc": "[run]\nsource = .\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": MOD,
        "tests/test_mod.py": TEST,
    }
    repo = make_repo(tmp_path / "repo", files)
    measured = agent(repo, tmp_path)
    totals = by_hand(repo, tmp_path)
    assert measured.raw["statements"] == totals["num_statements"] == 7
    assert measured.raw["covered"] == totals["covered_lines"]


def test_coverage_starts_before_a_pytest_plugin_is_loaded(tmp_path: Path) -> None:
    plugin = (
        '"""A pytest plugin."""\n\nimport pytest\n\nMARK = "x"\n\n\n'
        "@pytest.fixture\ndef mark():\n    return MARK\n"
    )
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p pkg.plugin"\n',
        "pkg/__init__.py": "",
        "pkg/plugin.py": plugin,
        "tests/test_plugin.py": "def test_mark(mark):\n    assert mark == 'x'\n",
    }
    measured = agent(make_repo(tmp_path / "repo", files), tmp_path)
    assert measured.status == "ok", measured.detail
    # Its import-time lines run while pytest reads its options: they count as covered.
    assert measured.raw["covered"] == measured.raw["statements"]


def test_coverage_of_a_pytest_run_that_never_ran_the_tests_is_an_error(tmp_path: Path) -> None:
    from self_improving_agent.benchmarks.pytest_run import COVERAGE_NAME, PytestRun
    from self_improving_agent.sandbox.proc import ToolRun

    # The data coverage wrote while pytest refused its arguments: 16 lines, none run.
    report = {"totals": {"covered_lines": 0, "num_statements": 16}, "files": {}}
    (tmp_path / COVERAGE_NAME).write_text(json.dumps(report), encoding="utf-8")
    usage = ToolRun(4, "", "error: unrecognized arguments: --no-cov", 0.1, False, 1)
    result = code_coverage.measure(PytestRun(usage, tmp_path))
    assert result.status == "error"
    assert result.detail.startswith("pytest exited 4, so no test ran: error: unrecognized")
