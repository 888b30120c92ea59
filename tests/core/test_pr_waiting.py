"""PR mode when GitHub fails or a PR waits: one-line errors, later processes, polling, rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from self_improving_agent.base.errors import GitHubError
from self_improving_agent.base.store import Store
from self_improving_agent.cli.run import wait_for_reviews
from self_improving_agent.core.pr_mode import pr_rows
from tests.conftest import git
from tests.core.pr_kit import (
    NOW,
    Clock,
    bare_main,
    make_flow,
    stored,
    submit,
)
from tests.loop_kit import sample_repo

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

pytest_plugins = ["tests.git_ops.fake_github"]


@pytest.fixture
def work(tmp_path: Path, fake_github: FakeGitHub) -> Path:
    """The sample repository with the fake's bare repository as origin, main pushed."""
    repo = sample_repo(tmp_path / "work")
    git(repo, "remote", "add", "origin", str(fake_github.bare_repo))
    git(repo, "push", "-q", "origin", "main")
    return repo


@pytest.fixture
def store(work: Path) -> Iterator[Store]:
    """The work repository's store."""
    with Store.for_repo(work) as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    """A fresh fake clock."""
    return Clock()


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (401, "Bad credentials", "refused the token"),
        (404, "Not Found", "GitHub found nothing while trying to read pull request #1"),
        (422, "Validation Failed", "GitHub rejected the request"),
    ],
)
def test_api_errors_become_one_line_and_leave_the_pr_waiting(
    work: Path,
    store: Store,
    fake_github: FakeGitHub,
    clock: Clock,
    status: int,
    message: str,
    expected: str,
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    fake_github.force(status, message, path_contains="/pulls/1")
    [line] = flow.poll()
    assert line.startswith("gen 1: PR #1 not checked: ")
    assert expected in line
    assert "\n" not in line
    assert stored(flow).status == "awaiting_review"


def test_rate_limit_beyond_the_bound_is_one_line(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, rate_limit_max_wait_s=10)
    submit(flow, clock)
    fake_github.rate_limit(int(NOW) + 3600)
    [line] = flow.poll()
    assert "GitHub rate limit reached while trying to read pull request #1" in line
    assert "run again after that time" in line


def test_create_pr_refused_raises_the_sentence(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    fake_github.force(
        422,
        "Validation Failed",
        errors=[{"message": "A pull request already exists for octo:agent/gen-1."}],
        method="POST",
        path_contains="/pulls",
    )
    with pytest.raises(GitHubError, match=r"\(422\).*already exists"):
        submit(flow, clock)
    # The branch pushed for it is taken back from the remote.
    assert git(fake_github.bare_repo, "for-each-ref", "refs/heads/agent/") == ""


def test_a_later_process_settles_the_waiting_pr(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    submit(make_flow(work, store, fake_github, clock), clock)
    store.close()
    fake_github.add_review(1, "APPROVED", author="alice")
    with Store.for_repo(work) as again:
        later = make_flow(work, again, fake_github, clock)
        assert later.poll()[0].startswith("gen 1 accepted")
        assert later.poll() == []
    assert git(work, "rev-parse", "main") == bare_main(fake_github)


def test_wait_for_reviews_polls_until_settled(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    clock.on_sleep += [lambda: None, lambda: fake_github.add_review(1, "APPROVED")]
    lines: list[str] = []
    results: list[str] = []
    wait_for_reviews(flow, lines.append, results.append)
    assert clock.sleeps == [30, 30]
    assert lines[0].startswith("waiting for the review of 1 PR(s), polling every 30 s")
    assert lines[1].startswith("gen 1 accepted")
    # The result line of gen 1 said awaiting_review when it ended; the settled one follows.
    assert len(results) == 1 and results[0].startswith("gen 1 accepted: PR #1 approved")


def test_wait_for_reviews_ends_at_the_timeout(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    lines: list[str] = []
    results: list[str] = []
    wait_for_reviews(flow, lines.append, results.append)
    assert clock.sleeps == [30, 30, 30, 30]
    assert lines[-1] == "gen 1 rejected: no review of PR #1 within 100 s; closed"
    assert results == ["gen 1 rejected: no review of PR #1 within 100 s; closed"]


def test_pr_rows_join_github_and_the_store(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    fake_github.add_review(1, "CHANGES_REQUESTED", author="bob")
    [row] = pr_rows(flow.github, store.list_generations())
    assert (row.pr_number, row.generation, row.stored_status) == (1, 1, "awaiting_review")
    assert (row.review, row.checks) == ("changes_requested", "pending")
