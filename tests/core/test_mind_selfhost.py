"""Self-hosting through the mind's process: a merged mind is used next; a broken one is reverted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.models import Change, Plan
from self_improving_agent.cli.run import RunRequest, start_run
from tests.conftest import git
from tests.core.test_selfhost import clone_agent
from tests.loop_kit import build, plan, review, write_script

PERSONAS = "src/mind/personas.py"
ANCHOR = "You are the Architect of a self-improving agent"
MARKER = "(mind v2)"
SECOND = Plan(title="Planned by the improved mind", files_to_modify=["src/mind/lessons.py"])


def run_once(clone: Path, script: dict[str, Any], tmp_path: Path, name: str) -> list[str]:
    """One `agent run` of one generation on clone, auto-merging, with the mock replaying script."""
    path = write_script(tmp_path / f"{name}.json", script)
    overrides = {
        "agent": {"provider": "mock", "auto_merge": True, "benchmark_threshold": -1.0},
        "safety": {"smoke_commands": []},
        "providers": {"mock": {"script": str(path)}},
    }
    settings = load_settings(clone, environ={}, overrides=overrides)
    lines: list[str] = []
    assert (
        start_run(clone, settings, RunRequest(max_generations=1), lines.append, lines.append) == 0
    )
    return lines


def report(clone: Path, number: int) -> dict[str, Any]:
    """reports/gen-N.json of clone."""
    data: dict[str, Any] = json.loads((clone / "reports" / f"gen-{number}.json").read_text())
    return data


@pytest.mark.slow
def test_a_merged_improvement_to_the_mind_proposes_the_next_generation(tmp_path: Path) -> None:
    """Generation 1 changes the Architect's prompt; generation 2's Architect is asked with it.

    The mock recognises the new prompt and only it: an old mind would find no reply left.
    """
    clone = clone_agent(tmp_path)
    change = Change(file=PERSONAS, op="replace", anchor=ANCHOR, content=f"{ANCHOR} {MARKER}")
    script = {
        "architect": [plan([PERSONAS], title="Sharpen the Architect's prompt")],
        "builder": [
            build(change),
            build(
                Change(
                    file="src/mind/lessons.py",
                    op="append",
                    content="# what is in play, weakest first\n",
                )
            ),
        ],
        "reviewer": [review(), review()],
        "when": [{"persona": "architect", "contains": MARKER, "reply": SECOND.model_dump_json()}],
    }
    run_once(clone, script, tmp_path, "first")
    gen = report(clone, 1)
    assert gen["status"] == "accepted", (gen.get("reason"), gen.get("errors"))
    assert MARKER in git(clone, "show", f"main:{PERSONAS}")
    # A fresh script: the architect list is empty, so only a recognised prompt gets a plan.
    script["architect"], script["builder"] = [], script["builder"][1:]
    script["reviewer"] = [review()]
    second = run_once(clone, script, tmp_path, "second")
    assert report(clone, 2)["plan"]["title"] == SECOND.title, second


@pytest.mark.slow
def test_a_merged_mind_that_cannot_start_is_reverted(tmp_path: Path) -> None:
    """A change that breaks the mind's process passes its own generation (the old mind
    proposed it) but the self-hosting check runs the new mind, which fails, and reverts it."""
    clone = clone_agent(tmp_path)
    old_tree = git(clone, "rev-parse", "main^{tree}").strip()
    breakage = 'raise SystemExit("the mind is broken on purpose")\n'
    script = {
        "architect": [plan(["src/mind/__main__.py"], title="Break the mind")],
        "builder": [build(Change(file="src/mind/__main__.py", op="prepend", content=breakage))],
        "reviewer": [review()],
    }
    lines = run_once(clone, script, tmp_path, "broken")
    assert git(clone, "rev-parse", "main^{tree}").strip() == old_tree, lines
    assert "Revert" in git(clone, "log", "-1", "--format=%s", "main")
    gen = report(clone, 1)
    assert gen["status"] == "failed"
    assert "the mind exited" in json.dumps(gen["errors"]), gen["errors"]
