"""GitHub PR mode: accepted generations become PRs that a person (or --github-auto) settles."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.config import GithubSection
from self_improving_agent.base.errors import AgentError, GitError, GitHubError
from self_improving_agent.base.models import EvolutionEntry, GenerationStatus
from self_improving_agent.base.store import Store
from self_improving_agent.core.pr_settle import Settlement, deciding_reviews, settle
from self_improving_agent.git_ops.github import GitHubIntegration
from self_improving_agent.git_ops.github_model import ChecksState, PullInfo
from self_improving_agent.git_ops.mainline import advance_main
from self_improving_agent.git_ops.runner import run
from self_improving_agent.git_ops.worktree import GenerationGit, Workspace
from self_improving_agent.reports.pr_body import render_pr_body
from self_improving_agent.reports.report_files import amend_report, report_path
from self_improving_agent.reports.report_model import GenerationReport

LABEL = "self-improving-agent"
NO_CHECKS = (
    "[github] require_checks is on but the repository configures no checks (no workflow in "
    ".github/workflows)"
)
NO_CHECKS_FIX = "add CI or set require_checks = false"


class PrRow(BaseModel):
    """One agent pull request as `agent prs` shows it."""

    pr_number: int
    generation: int | None
    title: str
    state: str
    stored_status: str | None
    review: str
    checks: str
    url: str


def configures_checks(tree: Path) -> bool:
    """Whether the tree has a GitHub Actions workflow, the checks a PR from it would get."""
    folder = tree / ".github" / "workflows"
    return folder.is_dir() and any(p.suffix in (".yml", ".yaml") for p in folder.iterdir())


def _epoch(stamp: str) -> float:
    """Seconds since the epoch of a stored ISO 8601 time."""
    return datetime.fromisoformat(stamp).timestamp()


class GitHubFlow:
    """The PullRequestFlow of GitHub mode: submit opens (and in auto mode merges) a PR."""

    def __init__(
        self,
        section: GithubSection,
        reports_dir: str,
        store: Store,
        git: GenerationGit,
        github: GitHubIntegration,
        *,
        auto: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.section = section
        self.reports_dir = reports_dir
        self.store = store
        self.git = git
        self.github = github
        self.auto = auto
        self.clock = clock
        self.sleep = sleep

    def check_ready(self) -> None:
        """Fail before any branch exists when the remote, the repository or the token is wrong."""
        remote = self.section.remote
        if run(self.git.root, "remote", "get-url", remote, check=False).status != 0:
            raise AgentError(
                f"git remote '{remote}' is not configured in {self.git.root}; add it with "
                f"`git remote add {remote} URL` or set [github] remote"
            )
        self.github.check_access()

    def submit(
        self, number: int, ws: Workspace, report: GenerationReport
    ) -> tuple[GenerationStatus, str]:
        """Push the branch, open the PR with the review packet, label it; merge it in auto mode."""
        title = f"agent gen-{number}: {report.plan.title if report.plan else 'untitled change'}"
        relpath = f"{self.reports_dir.strip('/')}/gen-{number}.json"
        no_checks = self.section.require_checks and not configures_checks(ws.path)
        # The PR goes into the main line the generation was built from.
        base = ws.target or self.git.main_branch
        self.github.push_branch(ws.branch)
        try:
            pull = self.github.create_pr(title, render_pr_body(report, relpath), ws.branch, base)
        except GitHubError as exc:
            # A pushed branch with no PR would sit on the remote for nobody; take it back.
            try:
                self.github.delete_remote_branch(ws.branch)
            except GitHubError as cleanup:
                raise GitHubError(f"{exc}; also {cleanup}") from None
            raise
        self.store.update_generation(number, pr_number=pull.number, branch=ws.branch)
        # The branch lives on the remote now; the local copy would only block later cleanups.
        self.git.remove(ws)
        note = ""
        try:
            self.github.add_labels(pull.number, [LABEL])
        except GitHubError as exc:
            note = f" (not labelled: {exc})"
        human = report.decision.needs_human if report.decision else []
        if self.auto and no_checks:
            reason = f"PR #{pull.number} not merged: {NO_CHECKS}; {NO_CHECKS_FIX}"
            self.github.close_pr(pull.number, f"Closed by the agent: {reason}.")
            return "rejected", reason
        if self.auto and not human:
            return self._auto_merge(pull, base)
        if human:
            note += f"; not merged automatically: {'; '.join(human)}"
        if no_checks:
            note += (
                f"; warning: {NO_CHECKS}, so an approval would wait for checks that never come; "
                f"{NO_CHECKS_FIX}"
            )
        return "awaiting_review", f"PR #{pull.number} opened: {pull.html_url}{note}"

    def _auto_merge(self, pull: PullInfo, base: str) -> tuple[GenerationStatus, str]:
        """Merge at once through the API, after green checks when they are required."""
        try:
            if self.section.require_checks:
                state = self._await_checks(pull.number)
                if state != "success":
                    reason = f"PR #{pull.number} not merged: its checks are {state}"
                    self.github.close_pr(pull.number, f"Closed by the agent: {reason}.")
                    return "rejected", reason
            sha = self.github.merge_pr(pull.number, expected_head_sha=pull.head_sha)
        except GitHubError as exc:
            return "rejected", f"PR #{pull.number} not merged: {exc}"
        return "accepted", f"PR #{pull.number} merged as {sha[:10]}{self._sync_main(sha, base)}"

    def _await_checks(self, number: int) -> ChecksState:
        """Poll the PR's checks until they finish or the review timeout passes."""
        deadline = self.clock() + self.section.review_timeout_s
        while True:
            state = self.github.get_checks(number).state
            if state != "pending" or self.clock() >= deadline:
                return state
            self.sleep(self.section.poll_interval_s)

    def _sync_main(self, merge_sha: str, branch: str) -> str:
        """Fast-forward the local main line to the merged PR; a note when it cannot move safely."""
        remote, root = self.section.remote, self.git.root
        try:
            run(root, "fetch", "--quiet", remote, f"refs/heads/{branch}")
            old = self.git.main_sha(branch)
            ancestor = run(root, "merge-base", "--is-ancestor", old, merge_sha, check=False)
            if ancestor.status != 0:
                return (
                    f"; local {branch} has commits the remote lacks and was left alone; "
                    f"run `git pull {remote} {branch}`"
                )
            advance_main(root, branch, old, merge_sha, f"fast-forward to {merge_sha[:10]}")
        except GitError as exc:
            return f"; local {branch} not updated: {exc}"
        return f"; local {branch} fast-forwarded"

    def poll(self) -> list[str]:
        """Settle awaiting PRs that got a verdict or timed out; one line per change."""
        lines = []
        for entry in self.store.list_generations("awaiting_review"):
            if entry.pr_number is None:
                continue
            try:
                line = self._poll_one(entry, entry.pr_number)
            except GitHubError as exc:
                line = f"gen {entry.generation}: PR #{entry.pr_number} not checked: {exc}"
            if line:
                lines.append(line)
        return lines

    def _poll_one(self, entry: EvolutionEntry, number: int) -> str | None:
        """Look at one PR and record its outcome when it has one."""
        pull = self.github.get_pr(number)
        reviews = self.github.get_reviews(number)
        gh = self.section
        checks = None
        if gh.require_checks and pull.state == "open" and deciding_reviews(reviews, pull.head_sha):
            checks = self.github.get_checks(number).state
        age = self.clock() - _epoch(entry.finished_at or entry.started_at)
        result = settle(pull, reviews, checks, age, gh.review_timeout_s, gh.require_checks)
        if result.action == "wait":
            return f"gen {entry.generation}: {result.reason}" if result.reason else None
        status: GenerationStatus = "rejected"
        reason = result.reason
        base = self.git.built_from(entry.generation)
        if result.action == "merge":
            sha = self.github.merge_pr(number, expected_head_sha=pull.head_sha)
            status, reason = (
                "accepted",
                f"{reason}; merged as {sha[:10]}{self._sync_main(sha, base)}",
            )
        elif result.action == "accept":
            status = "accepted"
            if pull.merge_commit_sha:
                reason += self._sync_main(pull.merge_commit_sha, base)
        elif result.close:
            self.github.close_pr(number, f"Closed by the agent: {result.reason}.")
        self._record(entry.generation, number, status, reason, result)
        return f"gen {entry.generation} {status}: {reason}"

    def _record(
        self,
        generation: int,
        number: int,
        status: GenerationStatus,
        reason: str,
        result: Settlement,
    ) -> None:
        """Store the outcome and the human verdict, and bring the report's status up to date."""
        self.store.update_generation(generation, status=status, reason=reason)
        if result.verdict is not None:
            self.store.add_human_verdict(
                generation, number, result.verdict, result.reviewer, result.body
            )
        path = report_path(self.git.root / self.reports_dir, generation)
        if path.is_file():
            verdict: dict[str, object] | None = None
            if result.verdict is not None:
                verdict = {
                    "pr_number": number,
                    "verdict": result.verdict,
                    "reviewer": result.reviewer,
                    "body": result.body,
                }
            try:
                amend_report(path, status, human_verdict=verdict)
            except AgentError:
                return


