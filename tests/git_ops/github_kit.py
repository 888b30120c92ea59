"""What the GitHubIntegration tests share: the fake's names, a fake clock, the connection."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from self_improving_agent.base.config import GithubSection
from self_improving_agent.git_ops.github import GitHubIntegration
from tests.conftest import git

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

REPO = "octo/demo"
TOKEN = "ghp_fake_token_for_tests"
BRANCH = "agent/gen-1"
NOW = 1_767_000_000.0


class Clock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []

    def time(self) -> float:
        """The current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move time forward."""
        self.sleeps.append(seconds)
        self.now += seconds


def connect(
    work: Path, fake: FakeGitHub, clock: Clock, token: str = TOKEN, **settings: Any
) -> GitHubIntegration:
    """An integration pointed at the fake, with no pacing and the fake clock."""
    section = GithubSection(api_url=fake.url, repo=REPO, **settings)
    return GitHubIntegration(
        work, section, token=token, timeout_s=5, polite=False, clock=clock.time, sleep=clock.sleep
    )


def remote_sha(bare: Path, branch: str) -> str:
    """The sha a branch points to in the bare repository, per git ls-remote."""
    out = git(bare, "ls-remote", str(bare), f"refs/heads/{branch}")
    return out.split()[0] if out else ""
