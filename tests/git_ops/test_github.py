"""GitHubIntegration against FakeGitHub on 127.0.0.1 and a real bare repository as origin."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from self_improving_agent.base.errors import GitHubError
from self_improving_agent.git_ops.github import GitHubIntegration
from tests.conftest import git
from tests.git_ops.github_kit import BRANCH, REPO, TOKEN, Clock, connect, remote_sha

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

# Registered as a plugin, not imported, so pytest can still rewrite its module.
pytest_plugins = ["tests.git_ops.fake_github", "tests.git_ops.github_fixtures"]


def test_push_branch_lands_in_the_bare_remote(
    gh: GitHubIntegration, work: Path, fake_github: FakeGitHub
) -> None:
    gh.push_branch(BRANCH)
    assert remote_sha(fake_github.bare_repo, BRANCH) == git(work, "rev-parse", BRANCH).strip()


def test_push_of_an_unknown_branch_says_so(gh: GitHubIntegration) -> None:
    with pytest.raises(GitHubError, match="no such branch"):
        gh.push_branch("agent/gen-99")


def test_push_to_a_missing_remote_names_the_setting(
    work: Path, fake_github: FakeGitHub, clock: Clock
) -> None:
    gh = connect(work, fake_github, clock, remote="upstream")
    with pytest.raises(
        GitHubError, match=r"remote 'upstream' is not configured.*\[github\] remote"
    ):
        gh.push_branch(BRANCH)


def test_failed_push_is_one_sentence(gh: GitHubIntegration, work: Path, tmp_path: Path) -> None:
    git(work, "remote", "set-url", "origin", str(tmp_path / "nowhere.git"))
    with pytest.raises(GitHubError) as caught:
        gh.push_branch(BRANCH)
    message = str(caught.value)
    assert message.startswith(f"pushing branch '{BRANCH}' to remote 'origin' failed: fatal: ")
    assert "does not appear to be a git repository" in message
    assert "\n" not in message


def test_a_rejected_push_quotes_gits_reason(gh: GitHubIntegration, work: Path) -> None:
    gh.push_branch(BRANCH)
    git(work, "commit", "-q", "--amend", "-m", "rewritten")
    with pytest.raises(GitHubError, match=r"failed: ! \[rejected\].*non-fast-forward"):
        gh.push_branch(BRANCH)


def test_create_pr_sends_the_packet_to_the_enterprise_path(
    gh: GitHubIntegration, work: Path, fake_github: FakeGitHub
) -> None:
    gh.push_branch(BRANCH)
    body = "## Generation 1: Raise x\n\n| a | b |\n"
    pull = gh.create_pr("Raise x", body, BRANCH, "main")
    assert (pull.number, pull.state, pull.merged) == (1, "open", False)
    assert pull.head_sha == git(work, "rev-parse", BRANCH).strip()
    assert (pull.head_ref, pull.base_ref, pull.author) == (BRANCH, "main", "agent-bot")
    (sent,) = fake_github.requests("POST", "/pulls")
    assert sent.path == f"/repos/{REPO}/pulls"
    assert sent.body == {"base": "main", "head": BRANCH, "title": "Raise x", "body": body}
    assert sent.authorization == f"token {TOKEN}"


def test_second_pr_for_a_branch_is_a_422_with_githubs_words(gh: GitHubIntegration, pr: int) -> None:
    with pytest.raises(GitHubError, match=r"\(422\): Validation Failed; A pull request already"):
        gh.create_pr("Again", "body", BRANCH, "main")


def test_pr_from_an_unpushed_branch_is_a_422_naming_the_field(gh: GitHubIntegration) -> None:
    with pytest.raises(GitHubError, match="field=head code=invalid"):
        gh.create_pr("Raise x", "body", BRANCH, "main")


def test_get_pr_and_open_prs(gh: GitHubIntegration, pr: int, fake_github: FakeGitHub) -> None:
    assert gh.get_pr(pr).title == "Raise x"
    assert [p.number for p in gh.open_prs()] == [pr]
    assert gh.open_prs("feature/") == []
    fake_github.close_by_person(pr)
    assert gh.get_pr(pr).state == "closed"
    assert gh.open_prs() == []


def test_reviews_keep_state_author_words_and_time(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    assert gh.get_reviews(pr) == []
    fake_github.add_review(pr, "CHANGES_REQUESTED", "Please add a test.", author="alice")
    fake_github.add_review(pr, "APPROVED", "", author="bob")
    first, second = gh.get_reviews(pr)
    assert (first.state, first.author, first.body) == (
        "CHANGES_REQUESTED",
        "alice",
        "Please add a test.",
    )
    assert (second.state, second.author) == ("APPROVED", "bob")
    assert isinstance(first.submitted_at, datetime)
    assert first.commit_id == gh.get_pr(pr).head_sha


@pytest.mark.parametrize(
    ("statuses", "runs", "expected"),
    [
        (
            [("ci/lint", "success"), ("ci/test", "failure")],
            [("build", "completed", "success")],
            "failure",
        ),
        ([("ci/test", "success")], [("build", "completed", "timed_out")], "failure"),
        (
            [("ci/test", "success")],
            [("build", "completed", "success"), ("docs", "completed", "skipped")],
            "success",
        ),
        ([("ci/test", "success")], [("build", "in_progress", None)], "pending"),
        ([("ci/test", "pending")], [], "pending"),
        ([], [], "pending"),
    ],
)
def test_checks_combine_statuses_and_check_runs(
    gh: GitHubIntegration,
    pr: int,
    fake_github: FakeGitHub,
    statuses: list[tuple[str, str]],
    runs: list[tuple[str, str, str | None]],
    expected: str,
) -> None:
    sha = gh.get_pr(pr).head_sha
    for context, state in statuses:
        fake_github.add_status(sha, context, state)
    for name, status, conclusion in runs:
        fake_github.add_check_run(sha, name, status, conclusion)
    checks = gh.get_checks(pr)
    assert (checks.head_sha, checks.state) == (sha, expected)
    assert len(checks.items) == len(statuses) + len(runs)


def test_merge_passes_the_expected_sha_and_moves_main(
    work: Path, fake_github: FakeGitHub, clock: Clock
) -> None:
    gh = connect(work, fake_github, clock, merge_method="squash")
    gh.push_branch(BRANCH)
    pull = gh.create_pr("Raise x", "packet", BRANCH, "main")
    merged_sha = gh.merge_pr(pull.number, expected_head_sha=pull.head_sha)
    (sent,) = fake_github.requests("PUT", "/merge")
    assert sent.body == {"merge_method": "squash", "sha": pull.head_sha}
    assert remote_sha(fake_github.bare_repo, "main") == merged_sha
    assert git(fake_github.bare_repo, "show", f"{merged_sha}:app.py") == "x = 2\n"
    after = gh.get_pr(pull.number)
    assert (after.merged, after.merge_commit_sha) == (True, merged_sha)


def test_merge_method_argument_overrides_the_setting(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    head = gh.get_pr(pr).head_sha
    merged_sha = gh.merge_pr(pr, "merge", expected_head_sha=head)
    parents = git(fake_github.bare_repo, "rev-list", "--parents", "-n1", merged_sha).split()
    assert parents[2] == head


def test_a_moved_head_is_not_merged(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    reviewed = gh.get_pr(pr).head_sha
    main_before = remote_sha(fake_github.bare_repo, "main")
    fake_github.move_head(pr, "f" * 40)
    with pytest.raises(
        GitHubError, match=r"merge pull request #1 .*\(409\): Head branch was modified"
    ):
        gh.merge_pr(pr, expected_head_sha=reviewed)
    assert remote_sha(fake_github.bare_repo, "main") == main_before
    assert gh.get_pr(pr).merged is False


def test_close_posts_the_comment_first(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    gh.close_pr(pr, "No review within 24 h; closing.")
    assert fake_github.state.comments[pr] == ["No review within 24 h; closing."]
    writes = [(r.method, r.path) for r in fake_github.requests() if r.method != "GET"]
    assert writes[-2:] == [
        ("POST", f"/repos/{REPO}/issues/{pr}/comments"),
        ("PATCH", f"/repos/{REPO}/pulls/{pr}"),
    ]
    assert gh.get_pr(pr).state == "closed"


def test_close_without_comment_posts_none(
    gh: GitHubIntegration, pr: int, fake_github: FakeGitHub
) -> None:
    gh.close_pr(pr)
    assert pr not in fake_github.state.comments
    assert gh.get_pr(pr).state == "closed"


def test_labels_and_comments(gh: GitHubIntegration, pr: int, fake_github: FakeGitHub) -> None:
    gh.add_labels(pr, ["agent", "generation"])
    gh.add_labels(pr, [])
    gh.comment(pr, "Benchmarks re-run: unchanged.")
    assert fake_github.state.labels[pr] == ["agent", "generation"]
    assert len(fake_github.requests("POST", "/labels")) == 1
    assert fake_github.state.comments[pr] == ["Benchmarks re-run: unchanged."]
