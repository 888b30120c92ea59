"""The judge's files (its config, benchmark config, the user's evaluators): held, never refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.benchmarks.pinned import write_pinned
from self_improving_agent.gates.judge_files import (
    JUDGE_SETTINGS,
    custom_entries,
    evaluator_paths,
    judge_files_at,
)
from self_improving_agent.gates.safety import SafetyValidator
from self_improving_agent.gates.vet import vet
from self_improving_agent.git_ops.changeset import from_worktree
from tests.conftest import git, make_repo

CUSTOM = [
    {
        "name": "accuracy",
        "command": ["python", "eval/score.py", "--data", "eval/data.csv", "--out=eval/out.json"],
        "files": ["eval/helpers", "eval/not_yet.py"],
    },
    {"name": "grade", "command": ["tools/grade.sh", "../outside.py", "missing.py"]},
    {"name": "speed", "command": ["python", "-m", "bench.run"]},
    "not an evaluator",
]
FILES = {
    "config/agent.toml": '[agent]\nmodel = "m"\n',
    "config/benchmarks.json": json.dumps({"enabled": [], "custom": CUSTOM}),
    "eval/score.py": "x = 1\n",
    "eval/data.csv": "1\n",
    "eval/out.json": "{}\n",
    "eval/helpers/util.py": "x = 1\n",
    "tools/grade.sh": "#!/bin/sh\n",
    "src/bench/run.py": "x = 1\n",
    "src/app.py": "x = 1\n",
}
EVALUATORS = [
    "eval/data.csv",
    "eval/helpers/",
    "eval/not_yet.py",
    "eval/out.json",
    "eval/score.py",
    "src/bench/run.py",
    "tools/grade.sh",
]


@pytest.fixture
def evaluated(tmp_path: Path) -> Path:
    """A repository whose main holds a config, a benchmark config and its evaluators."""
    return make_repo(tmp_path / "repo", FILES)


def test_the_judges_files_are_read_from_the_commit(evaluated: Path) -> None:
    files = judge_files_at(evaluated, "main", "config/benchmarks.json")
    assert files == ("config/agent.toml", "config/benchmarks.json", *EVALUATORS)
    # What the working tree says later is not what the commit holds.
    (evaluated / "config" / "benchmarks.json").write_text('{"custom": []}', encoding="utf-8")
    assert judge_files_at(evaluated, "main", "config/benchmarks.json")[2:] == tuple(EVALUATORS)


@pytest.mark.parametrize("text", [b"{not json", b"[]", b'{"custom": {"a": 1}}', None])
def test_a_config_without_usable_custom_entries_names_no_evaluator(text: bytes | None) -> None:
    assert evaluator_paths(custom_entries(text), {"eval/score.py"}) == []


@pytest.mark.parametrize(
    "path",
    [
        "config/agent.toml",
        "config/benchmarks.json",
        "eval/score.py",
        "eval/helpers/util.py",
        "eval/helpers/new.py",
        "eval/not_yet.py",
        "tools/grade.sh",
        "src/bench/run.py",
    ],
)
def test_a_change_to_a_judges_file_is_written_and_held_for_a_person(
    evaluated: Path, path: str
) -> None:
    base = git(evaluated, "rev-parse", "HEAD").strip()
    assert SafetyValidator(evaluated).validate_before_write(path, "x = 2\n").allowed
    (evaluated / path).parent.mkdir(parents=True, exist_ok=True)
    (evaluated / path).write_text("x = 2\n", encoding="utf-8")
    report = vet(
        evaluated, from_worktree(evaluated, base), SafetySection(), "config/benchmarks.json"
    )
    assert report.verdict == "person", report.lines()
    held = [item for f in report.files for item in f.person if item.rule == JUDGE_SETTINGS]
    assert held and "a person merges it" in held[0].message


def test_deleting_or_moving_a_judges_file_is_held(evaluated: Path) -> None:
    base = git(evaluated, "rev-parse", "HEAD").strip()
    git(evaluated, "mv", "config", "settings")
    report = vet(
        evaluated, from_worktree(evaluated, base), SafetySection(), "config/benchmarks.json"
    )
    assert report.verdict == "person"
    held = {
        f.old_path or f.path
        for f in report.files
        if any(i.rule == JUDGE_SETTINGS for i in f.person)
    }
    assert {"config/agent.toml", "config/benchmarks.json"} <= held


def test_other_files_are_not_held(evaluated: Path) -> None:
    base = git(evaluated, "rev-parse", "HEAD").strip()
    (evaluated / "src" / "app.py").write_text('"""App."""\n\nx = 2\n', encoding="utf-8")
    report = vet(
        evaluated, from_worktree(evaluated, base), SafetySection(), "config/benchmarks.json"
    )
    assert all(i.rule != JUDGE_SETTINGS for f in report.files for i in f.person)


def test_the_running_judges_own_files_are_held_beside_the_bases(evaluated: Path) -> None:
    base = git(evaluated, "rev-parse", "HEAD").strip()
    (evaluated / "src" / "app.py").write_text('"""App."""\n\nx = 2\n', encoding="utf-8")
    report = vet(
        evaluated,
        from_worktree(evaluated, base),
        SafetySection(),
        "config/benchmarks.json",
        ("src/app.py",),
    )
    assert report.verdict == "person"


def test_pinned_files_replace_links_and_files_the_candidate_planted(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "tools").mkdir(parents=True)
    outside.mkdir()
    (tree / "eval").symlink_to(outside)
    (tree / "tools" / "grade.sh").symlink_to(outside / "grade.sh")
    write_pinned(tree, [("eval/score.py", b"main's\n"), ("tools/grade.sh", b"#!/bin/sh\n")])
    assert (
        not (tree / "eval").is_symlink()
        and (tree / "eval" / "score.py").read_bytes() == b"main's\n"
    )
    assert not (tree / "tools" / "grade.sh").is_symlink()
    assert list(outside.iterdir()) == []
