"""Shared test kit: a small target repository and scripted mock-provider replies for generations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from self_improving_agent.base.models import Build, Change, Plan, Review
from tests.conftest import make_repo

SAMPLE_FILES = {
    "README.md": "# sample\n",
    "pkg/__init__.py": '"""Sample package."""\n',
    "pkg/calc.py": (
        '"""Math helpers."""\n\n\n'
        "def add(a: int, b: int) -> int:\n"
        '    """Add two numbers."""\n'
        "    return a + b\n"
    ),
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        '"""Tests of pkg.calc."""\n\n'
        "from pkg.calc import add\n\n\n"
        "def test_add() -> None:\n"
        '    """Adds."""\n'
        "    assert add(1, 2) == 3\n\n\n"
        "def test_add_negative() -> None:\n"
        '    """Adds negatives."""\n'
        "    assert add(-1, -2) == -3\n"
    ),
}

NEW_MODULE = (
    '"""Subtraction helpers."""\n\n\n'
    "def sub(a: int, b: int) -> int:\n"
    '    """Subtract b from a."""\n'
    "    return a - b\n"
)


def sample_repo(path: Path, extra: dict[str, str] | None = None) -> Path:
    """A git repository on main with a tiny package and two passing tests."""
    return make_repo(path, {**SAMPLE_FILES, **(extra or {})})


def plan(files: list[str], title: str = "Add a subtraction helper") -> str:
    """An Architect reply as raw text."""
    return Plan(title=title, files_to_modify=files, rationale="small and useful").model_dump_json()


def build(*changes: Change, summary: str = "done") -> str:
    """A Builder reply as raw text."""
    return Build(changes=list(changes), summary=summary).model_dump_json()


def review(approved: bool = True, score: float = 0.9) -> str:
    """A Reviewer reply as raw text."""
    return Review(approved=approved, score=score, findings=["looks fine"]).model_dump_json()


def good_script() -> dict[str, Any]:
    """Replies for one generation that adds pkg/sub.py and is approved."""
    return {
        "architect": [plan(["pkg/sub.py"])],
        "builder": [build(Change(file="pkg/sub.py", content=NEW_MODULE))],
        "reviewer": [review()],
        "delay_s": 0,
    }


def write_script(path: Path, script: dict[str, Any]) -> Path:
    """Write a mock script file and return its path (for AGENT_MOCK_SCRIPT)."""
    path.write_text(json.dumps(script), encoding="utf-8")
    return path
