"""`agent judge show` and `promote` on a repository named like the agent, and on another."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from self_improving_agent.core.judge_exec import dependency_problem
from self_improving_agent.git_ops.judge_pin import ensure_pin, read_pin
from tests.conftest import git, make_repo

OWN = '[project]\nname = "self-improving-agent"\ndependencies = ["pydantic>=2"]\n'


@pytest.fixture
def own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository the agent takes for its own (by its project name), pinned, main one ahead."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = make_repo(tmp_path / "own", {"pyproject.toml": OWN, "src/gates/g.py": "x = 1\n"})
    ensure_pin(repo)
    (repo / "src/gates/g.py").write_text("x = 2\n", encoding="utf-8")
    git(repo, "commit", "-qam", "a judge change")
    return repo


def test_show_lists_what_main_changed_since_the_pin(own: Path) -> None:
    result = CliRunner().invoke(app, ["judge", "show", "--repo", str(own)])
    assert result.exit_code == 0, result.output
    assert "has changed 1 judge file(s) since:\n  src/gates/g.py" in result.output


def test_promote_without_a_person_is_one_sentence_and_moves_nothing(own: Path) -> None:
    pin = read_pin(own)
    result = CliRunner().invoke(app, ["judge", "promote", "--repo", str(own)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: promoting the judge needs a person to confirm: run it in a terminal, or pass"
        " --yes when a script speaks for one."
    ]
    assert read_pin(own) == pin


def test_promote_yes_moves_the_pin_to_main(own: Path) -> None:
    result = CliRunner().invoke(app, ["judge", "promote", "--yes", "--repo", str(own)])
    assert result.exit_code == 0, result.output
    assert read_pin(own) == git(own, "rev-parse", "main").strip()


def test_another_repository_has_no_pin_to_promote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "theirs")
    result = CliRunner().invoke(app, ["judge", "promote", "--yes", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "is not the agent's own repository" in result.stderr
    assert read_pin(repo) is None


def test_dependencies_the_pin_declares_must_be_installed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=2", "no-such-dist-xq>=1"]\n'
        '[project.optional-dependencies]\nextra = ["also-not-installed-xq"]\n',
        encoding="utf-8",
    )
    problem = dependency_problem(tmp_path, "a" * 40)
    assert problem == "the judge at aaaaaaaaaa needs no-such-dist-xq>=1, but it is not installed"
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=2"]\n'
        '[project.optional-dependencies]\nextra = ["also-not-installed-xq"]\n',
        encoding="utf-8",
    )
    assert dependency_problem(tmp_path, "a" * 40) is None
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic<1"]\n', encoding="utf-8"
    )
    assert "needs pydantic<1, but pydantic 2." in (dependency_problem(tmp_path, "a" * 40) or "")
