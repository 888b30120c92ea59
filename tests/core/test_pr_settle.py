"""The pure rules of PR settling: each reviewer's latest verdict and what a PR's state means."""

from __future__ import annotations

from self_improving_agent.core.pr_settle import deciding_reviews, settle
from self_improving_agent.git_ops.github_model import PullInfo, ReviewInfo


def pull(state: str = "open", merged: bool = False) -> PullInfo:
    """A pull request with head sha h1."""
    return PullInfo(
        number=7,
        title="t",
        state=state,
        merged=merged,
        head_sha="h1",
        head_ref="agent/gen-1",
        base_ref="main",
        html_url="u",
    )


def review(state: str, author: str, commit: str | None = "h1", body: str = "") -> ReviewInfo:
    """A review of the pull request."""
    return ReviewInfo.model_validate(
        {
            "id": len(author),
            "state": state,
            "author": author,
            "body": body,
            "submitted_at": None,
            "commit_id": commit,
        }
    )


def test_deciding_reviews_keep_each_reviewers_latest_verdict() -> None:
    reviews = [
        review("CHANGES_REQUESTED", "a"),
        review("APPROVED", "a"),
        review("COMMENTED", "b"),
        review("APPROVED", "c", commit="old"),
        review("APPROVED", "d"),
        review("DISMISSED", "d"),
    ]
    assert [(r.author, r.state) for r in deciding_reviews(reviews, "h1")] == [("a", "APPROVED")]


def test_settle_rules() -> None:
    approve = [review("APPROVED", "a", body="ok")]
    assert settle(pull(), approve, None, 0, 10, False).action == "merge"
    assert settle(pull(), approve, "pending", 0, 10, True).action == "wait"
    assert settle(pull(), approve, "success", 0, 10, True).action == "merge"
    mixed = [*approve, review("CHANGES_REQUESTED", "b", body="no")]
    assert settle(pull(), mixed, None, 0, 10, False).reason.endswith("@b: no")
    assert settle(pull(merged=True), [], None, 0, 10, False).action == "accept"
    assert settle(pull(), [], None, 11, 10, False).verdict == "timeout"
    assert settle(pull(), [], None, 9, 10, False).action == "wait"
