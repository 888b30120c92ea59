"""Flaky tests end to end: a lost test is rerun on both trees; one that flips is not a lost test."""

from __future__ import annotations

import json
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
from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_html import render_html
from self_improving_agent.reports.dashboard_text import render_dashboard
from self_improving_agent.reports.report_files import load_report, load_reports
from self_improving_agent.reports.report_view import render_report
from tests.conftest import provider_args
from tests.loop_kit import build, plan, review, sample_repo, write_script

MUL = '"""Products."""\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n'
ANCHOR = "    return a * b"
# The test counts its runs in a file outside the tree: the second run ever (the candidate's
# measurement) fails, every other passes, unless mul itself is broken. It calls mul first, so
# that the failing run covers the same lines as the others.
COUNTED = '''"""A test that fails on its second run."""

from pathlib import Path

from pkg.mul import mul

COUNTER = Path({counter!r})


def test_counted() -> None:
    """Fails once, by the counter."""
    runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(runs))
    product = mul(2, 3)
    assert runs != 2
    assert product == 6
'''
FLAKY_ID = "tests/test_counted.py::test_counted"


def settings(reruns: int = 2) -> Settings:
    """Own interpreter; no sandbox, so the counter outside the tree can be written."""
    return Settings(
        benchmarks=BenchmarksSection(python=sys.executable, flaky_reruns=reruns),
        sandbox=SandboxSection(mode="off"),
    )


def run_with(tmp_path: Path, body: str, reruns: int = 2) -> tuple[GenerationOutcome, Path]:
    """One generation replacing mul's body with body, on a repo holding the counted test."""
    counter = tmp_path / "counter"
    repo = sample_repo(
        tmp_path / "repo",
        {"pkg/mul.py": MUL, "tests/test_counted.py": COUNTED.format(counter=str(counter))},
    )
    script: dict[str, Any] = {
        "architect": [plan(["pkg/mul.py"], "Document mul")],
        "builder": [build(Change(file="pkg/mul.py", op="replace", anchor=ANCHOR, content=body))],
        "reviewer": [review()],
        "delay_s": 0,
    }
    path = write_script(tmp_path / "script.json", script)
    chosen = settings(reruns)
    provider = MockProvider(
        *provider_args(chosen, "mock"), environ={"AGENT_MOCK_SCRIPT": str(path)}
    )
    with Store.for_repo(repo) as store:
        deps = open_deps(repo, chosen, store, lambda _line: None, provider)
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    return outcome, repo


def check_of(outcome: GenerationOutcome) -> dict[str, Any]:
    """The tests_check part of the generation's report."""
    data = json.loads(Path(outcome.report_path).read_text(encoding="utf-8"))
    check: dict[str, Any] = data["tests_check"]
    return check


@pytest.mark.slow
def test_a_test_that_flips_on_a_rerun_is_flaky_and_does_not_reject(tmp_path: Path) -> None:
    body = '    """Multiply a by b."""\n    return a * b'
    outcome, repo = run_with(tmp_path, body)
    assert outcome.status == "accepted", outcome.reason
    check = check_of(outcome)
    # No test file changed: the measurement judged, the change's own tests did not run apart.
    assert not check["own_tests"] and check["new_counts"] == {}
    assert [f["test_id"] for f in check["flaky"]] == [FLAKY_ID]
    assert check["flaky"][0]["candidate_reruns"] == ["passed"]
    assert check["confirmed"] == []
    assert (tmp_path / "counter").read_text() == "3"
    shown = render_report(load_report(repo / "reports", outcome.generation), color=False)
    assert f"flaky, not counted as lost: {FLAKY_ID}: passed on rerun 1 of the candidate" in shown
    data = summarize(load_reports(repo / "reports"))
    assert [(rc.reason, rc.generations) for rc in data.flaky_tests] == [(FLAKY_ID, [1])]
    assert f"1x  {FLAKY_ID}  (gen 1)" in render_dashboard(data, color=False)
    assert FLAKY_ID in render_html(data)


@pytest.mark.slow
def test_a_test_that_fails_every_rerun_is_still_lost(tmp_path: Path) -> None:
    body = '    """Multiply a by b."""\n    return a * b + 1'
    outcome, _repo = run_with(tmp_path, body)
    assert outcome.status == "rejected"
    assert f"1 test(s) that passed before do not pass now: {FLAKY_ID}" in outcome.reason
    check = check_of(outcome)
    assert check["flaky"] == []
    assert check["confirmed"] == [FLAKY_ID]
    # Two reruns on the candidate, two on main's tree, which still passes: runs 3 to 6.
    assert (tmp_path / "counter").read_text() == "6"


@pytest.mark.slow
def test_no_reruns_leaves_the_flaky_test_lost(tmp_path: Path) -> None:
    body = '    """Multiply a by b."""\n    return a * b'
    outcome, _repo = run_with(tmp_path, body, reruns=0)
    assert outcome.status == "rejected"
    assert FLAKY_ID in outcome.reason
    assert check_of(outcome)["not_rerun"] == [FLAKY_ID]
