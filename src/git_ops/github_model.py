"""What GitHub's answers mean: pull, review and check models, rate limits and error sentences."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from self_improving_agent.base.errors import ConfigError

ChecksState = Literal["success", "failure", "pending"]
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]

SCOPES = (
    "the classic `repo` scope, or fine-grained Contents and Pull requests read/write "
    "plus Checks and Commit statuses read"
)
# GitHub asks for Retry-After, else the reset time, else at least a minute of waiting.
SECONDARY_LIMIT_WAIT_S = 60.0
PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})


class PullInfo(BaseModel):
    """A pull request as the loop needs it."""

    number: int
    title: str
    state: str
    merged: bool
    head_sha: str
    head_ref: str
    base_ref: str
    html_url: str
    author: str | None = None
    created_at: datetime | None = None
    merge_commit_sha: str | None = None


class ReviewInfo(BaseModel):
    """One submitted review of a pull request."""

    id: int
    state: ReviewState
    author: str | None
    body: str
    submitted_at: datetime | None
    commit_id: str | None = None


class CheckItem(BaseModel):
    """One commit status or check run, reduced to success, failure or pending."""

    name: str
    kind: Literal["status", "check_run"]
    state: ChecksState
    detail: str


class ChecksInfo(BaseModel):
    """Every status and check run of a pull request's head commit, and their verdict."""

    head_sha: str
    state: ChecksState
    items: list[CheckItem]


def status_state(raw: str) -> ChecksState:
    """A commit status (success, pending, failure, error) as a check verdict."""
    if raw == "success":
        return "success"
    return "pending" if raw == "pending" else "failure"


def check_run_state(status: str, conclusion: str | None) -> ChecksState:
    """A check run as a verdict: unfinished is pending; neutral and skipped pass."""
    if status != "completed":
        return "pending"
    return "success" if conclusion in PASSING_CONCLUSIONS else "failure"


def summarize_checks(items: Sequence[CheckItem]) -> ChecksState:
    """Any failure fails; no checks yet or any unfinished one is pending, since CI starts late."""
    states = {item.state for item in items}
    if "failure" in states:
        return "failure"
    return "pending" if not items or "pending" in states else "success"


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, now: float
) -> float | None:
    """Seconds to wait before retrying a rate-limited call, or None when it is not a rate limit."""
    limited = status == 429 or (
        status == 403
        and (
            headers.get("x-ratelimit-remaining") == "0"
            or "retry-after" in headers
            or "rate limit" in message.lower()
        )
    )
    if not limited:
        return None
    if "retry-after" in headers:
        return max(float(headers["retry-after"]), 0.0)
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        return max(float(headers["x-ratelimit-reset"]) - now, 0.0)
    return SECONDARY_LIMIT_WAIT_S


def api_error_sentence(status: int, data: Any, what: str, repo: str) -> str:
    """One sentence for an HTTP error GitHub returned while doing `what`."""
    message = message_of(data)
    if status == 401:
        return (
            f"GitHub refused the token while trying to {what} (401 {message}); "
            "check that GITHUB_TOKEN holds a valid, unexpired token"
        )
    if status == 403:
        return (
            f"GitHub denied permission to {what} in {repo} (403 {message}); "
            f"the token needs {SCOPES}"
        )
    if status == 404:
        return (
            f"GitHub found nothing while trying to {what} (404): repository '{repo}' or the "
            "pull request does not exist or the token cannot see it; check GITHUB_REPO "
            "(or [github] repo) and the token's repository access"
        )
    if status == 422:
        return f"GitHub rejected the request to {what} (422): {_validation_detail(data)}"
    return f"GitHub refused to {what} ({status}): {message}"


def message_of(data: Any) -> str:
    """GitHub's `message` field, or the whole payload when there is none."""
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data) if data else "no message"


def _validation_detail(data: Any) -> str:
    """GitHub's 422 message with each listed error, e.g. 'a pull request already exists'."""
    parts = [message_of(data)]
    errors = data.get("errors", []) if isinstance(data, dict) else []
    for error in errors:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                f"{key}={error[key]}" for key in ("resource", "field", "code") if key in error
            )
            parts.append(str(text))
        else:
            parts.append(str(error))
    return "; ".join(parts)


def checked_repo_name(explicit: str | None, configured: str | None) -> str:
    """owner/repo from the argument, GITHUB_REPO or [github] repo, checked for shape."""
    name = explicit or os.environ.get("GITHUB_REPO") or configured
    if not name:
        raise ConfigError(
            "no GitHub repository given; set GITHUB_REPO=owner/repo or [github] repo "
            "in config/agent.toml"
        )
    owner, _, repo = name.partition("/")
    if not owner or not repo or "/" in repo:
        raise ConfigError(f"GitHub repository {name!r} is not of the form owner/repo")
    return name