def pr_rows(github: GitHubIntegration, entries: Sequence[EvolutionEntry]) -> list[PrRow]:
    """The open agent PRs on GitHub with their review, checks and stored status."""
    by_pr = {e.pr_number: e for e in entries if e.pr_number is not None}
    rows = []
    for pull in github.open_prs():
        entry = by_pr.get(pull.number)
        deciding = deciding_reviews(github.get_reviews(pull.number), pull.head_sha)
        rows.append(
            PrRow(
                pr_number=pull.number,
                generation=entry.generation if entry else None,
                title=pull.title,
                state=pull.state,
                stored_status=entry.status if entry else None,
                review=", ".join(sorted({r.state.lower() for r in deciding})) or "none",
                checks=github.get_checks(pull.number).state,
                url=pull.html_url,
            )
        )
    return rows


def connect(
    repo: Path,
    section: GithubSection,
    reports_dir: str,
    store: Store,
    git: GenerationGit,
    *,
    auto: bool = False,
    github: GitHubIntegration | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> GitHubFlow:
    """The GitHub flow for a repository; ConfigError with a hint when PyGithub or a token lacks."""
    client = github or GitHubIntegration(repo, section)
    return GitHubFlow(section, reports_dir, store, git, client, auto=auto, clock=clock, sleep=sleep)
