"""The early stage end to end: a candidate's affected tests first, the full suite only after."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config import BenchmarksSection, SandboxSection, Settings
from self_improving_agent.base.models import Change
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import GenerationOutcome, RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.mock import MockProvider
from tests.conftest import provider_args
from tests.loop_kit import build, plan, review, sample_repo, write_script

MUL = '"""Products."""\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n'
# Each test appends its name to a log outside the tree: which tests ran, and how often.
LOGGED = '''"""A test that logs each of its runs."""

from pathlib import Path

from pkg.mul import mul


def test_{name}() -> None:
    """Logs, then checks."""
    with Path({log!r}).open("a") as out:
        out.write("{name}\\n")
    assert {check}
'''


def run_with(tmp_path: Path, change: Change) -> tuple[GenerationOutcome, list[str]]:
    """One generation with the test-impact map on, making change; the log of test runs."""
    log = tmp_path / "runs.log"
    repo = sample_repo(
        tmp_path / "repo",
        {
            "pkg/mul.py": MUL,
            "tests/test_mul.py": LOGGED.format(name="mul", log=str(log), check="mul(2, 3) == 6"),
            "tests/test_other.py": LOGGED.format(name="other", log=str(log), check="True"),
        },
    )
    script: dict[str, Any] = {
        "architect": [plan([change.file], "Touch one file")],
        "builder": [build(change)],
        "reviewer": [review()],
        "delay_s": 0,
    }
    path = write_script(tmp_path / "script.json", script)
    # No sandbox, so the log outside the tree can be written.
    chosen = Settings(
        benchmarks=BenchmarksSection(python=sys.executable, test_impact=True),
        sandbox=SandboxSection(mode="off"),
    )
    provider = MockProvider(
        *provider_args(chosen, "mock"), environ={"AGENT_MOCK_SCRIPT": str(path)}
    )
    with Store.for_repo(repo) as store:
        deps = open_deps(repo, chosen, store, lambda _line: None, provider)
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    return outcome, log.read_text(encoding="utf-8").split()


@pytest.mark.slow
def test_a_breaking_change_is_rejected_by_the_early_stage_without_the_full_suite(
    tmp_path: Path,
) -> None:
    change = Change(
        file="pkg/mul.py", op="replace", anchor="    return a * b", content="    return a * b + 1"
    )
    outcome, runs = run_with(tmp_path, change)
    assert outcome.status == "rejected"
    assert (
        "the early stage: tests/test_mul.py::test_mul passed on main and failed on every rerun"
        " (1 of 1 affected tests failed)" in outcome.reason
    )
    # test_other ran once, in main's measurement; test_mul there, in the early stage and in
    # its two reruns. The candidate's full suite never ran.
    assert runs.count("other") == 1
    assert runs.count("mul") == 4


@pytest.mark.slow
def test_a_conftest_change_runs_the_full_suite(tmp_path: Path) -> None:
    change = Change(file="tests/conftest.py", content='"""Shared fixtures."""\n')
    outcome, runs = run_with(tmp_path, change)
    assert "early stage" not in outcome.reason
    # Every test twice: main's measurement and the candidate's full run (measured with main's
    # tests and conftests, as every candidate is). No early stage ran.
    assert runs.count("other") == 2
    assert runs.count("mul") == 2
