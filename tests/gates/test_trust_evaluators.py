"""The user's own evaluators (benchmark config `custom`) and the judging keys are protected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from self_improving_agent.gates.safety import SafetyValidator
from self_improving_agent.gates.trust import evaluator_paths

PEOPLE = "edit it by hand, or in PR mode ask a reviewer"
SHIPPED = Path(__file__).resolve().parents[2] / "config" / "agent.toml"


def write(path: Path, text: str) -> None:
    """Write text, making parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one custom evaluator: a script, its data, a helper folder."""
    write(tmp_path / "config" / "agent.toml", SHIPPED.read_text(encoding="utf-8"))
    for name in ("eval/score.py", "eval/data.csv", "eval/out.json", "eval/helpers/util.py"):
        write(tmp_path / name, "x = 1\n")
    write(tmp_path / "tools" / "grade.sh", "#!/bin/sh\n")
    custom = [
        {
            "name": "accuracy",
            "command": [
                "python",
                "eval/score.py",
                "--data",
                "eval/data.csv",
                "--out=eval/out.json",
            ],
            "files": ["eval/helpers", "eval/not_yet.py"],
        },
        {"name": "grade", "command": ["tools/grade.sh", "-m", "../outside.py", "missing.py"]},
        "not an evaluator",
    ]
    write(tmp_path / "config" / "benchmarks.json", json.dumps({"enabled": [], "custom": custom}))
    return tmp_path


def test_evaluator_paths_are_the_files_the_commands_and_lists_name(repo: Path) -> None:
    assert evaluator_paths(repo) == [
        "eval/data.csv",
        "eval/helpers/",
        "eval/not_yet.py",
        "eval/out.json",
        "eval/score.py",
        "tools/grade.sh",
    ]


def test_an_absolute_path_inside_the_repository_counts(repo: Path) -> None:
    custom = [{"name": "a", "command": ["python", str(repo / "eval" / "score.py")]}]
    write(repo / "config" / "benchmarks.json", json.dumps({"custom": custom}))
    assert evaluator_paths(repo) == ["eval/score.py"]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"custom": {"a": 1}}', '{"enabled": []}'])
def test_a_config_without_usable_custom_entries_names_nothing(repo: Path, text: str) -> None:
    write(repo / "config" / "benchmarks.json", text)
    assert evaluator_paths(repo) == []
    assert evaluator_paths(repo, "config/missing.json") == []


@pytest.mark.parametrize(
    "path",
    [
        "eval/score.py",
        "eval/data.csv",
        "eval/out.json",
        "eval/helpers/util.py",
        "eval/helpers/new.py",
        "eval/not_yet.py",
        "tools/grade.sh",
        "config/benchmarks.json",
    ],
)
def test_writes_to_evaluator_files_are_refused(repo: Path, path: str) -> None:
    verdict = SafetyValidator(repo).validate_before_write(path, "x = 2\n")
    protected = [v for v in verdict.violations if v.rule == "path/protected"]
    assert protected and PEOPLE in protected[0].message


def test_a_package_shadowing_an_evaluator_script_is_refused(repo: Path) -> None:
    verdict = SafetyValidator(repo).validate_before_write("eval/score/__init__.py", "x = 1\n")
    assert "trust/shadow" in {v.rule for v in verdict.violations}


def test_other_files_stay_writable(repo: Path) -> None:
    for path in ("eval/other.py", "src/core/x.py", "outside.py", "missing.py"):
        assert SafetyValidator(repo).validate_before_write(path, "x = 1\n").violations == []


def test_a_benchmark_config_elsewhere_is_protected_with_its_evaluators(repo: Path) -> None:
    custom = [{"name": "a", "command": ["python", "eval/data.csv"]}]
    write(repo / "bench" / "mine.json", json.dumps({"custom": custom}))
    validator = SafetyValidator(repo, bench_config="bench/mine.json")
    for path in ("bench/mine.json", "eval/data.csv", "config/benchmarks.json"):
        assert validator.validate_before_write(path, "{}\n").violations, path
    assert validator.validate_before_write("eval/score.py", "x = 2\n").violations == []


@pytest.mark.parametrize(
    ("table", "line"),
    [("agent", "significance = 0.5"), ("benchmarks", "flaky_reruns = 0")],
)
def test_judging_keys_are_protected(repo: Path, table: str, line: str) -> None:
    shipped = (repo / "config" / "agent.toml").read_text(encoding="utf-8")
    changed = shipped.replace(f"[{table}]\n", f"[{table}]\n{line}\n", 1)
    verdict = SafetyValidator(repo).validate_before_write("config/agent.toml", changed)
    assert "path/protected-table" in {v.rule for v in verdict.violations}


def test_repair_rounds_steers_generation_and_stays_open(repo: Path) -> None:
    shipped = (repo / "config" / "agent.toml").read_text(encoding="utf-8")
    changed = shipped.replace("\nrepair_rounds = 2\n", "\nrepair_rounds = 5\n", 1)
    assert changed != shipped
    verdict = SafetyValidator(repo).validate_before_write("config/agent.toml", changed)
    assert verdict.violations == []
