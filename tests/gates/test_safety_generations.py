"""Whole mock generations that try to weaken a gate are rejected with the rule in the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.models import Change, Review
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.cli.app import app
from self_improving_agent.core.session import open_deps
from self_improving_agent.gates.decision import gather_facts
from self_improving_agent.gates.merge_gates import merge_gates
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.git_ops.worktree import Workspace
from self_improving_agent.providers.factory import make_provider
from tests.conftest import git, provider_sections
from tests.loop_kit import SAMPLE_FILES, build, plan, review, sample_repo, write_script

LOOP_PY = (
    '"""Merge decision."""\n\n\n'
    "def make_merge_decision(score: float) -> bool:\n"
    '    """Merge only on a gain."""\n'
    "    return score > 0\n"
)
PYPROJECT = '[project]\nname = "sample"\n\n[tool.ruff]\nline-length = 100\n'
CALC = SAMPLE_FILES["pkg/calc.py"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None) -> None:
    """Each test sets only the AGENT_* variables it needs."""


# A user who protects their own decision module and function, as the agent once did its own.
USER_SAFETY = {
    "config/agent.toml": '[safety]\nprotected_paths = ["src/gates/safety.py"]\n'
    'protected_functions = ["src/gates/decision.py:make_merge_decision"]\n'
}


def generation(
    tmp_path: Path, changes: list[Change], files: list[str], *, no_safety: bool = False
) -> tuple[int, str, dict[str, Any]]:
    """Run one auto-merge generation through the CLI; exit code, stderr and gen-1.json."""
    tree = {"src/gates/decision.py": LOOP_PY, "pyproject.toml": PYPROJECT, **USER_SAFETY}
    repo = sample_repo(tmp_path / "repo", tree)
    reply = build(*changes)
    script = {
        "architect": [plan(files)],
        # A refused edit is retried once with the same reply, so both attempts hit the gate.
        "builder": [reply, reply],
        "reviewer": [review()],
    }
    env = {"AGENT_MOCK_SCRIPT": str(write_script(tmp_path / "script.json", script))}
    args = ["run", "--repo", str(repo), "--provider", "mock", "--auto-merge"]
    result = runner.invoke(app, [*args, *(["--no-safety"] if no_safety else [])], env=env)
    report = json.loads((repo / "reports" / "gen-1.json").read_text(encoding="utf-8"))
    return result.exit_code, result.stderr, report


def rejected_for(report: dict[str, Any], rule: str) -> bool:
    """The generation was rejected and its report names the rule."""
    return report["status"] == "rejected" and rule in json.dumps(report)


def test_editing_the_protected_merge_decision_is_refused(tmp_path: Path) -> None:
    """Changing make_merge_decision's body fails implement with the rule named."""
    loosened = LOOP_PY.replace("return score > 0", "return True")
    _, _, report = generation(
        tmp_path,
        [Change(file="src/gates/decision.py", content=loosened)],
        ["src/gates/decision.py"],
    )
    assert rejected_for(report, "protected-function")
    assert report["edits"] and not any(e["applied"] for e in report["edits"])
    assert report["errors"][0]["phase"] == "implement"


def test_an_outcome_rewriting_conftest_is_refused(tmp_path: Path) -> None:
    """A conftest.py hooking pytest_runtest_makereport never reaches the worktree."""
    hook = (
        '"""Make every test pass."""\n\n\n'
        "def pytest_runtest_makereport(item, call):\n"
        '    """Rewrite the outcome."""\n'
        "    return None\n"
    )
    _, _, report = generation(tmp_path, [Change(file="conftest.py", content=hook)], ["conftest.py"])
    assert rejected_for(report, "anti-gaming/outcome-hook")


EVAL_MODULE = (
    '"""Evaluates."""\n\n\n'
    "def run(text: str) -> object:\n"
    '    """Evaluate text."""\n'
    "    return eval(text)\n"
)


