"""One real generation per provider whose credentials are set; the others are skipped.

`make test-live` runs it. It costs a few cents per provider with the default models;
AGENT_MODEL picks the Anthropic model, LIVE_BEDROCK_MODEL and LIVE_OPENAI_MODEL the others'.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.git_ops.worktree import REJECTED_PREFIX
from self_improving_agent.providers.factory import make_provider
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git, make_repo, provider_sections

# Each provider, the variables any one of which enables it, and the model variable.
LIVE = {
    "anthropic": (("ANTHROPIC_API_KEY",), None),
    "bedrock": (("AWS_PROFILE", "AWS_ACCESS_KEY_ID"), "LIVE_BEDROCK_MODEL"),
    "openai": (("OPENAI_API_KEY", "OPENAI_BASE_URL"), "LIVE_OPENAI_MODEL"),
}


def live_params() -> list[object]:
    """One parameter per provider, skipped unless its credentials are set."""
    params: list[object] = []
    for name, (variables, _) in LIVE.items():
        unset = not any(os.environ.get(v) for v in variables)
        reason = f"set {' or '.join(variables)} to run the live {name} test"
        params.append(pytest.param(name, marks=pytest.mark.skipif(unset, reason=reason)))
    return params


# Each file carries one deliberate issue: no type hints, a function without a docstring,
# a package without __init__.py, and a test that fails.
TARGET = {
    "README.md": "# shapes\n\nAreas of simple shapes.\n",
    "shapes/area.py": (
        '"""Areas of shapes."""\n\n\n'
        "def rectangle(width, height):\n"
        "    return width * height\n\n\n"
        "def square(side):\n"
        '    """Area of a square."""\n'
        "    return rectangle(side, side)\n"
    ),
    "tests/__init__.py": "",
    "tests/test_area.py": (
        '"""Tests of shapes.area."""\n\n'
        "from shapes.area import rectangle, square\n\n\n"
        "def test_rectangle() -> None:\n"
        '    """Width times height."""\n'
        "    assert rectangle(2, 3) == 6\n\n\n"
        "def test_square() -> None:\n"
        '    """Side squared (the expected value is wrong on purpose)."""\n'
        "    assert square(3) == 6\n"
    ),
}
GOAL = "Fix one small issue: missing type hints, a missing docstring, or a missing __init__.py."
FINAL = ("accepted", "rejected", "no_change")


@pytest.mark.parametrize("provider", live_params())
def test_one_live_generation_completes_and_is_recorded(tmp_path: Path, provider: str) -> None:
    repo = make_repo(tmp_path / "shapes", TARGET)
    initial = git(repo, "rev-parse", "main").strip()
    agent: dict[str, str] = {"provider": provider}
    model_variable = LIVE[provider][1]
    if model_variable and os.environ.get(model_variable):
        agent["model"] = os.environ[model_variable]
    settings = load_settings(repo, overrides={"agent": agent})
    with Store.for_repo(repo) as store:
        deps = open_deps(
            repo, settings, store, print, make_provider(*provider_sections(settings), repo=repo)
        )
        outcome = run_generation(deps, RunOptions(auto_merge=True, goals=[GOAL]))

    assert outcome.status in FINAL, outcome.reason
    report = GenerationReport.model_validate_json(Path(outcome.report_path).read_text("utf-8"))
    assert report.status == outcome.status
    assert report.plan is not None, "the Architect's reply through the live API was unusable"
    assert not [e for e in report.errors if e["phase"] in ("plan", "cleanup")], report.errors
    calls = report.llm_calls
    assert calls and all(c.provider == provider and not c.estimated for c in calls)
    assert all(c.input_tokens > 0 and c.output_tokens > 0 for c in calls)
    if settings.agent.model in settings.providers.models:
        assert all(c.cost_usd is not None for c in calls), "a catalogued model must be priced"

    with Store.for_repo(repo) as reopened:
        entry = reopened.get_generation(outcome.generation)
        assert len(reopened.llm_calls(outcome.generation)) == len(calls)
    assert entry is not None
    assert entry.status == outcome.status
    assert entry.reason, "every generation ends with a reason"
    assert entry.score_before is not None
    if report.decision is not None:
        assert report.decision.reasons
    if report.totals is not None:
        assert entry.score_after is not None and report.totals.after == entry.score_after

    head = git(repo, "rev-parse", "main").strip()
    if outcome.status == "accepted":
        assert git(repo, "log", "-1", "--format=%s", "main").startswith("agent gen-1: ")
        changed = git(repo, "diff", "--name-only", initial, head).split()
        assert sorted(changed) == sorted(report.files_changed)
    else:
        assert head == initial
    if outcome.status == "rejected" and report.files_changed:
        assert git(repo, "rev-parse", "--verify", f"{REJECTED_PREFIX}1").strip()
    assert git(repo, "branch", "--list", "agent/*").strip() == ""
