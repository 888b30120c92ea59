"""`agent run/loop --github`, `agent status` and `agent prs` against FakeGitHub on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.store import Store
from self_improving_agent.cli.app import app
from tests.conftest import git
from tests.loop_kit import good_script, sample_repo, write_script

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

pytest_plugins = ["tests.git_ops.fake_github"]

runner = CliRunner()
TOKEN = "ghp_fake_token_for_tests"


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the GitHub variables it sets."""
    for name in ("GITHUB_TOKEN", "GITHUB_REPO"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def work(tmp_path: Path, fake_github: FakeGitHub) -> Path:
    """The sample repository with the fake's bare repository as origin, main pushed."""
    repo = sample_repo(tmp_path / "work")
    git(repo, "remote", "add", "origin", str(fake_github.bare_repo))
    git(repo, "push", "-q", "origin", "main")
    return repo


def env_for(fake: FakeGitHub, tmp_path: Path, token: str = TOKEN, **extra: str) -> dict[str, str]:
    """Environment of a GitHub-mode run with the mock provider's script."""
    script = write_script(tmp_path / "script.json", good_script())
    return {
        "COLUMNS": "300",
        "GITHUB_TOKEN": token,
        "GITHUB_REPO": "octo/demo",
        "AGENT_GITHUB__API_URL": fake.url,
        "AGENT_MOCK_SCRIPT": str(script),
        # The sample's new module lowers coverage a little; the gates are not under test here.
        "AGENT_BENCHMARK_THRESHOLD": "-1",
        **extra,
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the CLI and return exit code, stdout and stderr."""
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def agent_branches(repo: Path) -> str:
    """Local agent/gen-* branches."""
    return git(repo, "branch", "--list", "agent/gen-*")


def test_run_github_opens_a_pr_and_status_settles_it_later(
    work: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    env = env_for(fake_github, tmp_path)
    code, out, err = invoke(env, "run", "--repo", str(work), "--provider", "mock", "--github")
    assert code == 0, err
    assert "gen 1 awaiting_review" in out
    assert "PR #1 opened: https://github.example/octo/demo/pull/1" in out
    assert "### Benchmarks" in fake_github.state.pulls[1]["body"]

    code, out, _ = invoke(env, "prs", "--repo", str(work))
    assert code == 0
    assert "#1" in out and "awaiting_review" in out and "agent gen-1:" in out

    code, _, err = invoke({**env, "GITHUB_TOKEN": ""}, "status", "--repo", str(work))
    assert code == 0
    assert "1 generation(s) await review on GitHub; not polled: GITHUB_TOKEN is not set" in err

    fake_github.add_review(1, "APPROVED", "looks right", author="alice")
    code, out, err = invoke(env, "status", "--repo", str(work))
    assert code == 0
    assert "polled GitHub for 1 awaiting PR(s)" in err
    assert "gen 1 accepted: PR #1 approved by @alice: looks right" in err
    assert "last:       gen 1 accepted" in out
    assert git(work, "rev-parse", "main") == git(fake_github.bare_repo, "rev-parse", "main")
    assert (work / "pkg/sub.py").is_file()

    code, out, _ = invoke(env, "prs", "--repo", str(work))
    assert out.strip() == "No open agent pull requests."


def test_loop_github_waits_and_closes_an_unreviewed_pr(
    work: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    env = env_for(
        fake_github,
        tmp_path,
        AGENT_GITHUB__POLL_INTERVAL_S="0.2",
        AGENT_GITHUB__REVIEW_TIMEOUT_S="0.5",
    )
    code, out, err = invoke(
        env, "loop", "--repo", str(work), "--provider", "mock", "--github", "--max-gen", "1"
    )
    assert code == 0, err
    assert "gen 1 awaiting_review" in out and "PR #1 opened" in out
    assert "waiting for the review of 1 PR(s)" in err
    assert "gen 1 rejected: no review of PR #1 within 0.5 s; closed" in err
    assert fake_github.state.pulls[1]["state"] == "closed"
    with Store.for_repo(work) as store:
        entry = store.get_generation(1)
        assert entry is not None and entry.status == "rejected"


def test_run_github_auto_merges(work: Path, tmp_path: Path, fake_github: FakeGitHub) -> None:
    env = env_for(fake_github, tmp_path)
    code, out, err = invoke(env, "run", "--repo", str(work), "--provider", "mock", "--github-auto")
    assert code == 0, err
    assert "gen 1 accepted" in out and "PR #1 merged as " in out
    assert git(work, "rev-parse", "main") == git(fake_github.bare_repo, "rev-parse", "main")


def test_github_without_a_token_fails_before_any_branch(
    work: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    env = env_for(fake_github, tmp_path, token="")
    code, _, err = invoke(env, "run", "--repo", str(work), "--provider", "mock", "--github")
    assert code == 1
    assert err.strip().startswith("error: GITHUB_TOKEN is not set; export a token with")
    assert agent_branches(work) == ""
    assert fake_github.requests() == []


def test_github_with_a_bad_token_fails_before_any_branch(
    work: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    env = env_for(fake_github, tmp_path, token="ghp_wrong")
    code, _, err = invoke(env, "run", "--repo", str(work), "--provider", "mock", "--github")
    assert code == 1
    assert "error: GitHub refused the token" in err and "401 Bad credentials" in err
    assert len(err.strip().splitlines()) == 1
    assert agent_branches(work) == ""


def test_github_without_pygithub_says_how_to_install(
    work: Path, tmp_path: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "github", None)
    env = env_for(fake_github, tmp_path)
    code, _, err = invoke(env, "loop", "--repo", str(work), "--provider", "mock", "--github")
    assert code == 1
    assert "pip install 'self-improving-agent[github]'" in err
    assert agent_branches(work) == ""


def test_refused_pr_is_the_generations_reason(
    work: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.force(
        422,
        "Validation Failed",
        errors=[{"message": "No commits between main and agent/gen-1"}],
        method="POST",
        path_contains="/pulls",
    )
    env = env_for(fake_github, tmp_path)
    code, out, _ = invoke(env, "run", "--repo", str(work), "--provider", "mock", "--github")
    assert code == 0
    assert "gen 1 rejected" in out
    assert "merge failed: GitHub rejected the request to open a pull request" in out
    with Store.for_repo(work) as store:
        entry = store.get_generation(1)
        assert entry is not None and entry.reason is not None
        assert entry.reason.endswith(
            "(422): Validation Failed; No commits between main and agent/gen-1"
        )
    assert agent_branches(work) == ""
