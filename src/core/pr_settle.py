"""Settling a pull request: the pure answer from its reviews, checks and age."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from self_improving_agent.git_ops.github_model import ChecksState, PullInfo, ReviewInfo

Action = Literal["wait", "merge", "accept", "reject"]
Verdict = Literal["approved", "changes_requested", "closed", "merged", "timeout"]


class Settlement(BaseModel):
    """What to do with one awaiting pull request, and the human verdict behind it."""

    action: Action
    reason: str = ""
    verdict: Verdict | None = None
    reviewer: str | None = None
    body: str = ""
    close: bool = False


def deciding_reviews(reviews: Sequence[ReviewInfo], head_sha: str) -> list[ReviewInfo]:
    """Each reviewer's latest verdict; approvals of an older head no longer count."""
    latest: dict[str, ReviewInfo] = {}
    for item in reviews:
        if item.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[item.author or f"review {item.id}"] = item
    return [
        item
        for item in latest.values()
        if item.state == "CHANGES_REQUESTED"
        or (item.state == "APPROVED" and item.commit_id in (None, head_sha))
    ]


def _words(item: ReviewInfo) -> str:
    """Who said what, for a reason line."""
    who = f"@{item.author}" if item.author else "a reviewer"
    return f"{who}: {item.body.strip()}" if item.body.strip() else who


def settle(
    pull: PullInfo,
    reviews: Sequence[ReviewInfo],
    checks: ChecksState | None,
    age_s: float,
    timeout_s: float,
    require_checks: bool,
) -> Settlement:
    """Decide an awaiting PR from its state, reviews, checks and age; pure."""
    deciding = deciding_reviews(reviews, pull.head_sha)
    said = "; ".join(_words(r) for r in deciding) or "no review"
    if pull.merged:
        return Settlement(
            action="accept", verdict="merged", reason=f"PR #{pull.number} merged by a person"
        )
    if pull.state == "closed":
        return Settlement(
            action="reject",
            verdict="closed",
            reason=f"PR #{pull.number} closed by a person ({said})",
            body=said,
        )
    blocking = [r for r in deciding if r.state == "CHANGES_REQUESTED"]
    if blocking:
        first = blocking[0]
        return Settlement(
            action="reject",
            verdict="changes_requested",
            reviewer=first.author,
            body=first.body,
            reason=f"changes requested on PR #{pull.number} by {_words(first)}",
            close=True,
        )
    if deciding:
        approver = deciding[0]
        if require_checks and checks != "success":
            return Settlement(
                action="wait",
                reason=f"PR #{pull.number} is approved but its checks are {checks or 'unknown'}",
            )
        return Settlement(
            action="merge",
            verdict="approved",
            reviewer=approver.author,
            body=approver.body,
            reason=f"PR #{pull.number} approved by {_words(approver)}",
        )
    if age_s > timeout_s:
        return Settlement(
            action="reject",
            verdict="timeout",
            reason=f"no review of PR #{pull.number} within {timeout_s:g} s; closed",
            close=True,
        )
    return Settlement(action="wait")
