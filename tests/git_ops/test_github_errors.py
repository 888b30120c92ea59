"""GitHubIntegration's errors and configuration: each failure is one sentence naming its fix."""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from self_improving_agent.base.config import GithubSection
from self_improving_agent.base.errors import ConfigError, GitHubError
from self_improving_agent.git_ops.github import GitHubIntegration
from tests.git_ops.github_kit import NOW, REPO, TOKEN, Clock, connect

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

# Registered as a plugin, not imported, so pytest can still rewrite its module.
pytest_plugins = ["tests.git_ops.fake_github", "tests.git_ops.github_fixtures"]


def test_a_refused_token_names_github_token(
    work: Path, fake_github: FakeGitHub, clock: Clock
) -> None:
    gh = connect(work, fake_github, clock, token="ghp_wrong_token")
    with pytest.raises(GitHubError, match=r"refused the token .*401 Bad credentials.*GITHUB_TOKEN"):
        gh.get_pr(1)


def test_an_unknown_repository_names_github_repo(
    work: Path, fake_github: FakeGitHub, clock: Clock
) -> None:
    section = GithubSection(api_url=fake_github.url)
    gh = GitHubIntegration(work, section, token=TOKEN, repo_name="octo/missing", polite=False)
    with pytest.raises(GitHubError, match=r"\(404\): repository 'octo/missing'.*GITHUB_REPO"):
        gh.get_pr(1)


def test_an_unknown_pr_is_a_404(gh: GitHubIntegration) -> None:
    with pytest.raises(GitHubError, match=r"read pull request #42 \(404\)"):
        gh.get_pr(42)


def test_missing_permission_names_the_scopes(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    fake_github.force(403, "Resource not accessible by integration", method="PUT")
    with pytest.raises(GitHubError, match=r"403 Resource not accessible.*`repo`.*Pull requests"):
        gh.merge_pr(pr, expected_head_sha="a" * 40)


def test_check_access(gh: GitHubIntegration, fake_github: FakeGitHub) -> None:
    gh.check_access()
    fake_github.deny_push()
    with pytest.raises(GitHubError, match="cannot push to octo/demo"):
        gh.check_access()


def test_check_access_without_a_permissions_object_leaves_it_to_the_push(
    gh: GitHubIntegration, fake_github: FakeGitHub
) -> None:
    fake_github.state.push_permission = None
    gh.check_access()


def test_a_near_rate_limit_reset_is_waited_out_once(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub, clock: Clock
) -> None:
    fake_github.rate_limit(int(NOW) + 30)
    assert gh.get_pr(pr).number == pr
    assert clock.sleeps == [30.0]
    assert len(fake_github.requests("GET", f"/pulls/{pr}")) == 2


def test_a_far_rate_limit_reset_is_an_error_naming_the_time(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub, clock: Clock
) -> None:
    reset = int(NOW) + 3600
    fake_github.rate_limit(reset)
    expected = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%S")
    with pytest.raises(GitHubError, match=r"rate limit reached .*=900 s\); run again") as caught:
        gh.get_pr(pr)
    assert f"resets at {expected} UTC" in str(caught.value)
    assert clock.sleeps == []


def test_a_rate_limit_that_outlasts_the_wait_fails_after_one_retry(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub, clock: Clock
) -> None:
    fake_github.rate_limit(int(NOW) + 5, times=2)
    with pytest.raises(GitHubError, match="rate limit reached"):
        gh.get_pr(pr)
    assert clock.sleeps == [5.0]


def test_a_429_with_retry_after_waits_that_long(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub, clock: Clock
) -> None:
    fake_github.force(429, "Too many requests", headers={"retry-after": "7"}, method="POST")
    gh.comment(pr, "hello")
    assert clock.sleeps == [7.0]
    assert fake_github.state.comments[pr] == ["hello"]


def test_an_unreachable_api_is_one_sentence(work: Path, clock: Clock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    section = GithubSection(api_url=f"http://127.0.0.1:{port}", repo=REPO)
    gh = GitHubIntegration(work, section, token=TOKEN, timeout_s=2, polite=False)
    with pytest.raises(GitHubError, match=rf"cannot reach GitHub at http://127.0.0.1:{port} "):
        gh.get_pr(1)


def test_the_polite_client_still_answers(work: Path, fake_github: FakeGitHub) -> None:
    section = GithubSection(api_url=fake_github.url, repo=REPO)
    gh = GitHubIntegration(work, section, token=TOKEN, timeout_s=5)
    with pytest.raises(GitHubError, match="404"):
        gh.get_pr(1)


def test_token_and_repo_come_from_the_environment(
    work: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPO", REPO)
    gh = GitHubIntegration(work, GithubSection(api_url=fake_github.url), polite=False)
    assert gh.repo_name == REPO
    gh.check_access()


@pytest.mark.parametrize(
    ("env", "settings", "message"),
    [
        ({"GITHUB_REPO": REPO}, {}, "GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": TOKEN}, {}, r"set GITHUB_REPO=owner/repo or \[github\] repo"),
        ({"GITHUB_TOKEN": TOKEN, "GITHUB_REPO": "just-a-name"}, {}, "not of the form owner/repo"),
        ({"GITHUB_TOKEN": TOKEN}, {"repo": REPO, "api_url": "ftp://x"}, "not an http"),
    ],
)
def test_configuration_problems_are_config_errors(
    work: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    settings: dict[str, str],
    message: str,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_REPO", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        GitHubIntegration(work, GithubSection(**settings))


def test_without_pygithub_the_error_says_how_to_install(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "github", None)
    with pytest.raises(ConfigError, match=r"pip install 'self-improving-agent\[github\]'"):
        GitHubIntegration(work, GithubSection(repo=REPO), token=TOKEN)
