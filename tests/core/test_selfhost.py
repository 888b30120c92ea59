"""Self-hosting: detecting the agent's own repo, and reverting a merge that stops it starting."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
import tomli_w

from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.models import Change
from self_improving_agent.base.store import Store
from self_improving_agent.cli.run import RunRequest, start_run
from self_improving_agent.core.generation import RunOptions
from self_improving_agent.core.own_repo import PROJECT_NAME, is_self_hosted, running_root
from self_improving_agent.core.selfhost import check_after_merge, child_env, verify_start
from self_improving_agent.core.session import loop_generations, open_deps
from self_improving_agent.providers.factory import make_provider
from tests.conftest import git, make_repo, provider_sections
from tests.loop_kit import build, good_script, plan, review, sample_repo, write_script

BREAKAGE = '\n\nraise RuntimeError("broken on purpose")\n'
FAST_BENCHMARKS = {"enabled": ["test_pass_rate"], "timeouts": {"default": 120}, "weights": {}}


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None) -> None:
    """Each test sets only the AGENT_* variables it needs."""


def test_the_running_checkout_is_self_hosted() -> None:
    """The folder this `src` package runs from is the agent's own repository."""
    assert is_self_hosted(running_root())


def test_a_foreign_repo_is_not_self_hosted(tmp_path: Path) -> None:
    """A sample project with another name and no agent package is someone else's."""
    assert not is_self_hosted(sample_repo(tmp_path / "repo"))


def test_the_project_name_marks_a_copy_as_self_hosted(tmp_path: Path) -> None:
    """A copy elsewhere is recognised by its pyproject.toml name."""
    copy = make_repo(tmp_path / "copy", {"pyproject.toml": f'[project]\nname = "{PROJECT_NAME}"\n'})
    assert is_self_hosted(copy)


def test_a_package_inside_the_target_is_self_hosted(tmp_path: Path) -> None:
    """When the running package lives inside the target, the target is the agent's own."""
    target = sample_repo(tmp_path / "repo")
    assert is_self_hosted(target, package_root=target / "vendor")


def test_child_env_has_no_secrets_or_agent_settings(tmp_path: Path) -> None:
    """The fresh process reads the new main's config, never this run's keys or overrides."""
    key = "sk-" + "ant-" + "x" * 20
    env = child_env({"ANTHROPIC_API_KEY": key, "AGENT_PROVIDER": "mock", "HOME": "/h"}, tmp_path)
    assert "HOME" not in env  # the sandbox gives the child a fake one
    assert env["PYTHONPATH"] == str(tmp_path)
    assert key not in json.dumps(env)
    assert not any(name.startswith("AGENT_") for name in env)


def test_a_passing_check_keeps_the_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the fresh process starts, the outcome and main are left as they were."""
    repo = sample_repo(tmp_path / "repo")
    monkeypatch.setenv("AGENT_MOCK_SCRIPT", str(write_script(tmp_path / "s.json", good_script())))
    seen: list[Path] = []

    def verify(tree: Path, environ: Mapping[str, str]) -> str | None:
        """Record the tree, which holds the merged change, and say it started."""
        seen.append(tree)
        assert (tree / "pkg" / "sub.py").is_file()
        return None

    overrides = {
        "agent": {"provider": "mock", "benchmark_threshold": -1.0},
        "benchmarks": {"python": sys.executable},
    }
    settings = load_settings(repo, environ={}, overrides=overrides)
    head = git(repo, "rev-parse", "main").strip()
    with Store.for_repo(repo) as store:
        deps = open_deps(
            repo,
            settings,
            store,
            lambda _: None,
            make_provider(*provider_sections(settings), repo=repo),
        )
        deps = replace(deps, after_merge=lambda d, o: check_after_merge(d, o, verify))
        result = loop_generations(deps, RunOptions(auto_merge=True), 1)
    assert result.outcomes[0].status == "accepted", result.outcomes[0].reason
    assert git(repo, "rev-parse", "main").strip() != head
    assert len(seen) == 1 and not seen[0].exists()


def clone_agent(tmp_path: Path) -> Path:
    """A clone of the agent's repo measuring one quick test file, committed as its baseline."""
    clone = tmp_path / "agent"
    # The running checkout's own commit, named main: not whatever the shared main holds now.
    subprocess.run(["git", "clone", "--quiet", str(running_root()), str(clone)], check=True)
    git(clone, "checkout", "--quiet", "-B", "main")
    (clone / "config" / "benchmarks.json").write_text(json.dumps(FAST_BENCHMARKS), "utf-8")
    pyproject = clone / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace('testpaths = ["tests"]', 'testpaths = ["tests/base/test_secrets.py"]'),
        encoding="utf-8",
    )
    # Measured with the agent's own interpreter: building an environment needs the package index.
    config = clone / "config" / "agent.toml"
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data.setdefault("benchmarks", {})["python"] = sys.executable
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    git(clone, "commit", "--quiet", "-am", "test baseline: quick benchmarks")
    return clone


def test_a_merge_that_breaks_the_cli_is_reverted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a copy of the agent: the CLI app raising at import is merged, caught, and reverted."""
    clone = clone_agent(tmp_path)
    old_tree = git(clone, "rev-parse", "main^{tree}").strip()
    script = {
        "architect": [plan(["src/cli/app.py"], title="Break the CLI")],
        "builder": [build(Change(file="src/cli/app.py", op="append", content=BREAKAGE))],
        "reviewer": [review()],
    }
    overrides = {
        "agent": {"provider": "mock", "auto_merge": True, "benchmark_threshold": -1.0},
        "safety": {"smoke_commands": []},
    }
    settings = load_settings(clone, environ={}, overrides=overrides)
    lines: list[str] = []
    monkeypatch.setenv("AGENT_MOCK_SCRIPT", str(write_script(tmp_path / "s.json", script)))
    request = RunRequest(max_generations=1)
    code = start_run(clone, settings, request, lines.append, lines.append)
    assert code == 0
    assert git(clone, "rev-parse", "main^{tree}").strip() == old_tree
    assert "Revert" in git(clone, "log", "-1", "--format=%s", "main")
    report = json.loads((clone / "reports" / "gen-1.json").read_text(encoding="utf-8"))
    assert report["status"] == "failed"
    assert "broken on purpose" in report["errors"][-1]["message"]
    with Store.for_repo(clone) as store:
        entry = store.get_generation(1)
    assert entry is not None and entry.status == "failed"
    assert "reverted" in entry.reason and "python main.py --version" in entry.reason
    assert any("gen 1 failed" in line for line in lines)
    assert not list((clone / ".agent" / "worktrees").iterdir())


def test_the_healthy_agent_starts_and_dry_runs(tmp_path: Path) -> None:
    """verify_start passes on an unbroken copy: import, --help and a mock dry run all work."""
    clone = clone_agent(tmp_path)
    assert verify_start(clone, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}) is None
    assert list((clone / "reports").glob("gen-*.json"))
