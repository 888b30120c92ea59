"""Repair rounds in whole generations: the real Anthropic SDK against a Messages API on 127.0.0.1.

The first Builder change breaks a test that passed; the repair request must carry the test's id
and assertion message, and the report every round, whether the repair works or not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.models import Change
from self_improving_agent.mind.offline import DECLINED_REPAIR
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git
from tests.loop_kit import build, plan, review, sample_repo
from tests.providers.fake_http import FakeApi, Reply
from tests.providers.generation_kit import (
    BARE,
    DOCUMENTED,
    agent_run,
    anthropic_env,
    assert_nothing_left,
    report_of,
)

TEST_UTIL = (
    '"""Tests of pkg.util."""\n\nfrom pkg.util import double\n\n\n'
    "def test_double() -> None:\n"
    '    """Doubles."""\n'
    "    assert double(2) == 4\n"
)
TEST_ID = "tests/test_util.py::test_double"
TRIPLED = DOCUMENTED.replace("x * 2", "x * 3")


def answer(schema: str, data: str) -> Callable[[dict[str, Any]], Reply]:
    """A 200 Messages reply carrying data as the forced tool call (or JSON text)."""

    def reply(body: dict[str, Any]) -> Reply:
        parsed = json.loads(data)
        as_text = "tool_choice" not in body
        block = (
            {"type": "text", "text": data}
            if as_text
            else {"type": "tool_use", "id": f"toolu_{schema}", "name": schema, "input": parsed}
        )
        message = {
            "id": f"msg_{schema}",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [block],
            "stop_reason": "end_turn" if as_text else "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        }
        return 200, {}, message

    return reply


def fix(old: str, new: str) -> str:
    """A Builder reply that replaces one line of pkg/util.py."""
    return build(Change(file="pkg/util.py", op="replace", anchor=old, content=new))


def script(*builds: str) -> dict[str, list[Any]]:
    """Plan, the given Builder replies in order, and an approving review."""
    return {
        "Plan": [answer("Plan", plan(["pkg/util.py"], "Document pkg.util"))],
        "Build": [answer("Build", b) for b in builds],
        "Review": [answer("Review", review())],
    }


def sent_text(api: FakeApi, index: int) -> str:
    """Everything one request showed the model, as one string."""
    return json.dumps(api.requests[index][2])


@pytest.fixture
def breakable(tmp_path: Path, clean_env: None) -> Path:
    """The sample repository with an undocumented pkg/util.py and a passing test of it."""
    return sample_repo(tmp_path / "target", {"pkg/util.py": BARE, "tests/test_util.py": TEST_UTIL})


def test_a_change_that_breaks_a_test_is_repaired_and_merged(
    breakable: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    first = build(Change(file="pkg/util.py", content=TRIPLED))
    api.replies = script(first, fix("    return x * 3\n", "    return x * 2\n"))
    code, out, _ = agent_run(breakable, "anthropic", anthropic_env(url), "--auto-merge")
    assert code == 0, out
    assert out.startswith("gen 1 accepted"), out
    assert api.schemas() == ["Plan", "Build", "Build", "Review"]
    repair = sent_text(api, 2)
    assert "repair round 1 of 2" in repair
    assert TEST_ID in repair
    assert "assert 6 == 4" in repair
    assert "tests/test_util.py:8: AssertionError" in repair
    assert "Repair rounds" in sent_text(api, 3)
    report = report_of(breakable)
    assert [(r.round, r.fixed) for r in report.repairs] == [(0, False), (1, True)]
    assert report.repairs[0].regressions == "1 lost test(s)"
    assert any(TEST_ID in line for line in report.repairs[1].evidence)
    assert report.repairs[1].edits[0].applied
    assert report.repairs[1].scores["test_pass_rate"] == 1.0
    assert 0 < report.repairs[1].evidence_tokens < 2000
    assert "return x * 2" in git(breakable, "show", "main:pkg/util.py")
    assert "Doubling" in git(breakable, "show", "main:pkg/util.py")
    assert_nothing_left(breakable)


def test_a_repair_that_fails_rejects_with_every_round_on_record(
    breakable: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    first = build(Change(file="pkg/util.py", content=TRIPLED))
    api.replies = script(
        first,
        fix("    return x * 3\n", "    return x * 5\n"),
        fix("    return x * 5\n", "    return x + 3\n"),
    )
    main_before = git(breakable, "rev-parse", "main")
    _, out, _ = agent_run(breakable, "anthropic", anthropic_env(url), "--auto-merge")
    assert out.startswith("gen 1 rejected"), out
    assert "repair failed: 2 repair round(s) did not fix what the change broke" in out
    assert api.schemas() == ["Plan", "Build", "Build", "Build"]
    assert "assert 10 == 4" in sent_text(api, 3)
    report = report_of(breakable)
    assert report.status == "rejected"
    assert [(r.round, r.fixed, r.outcome) for r in report.repairs] == [
        (0, False, "the first change"),
        (1, False, "still broken"),
        (2, False, "still broken"),
    ]
    assert git(breakable, "rev-parse", "main") == main_before
    assert_nothing_left(breakable)


def test_the_offline_builder_declines_to_repair_and_the_report_says_so(breakable: Path) -> None:
    # The offline ruff fixer removes an unused import that a test relies on.
    (breakable / "pkg" / "util.py").write_text("import os\n\n" + BARE, encoding="utf-8")
    relies = TEST_UTIL + (
        "\n\ndef test_os_is_reachable() -> None:\n"
        '    """Reaches os through pkg.util."""\n'
        "    import pkg.util\n\n"
        '    assert pkg.util.os.sep == "/"\n'
    )
    (breakable / "tests" / "test_util.py").write_text(relies, encoding="utf-8")
    git(breakable, "commit", "-qam", "a test that reaches os through pkg.util")
    _, out, _ = agent_run(breakable, "offline", {}, "--auto-merge")
    lost = "tests/test_util.py::test_os_is_reachable"
    assert out.startswith("gen 1 rejected"), out
    assert lost in out
    report: GenerationReport = report_of(breakable)
    assert [r.round for r in report.repairs] == [0, 1]
    assert report.repairs[1].outcome == f"the Builder made no repair: {DECLINED_REPAIR}"
    assert lost in "\n".join(report.repairs[1].evidence)
    assert_nothing_left(breakable)
