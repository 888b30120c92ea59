"""Repair rounds in a real generation (mock provider): new lint in the changed file."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.models import Change
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.lessons import SqliteLessons
from tests.conftest import own_settings
from tests.core.test_generation import (
    ANCHOR,
    DOCUMENTED,
    improving_script,
    report_of,
    session,
    target,
)
from tests.loop_kit import build, plan

UNUSED = "import os\n\n\n"


def test_new_lint_in_the_changed_file_is_repaired_measuring_only_lint_first(tmp_path: Path) -> None:
    repo = target(tmp_path)
    first = [
        Change(file="pkg/mul.py", op="replace", anchor=ANCHOR, content=DOCUMENTED),
        Change(file="pkg/mul.py", op="replace", anchor="def mul", content=UNUSED + "def mul"),
    ]
    repair = Change(file="pkg/mul.py", op="replace", anchor=UNUSED, content="")
    script = improving_script(builder=[build(*first), build(repair)])
    asked: list[Sequence[str] | None] = []
    with session(repo, tmp_path, script) as deps:
        inner = deps.measure

        def measure(path: Path, only: Sequence[str] | None = None) -> SuiteResult:
            asked.append(None if only is None else list(only))
            return inner(path, only)

        outcome = run_generation(
            dataclasses.replace(deps, measure=measure), RunOptions(auto_merge=True)
        )
    assert outcome.status == "accepted", outcome.reason
    # main's tree, the first change, the round (lint only), then the full suite before merging.
    # The candidate is measured stage by stage, so its full runs name every benchmark.
    main_tree, first, repair_round, full = asked
    assert main_tree is None and repair_round == ["lint_score"]
    assert first == full and first is not None and {"test_pass_rate", "lint_score"} <= set(first)
    rounds = report_of(outcome)["repairs"]
    assert [(r["round"], r["fixed"]) for r in rounds] == [(0, False), (1, True)]
    assert rounds[0]["regressions"] == "1 new lint message(s)"
    assert rounds[1]["evidence"] == [
        "- new lint message: pkg/mul.py:4: F401 `os` imported but unused"
    ]
    with Store.for_repo(repo) as store:
        (lesson,) = SqliteLessons(store).all()
    assert "repair round 1: - new lint message: pkg/mul.py:4: F401" in lesson.evidence
    assert lesson.evidence.endswith("-> fixed")


def test_with_no_repair_rounds_the_decision_rejects_the_first_change(tmp_path: Path) -> None:
    repo = target(tmp_path)
    broken = Change(file="pkg/calc.py", op="replace", anchor="return a + b", content="return a - b")
    script = improving_script(
        architect=[plan(["pkg/calc.py"], "Break add")], builder=[build(broken)]
    )
    settings = own_settings()
    settings = settings.model_copy(
        update={"agent": settings.agent.model_copy(update={"repair_rounds": 0})}
    )
    with session(repo, tmp_path, script, settings=settings) as deps:
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    assert outcome.status == "rejected"
    assert "tests/test_calc.py::test_add" in outcome.reason
    assert report_of(outcome)["repairs"] == []
