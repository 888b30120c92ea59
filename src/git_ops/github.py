"""GitHub pull requests via PyGithub: push, open, inspect, merge, close; one sentence per error."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

from self_improving_agent.base.config import GithubSection
from self_improving_agent.base.errors import ConfigError, GitError, GitHubError
from self_improving_agent.base.gitcmd import GitRun, git
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.git_ops.github_model import (
    SCOPES,
    CheckItem,
    ChecksInfo,
    PullInfo,
    ReviewInfo,
    api_error_sentence,
    check_run_state,
    checked_repo_name,
    message_of,
    rate_limit_wait,
    status_state,
    summarize_checks,
)

if TYPE_CHECKING:
    from github.PullRequest import PullRequest
    from github.Repository import Repository
    from urllib3.util.retry import Retry

T = TypeVar("T")
MergeMethod = Literal["merge", "squash", "rebase"]

INSTALL_HINT = "install the github extra: pip install 'self-improving-agent[github]'"
DEFAULT_TIMEOUT_S = 30


class GitHubIntegration:
    """One repository on GitHub (or GitHub Enterprise): branches, pull requests, reviews, checks."""

    def __init__(
        self,
        repo_path: Path,
        settings: GithubSection,
        token: str | None = None,
        repo_name: str | None = None,
        *,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        polite: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import github
            from github.GithubException import GithubException
        except ImportError:
            raise ConfigError(f"GitHub mode needs PyGithub; {INSTALL_HINT}") from None
        self._repo_path = repo_path
        self._settings = settings
        self._token = token or os.environ.get("GITHUB_TOKEN") or ""
        if not self._token:
            raise ConfigError(f"GITHUB_TOKEN is not set; export a token with {SCOPES}")
        self.repo_name = checked_repo_name(repo_name, settings.repo)
        api_url = settings.api_url.rstrip("/")
        if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).hostname:
            raise ConfigError(
                f"[github] api_url {settings.api_url!r} is not an http(s) URL; "
                "use https://api.github.com or https://HOST/api/v3"
            )
        self._api_url = api_url
        self._clock = clock
        self._sleep = sleep
        self._api_errors: tuple[type[Exception], ...] = (GithubException, OSError)
        self._client = github.Github(
            auth=github.Auth.Token(self._token),
            base_url=api_url,
            timeout=timeout_s,
            user_agent="self-improving-agent",
            retry=_polite_retry() if polite else None,
            seconds_between_requests=0.25 if polite else None,
            seconds_between_writes=1.0 if polite else None,
            lazy=True,
        )

    def push_branch(self, name: str) -> None:
        """Push a local branch to the configured remote under the same name."""
        remote = self._settings.remote
        where = self._repo_path
        try:
            if git(where, "rev-parse", "--is-inside-work-tree").returncode != 0:
                raise GitHubError(f"{where} is not a git repository")
            if git(where, "rev-parse", "--verify", "-q", f"refs/heads/{name}").returncode != 0:
                raise GitHubError(f"cannot push branch '{name}': no such branch in {where}")
            if git(where, "remote", "get-url", remote).returncode != 0:
                raise GitHubError(
                    f"git remote '{remote}' is not configured in {where}; add it with "
                    f"`git remote add {remote} URL` or set [github] remote"
                )
            pushed = git(where, "push", remote, f"refs/heads/{name}:refs/heads/{name}")
        except GitError as exc:
            raise GitHubError(str(exc)) from None
        if pushed.returncode != 0:
            raise GitHubError(
                f"pushing branch '{name}' to remote '{remote}' failed: {self._git_detail(pushed)}; "
                "check the remote URL and your git credentials"
            )

    def delete_remote_branch(self, name: str) -> None:
        """Delete a branch from the configured remote (a push whose PR could not be opened)."""
        remote = self._settings.remote
        try:
            done = git(self._repo_path, "push", remote, "--delete", f"refs/heads/{name}")
        except GitError as exc:
            raise GitHubError(str(exc)) from None
        if done.returncode != 0:
            raise GitHubError(
                f"deleting branch '{name}' from remote '{remote}' failed: "
                f"{self._git_detail(done)}; delete it by hand"
            )

    def check_access(self) -> None:
        """Fail early unless the repository exists and the token may push to it."""
        repo = self._repo()
        permissions = self._call(f"read repository {self.repo_name}", lambda: repo.permissions)
        # App installation tokens and some Enterprise servers send no permissions object: push
        # access is then unknown here and the first push tells.
        if permissions is not None and not permissions.push:
            raise GitHubError(f"the token cannot push to {self.repo_name}; it needs {SCOPES}")

    def create_pr(self, title: str, body: str, head: str, base: str) -> PullInfo:
        """Open a pull request from head into base."""
        repo = self._repo()
        return self._call(
            f"open a pull request from '{head}' into '{base}'",
            lambda: _pull_info(repo.create_pull(base=base, head=head, title=title, body=body)),
        )

    def get_pr(self, number: int) -> PullInfo:
        """The current state of a pull request."""
        repo = self._repo()
        return self._call(f"read pull request #{number}", lambda: _pull_info(repo.get_pull(number)))

    def open_prs(self, head_prefix: str = "agent/") -> list[PullInfo]:
        """Open pull requests whose branch starts with head_prefix."""
        repo = self._repo()
        pulls = self._call(
            "list open pull requests",
            lambda: [_pull_info(pr) for pr in repo.get_pulls(state="open")],
        )
        return [pull for pull in pulls if pull.head_ref.startswith(head_prefix)]

    def get_reviews(self, number: int) -> list[ReviewInfo]:
        """Every submitted review, oldest first."""
        repo = self._repo()
        return self._call(
            f"read the reviews of pull request #{number}",
            lambda: [
                ReviewInfo(
                    id=review.id,
                    state=review.state,
                    author=review.user.login if review.user else None,
                    body=review.body or "",
                    submitted_at=review.submitted_at,
                    commit_id=review.commit_id,
                )
                for review in repo.get_pull(number).get_reviews()
            ],
        )

    def get_checks(self, number: int) -> ChecksInfo:
        """Commit statuses and check runs of the pull request's head commit, with a verdict."""
        repo = self._repo()

        def fetch() -> ChecksInfo:
            """Read the head sha, then both kinds of checks for it."""
            sha = repo.get_pull(number).head.sha
            commit = repo.get_commit(sha)
            items = [
                CheckItem(
                    name=status.context,
                    kind="status",
                    state=status_state(status.state),
                    detail=status.state,
                )
                for status in commit.get_combined_status().statuses
            ]
            items += [
                CheckItem(
                    name=run.name,
                    kind="check_run",
                    state=check_run_state(run.status, run.conclusion),
                    detail=run.conclusion or run.status,
                )
                for run in commit.get_check_runs()
            ]
            return ChecksInfo(head_sha=sha, state=summarize_checks(items), items=items)

        return self._call(f"read the checks of pull request #{number}", fetch)

    def merge_pr(
        self, number: int, method: MergeMethod | None = None, *, expected_head_sha: str
    ) -> str:
        """Merge only if the head is still expected_head_sha; returns the merge commit sha."""
        repo = self._repo()
        how = method or self._settings.merge_method
        result = self._call(
            f"merge pull request #{number} ({how}, head {expected_head_sha[:12]})",
            lambda: repo.get_pull(number).merge(merge_method=how, sha=expected_head_sha),
        )
        if not result.merged:
            raise GitHubError(f"GitHub did not merge pull request #{number}: {result.message}")
        return str(result.sha)

    def close_pr(self, number: int, comment: str | None = None) -> None:
        """Close a pull request without merging, saying why first when a comment is given."""
        if comment:
            self.comment(number, comment)
        repo = self._repo()
        self._call(
            f"close pull request #{number}", lambda: repo.get_pull(number).edit(state="closed")
        )

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add labels to a pull request; GitHub creates labels it does not know."""
        if not labels:
            return
        repo = self._repo()
        self._call(
            f"label pull request #{number}",
            lambda: repo.get_issue(number).add_to_labels(*labels),
        )

    def comment(self, number: int, body: str) -> None:
        """Post a conversation comment on a pull request."""
        repo = self._repo()
        self._call(
            f"comment on pull request #{number}",
            lambda: repo.get_issue(number).create_comment(body),
        )

    def _repo(self) -> Repository:
        """The lazy repository handle; no request is made until it is used."""
        return self._client.get_repo(self.repo_name)

    def _call(self, what: str, action: Callable[[], T]) -> T:
        """Run one API action; a near rate-limit reset is awaited once; errors become sentences."""
        try:
            return action()
        except self._api_errors as exc:
            wait = self._wait_for(exc)
            if wait is None or wait > self._settings.rate_limit_max_wait_s:
                raise self._translate(exc, what) from None
        self._sleep(wait)
        try:
            return action()
        except self._api_errors as exc:
            raise self._translate(exc, what) from None

    def _wait_for(self, exc: Exception) -> float | None:
        """Seconds until a rate-limited call may be retried; None for any other failure."""
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            return None
        headers = getattr(exc, "headers", None) or {}
        return rate_limit_wait(
            status, headers, message_of(getattr(exc, "data", None)), self._clock()
        )

    def _translate(self, exc: Exception, what: str) -> GitHubError:
        """The GitHubError sentence for a failed call."""
        wait = self._wait_for(exc)
        status = getattr(exc, "status", None)
        if wait is not None:
            reset = datetime.fromtimestamp(self._clock() + wait, UTC).strftime("%Y-%m-%d %H:%M:%S")
            bound = self._settings.rate_limit_max_wait_s
            return GitHubError(
                f"GitHub rate limit reached while trying to {what}; it resets at {reset} UTC "
                f"(the agent waits at most [github] rate_limit_max_wait_s={bound:g} s); "
                "run again after that time"
            )
        if isinstance(status, int):
            data = getattr(exc, "data", None)
            return GitHubError(api_error_sentence(status, data, what, self.repo_name))
        detail = redact(str(exc), [self._token, *secret_values(os.environ)])
        return GitHubError(
            f"cannot reach GitHub at {self._api_url} to {what} ({detail}); "
            "check [github] api_url and the network"
        )

    def _git_detail(self, done: GitRun) -> str:
        """The line of git's output that says what went wrong, with any credential removed."""
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        # Git explains a refused ref on a "!" line and other failures on the first fatal/error.
        ranked = (
            [line for line in lines if line.startswith("!")]
            + [line for line in lines if line.startswith(("fatal:", "error:"))]
            + lines[-1:]
        )
        text = ranked[0] if ranked else f"git exited with status {done.returncode}"
        return redact(text, [self._token, *secret_values(os.environ)])


def _pull_info(pr: PullRequest) -> PullInfo:
    """Copy the fields the loop uses out of a PyGithub pull request."""
    return PullInfo(
        number=pr.number,
        title=pr.title,
        state=pr.state,
        merged=bool(pr.merged),
        head_sha=pr.head.sha,
        head_ref=pr.head.ref,
        base_ref=pr.base.ref,
        html_url=pr.html_url,
        author=pr.user.login if pr.user else None,
        created_at=pr.created_at,
        merge_commit_sha=pr.merge_commit_sha,
    )


def _polite_retry() -> Retry:
    """Retry idempotent reads on transient 5xx; rate limits are bounded by _call, not here."""
    from urllib3.util.retry import Retry

    return Retry(
        total=3,
        backoff_factor=1.0,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=False,
    )