def test_eval_is_refused_with_the_code_rules(tmp_path: Path) -> None:
    """Without --no-safety a build calling eval never lands; the report says the rules were on."""
    _, stderr, report = generation(
        tmp_path, [Change(file="pkg/ev.py", content=EVAL_MODULE)], ["pkg/ev.py"]
    )
    assert rejected_for(report, "code/eval-exec")
    assert report["reproducibility"]["code_rules"] is True
    assert "--no-safety" not in stderr


def test_no_safety_allows_eval_records_it_and_warns(tmp_path: Path) -> None:
    """--no-safety lets the eval edit apply, is recorded in the report and printed loudly."""
    _, stderr, report = generation(
        tmp_path, [Change(file="pkg/ev.py", content=EVAL_MODULE)], ["pkg/ev.py"], no_safety=True
    )
    assert [e["applied"] for e in report["edits"]] == [True]
    assert report["reproducibility"]["code_rules"] is False
    assert "WARNING: --no-safety" in stderr


def test_no_safety_keeps_protected_paths(tmp_path: Path) -> None:
    """Even with --no-safety a write to the safety module is refused."""
    _, _, report = generation(
        tmp_path,
        [Change(file="src/gates/safety.py", content='"""Gone."""\n')],
        ["src/gates/safety.py"],
        no_safety=True,
    )
    assert rejected_for(report, "path/protected")
    assert report["reproducibility"]["code_rules"] is False


@pytest.mark.parametrize("no_safety", [False, True])
def test_secret_files_are_never_written(tmp_path: Path, no_safety: bool) -> None:
    """A write to a blocked name (.env) is refused by the validator's path rules, always."""
    _, _, report = generation(
        tmp_path, [Change(file=".env", content="TOKEN=x\n")], [".env"], no_safety=no_safety
    )
    assert report["edits"] and not any(e["applied"] for e in report["edits"])
    assert rejected_for(report, "path/blocked")


def _tests(outcome: str) -> BenchResult:
    """A test_pass_rate result where the one test had the given outcome."""
    return BenchResult(
        name="test_pass_rate",
        score=1.0 if outcome == "passed" else 0.0,
        status="ok",
        raw={"outcomes": {"tests/test_calc.py::test_add": outcome}},
    )


def merge_gate(repo: Path, after: str, score_delta: float) -> GateVerdict:
    """Cedar's verdict from merge_gates on an approved review with the given test outcome."""
    settings = load_settings(repo, environ={}, overrides={"agent": {"provider": "mock"}})
    with Store.for_repo(repo) as store:
        deps = open_deps(
            repo,
            settings,
            store,
            lambda _: None,
            make_provider(*provider_sections(settings), repo=repo),
        )
        ws = Workspace(number=1, path=repo, branch="", base_sha=git(repo, "rev-parse", "HEAD"))
        facts = gather_facts(
            [_tests("passed")],
            [_tests(after)],
            score_delta,
            review=Review(approved=True, score=0.9, findings=[]),
            review_consensus=settings.agent.review_consensus,
            edits=[],
            files_changed=[],
        )
        gates = merge_gates(
            deps.policy,
            ws.path,
            facts,
            safety=settings.safety,
            benchmarks=settings.benchmarks,
            sandbox=settings.sandbox,
        )
    assert gates[-1].gate == "cedar:merge"
    return gates[-1]


def test_green_facts_merge(repo: Path) -> None:
    """The baseline: passing tests, approved review, a gain: Cedar allows."""
    assert merge_gate(repo, "passed", 0.5).allowed


def test_cedar_denies_a_merge_whose_tests_fail(repo: Path) -> None:
    """A test that passed before and fails now makes tests_passed False: merge is denied."""
    verdict = merge_gate(repo, "failed", 0.5)
    assert not verdict.allowed
    assert "Deny" in verdict.reasons[0]


def test_a_policy_evaluation_error_denies_the_merge(repo: Path) -> None:
    """A score delta outside Cedar's decimal range errors inside Cedar, which denies."""
    verdict = merge_gate(repo, "passed", 1e30)
    assert not verdict.allowed
    assert any("score_delta" in reason for reason in verdict.reasons)
