"""GitHub PR mode against FakeGitHub on 127.0.0.1 with a real bare repository as origin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from self_improving_agent.base.config import GithubSection, Settings
from self_improving_agent.base.errors import GitHubError
from self_improving_agent.base.models import EvolutionEntry, GenerationStatus, Plan
from self_improving_agent.base.store import Store
from self_improving_agent.cli.run import wait_for_reviews
from self_improving_agent.core.pr_mode import LABEL, GitHubFlow, pr_rows
from self_improving_agent.core.pr_settle import deciding_reviews, settle
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.git_ops.github import GitHubIntegration
from self_improving_agent.git_ops.github_model import PullInfo, ReviewInfo
from self_improving_agent.git_ops.worktree import GenerationGit
from self_improving_agent.reports.report_files import read_report, report_path, write_report
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git
from tests.loop_kit import NEW_MODULE, sample_repo

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

pytest_plugins = ["tests.git_ops.fake_github"]

REPO = "octo/demo"
TOKEN = "ghp_fake_token_for_tests"
NOW = 1_767_000_000.0


class Clock:
    """A clock that only moves when the code under test sleeps (or the test moves it)."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []
        self.on_sleep: list[Any] = []

    def time(self) -> float:
        """The current fake time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait, move time forward and run what the test scheduled."""
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep.pop(0)()


def iso(epoch: float) -> str:
    """A stored timestamp for a fake-clock time."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


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


def make_flow(
    work: Path,
    store: Store,
    fake: FakeGitHub,
    clock: Clock,
    *,
    auto: bool = False,
    token: str = TOKEN,
    **github: Any,
) -> GitHubFlow:
    """A flow pointed at the fake, without request pacing and on the fake clock."""
    section = GithubSection(
        api_url=fake.url, repo=REPO, poll_interval_s=30, review_timeout_s=100, **github
    )
    settings = Settings(github=section)
    client = GitHubIntegration(
        work, section, token=token, timeout_s=5, polite=False, clock=clock.time, sleep=clock.sleep
    )
    return GitHubFlow(
        section,
        settings.agent.reports_dir,
        store,
        GenerationGit(work),
        client,
        auto=auto,
        clock=clock.time,
        sleep=clock.sleep,
    )


def submit(
    flow: GitHubFlow, clock: Clock, number: int = 1, decision: Decision | None = None
) -> tuple[GenerationStatus, str]:
    """Run one generation's git side and submit it, recording the outcome like the Recorder."""
    flow.store.add_generation(
        EvolutionEntry(generation=number, status="running", started_at=iso(clock.now))
    )
    ws = flow.git.create(number)
    (ws.path / "pkg/sub.py").write_text(NEW_MODULE, encoding="utf-8")
    flow.git.commit(ws, f"agent gen-{number}: add sub")
    plan = Plan(title="Add a subtraction helper", files_to_modify=["pkg/sub.py"], rationale="r")
    report = GenerationReport(
        generation=number, status="running", started_at=iso(clock.now), plan=plan, decision=decision
    )
    status, reason = flow.submit(number, ws, report)
    report.status = status
    write_report(report, flow.git.root / "reports")
    flow.store.update_generation(number, status=status, reason=reason, finished_at=iso(clock.now))
    return status, reason


def with_ci(work: Path) -> None:
    """Commit a GitHub Actions workflow on main, so PRs from it are expected to get checks."""
    (work / ".github/workflows").mkdir(parents=True)
    (work / ".github/workflows/ci.yml").write_text("on: pull_request\n", encoding="utf-8")
    git(work, "add", ".github")
    git(work, "commit", "-qm", "ci")


def bare_main(fake: FakeGitHub) -> str:
    """The sha of main in the fake's bare repository."""
    return git(fake.bare_repo, "rev-parse", "main")


def stored(flow: GitHubFlow, number: int = 1) -> EvolutionEntry:
    """A generation's row."""
    entry = flow.store.get_generation(number)
    assert entry is not None
    return entry


@pytest.fixture
def clock() -> Clock:
    """A fresh fake clock."""
    return Clock()


def test_submit_opens_a_labelled_pr_with_the_review_packet(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    status, reason = submit(flow, clock)
    assert status == "awaiting_review"
    assert reason.startswith("PR #1 opened: https://github.example/octo/demo/pull/1")
    pull = fake_github.state.pulls[1]
    assert pull["title"] == "agent gen-1: Add a subtraction helper"
    assert pull["head"]["ref"] == "agent/gen-1"
    assert "## Generation 1: Add a subtraction helper" in pull["body"]
    assert "`reports/gen-1.json`" in pull["body"]
    assert fake_github.state.labels[1] == [LABEL]
    assert stored(flow).pr_number == 1
    assert git(fake_github.bare_repo, "rev-parse", "agent/gen-1")
    assert git(work, "branch", "--list", "agent/gen-*") == ""
    assert not (work / ".agent/worktrees/gen-1").exists()
    assert flow.poll() == []
    assert stored(flow).status == "awaiting_review"


def test_approved_pr_is_merged_and_local_main_fast_forwarded(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    fake_github.add_review(1, "APPROVED", "ship it", author="alice")
    lines = flow.poll()
    assert len(lines) == 1
    assert lines[0].startswith("gen 1 accepted: PR #1 approved by @alice: ship it; merged as ")
    assert "local main fast-forwarded" in lines[0]
    assert stored(flow).status == "accepted"
    assert git(work, "rev-parse", "main") == bare_main(fake_github)
    assert (work / "pkg/sub.py").read_text(encoding="utf-8") == NEW_MODULE
    merge = fake_github.requests("PUT", "/pulls/1/merge")[0]
    assert merge.body["sha"] == fake_github.state.pulls[1]["head"]["sha"]
    assert store.human_verdicts()[0] | {"decided_at": ""} == {
        "generation": 1,
        "pr_number": 1,
        "verdict": "approved",
        "reviewer": "alice",
        "body": "ship it",
        "decided_at": "",
    }
    settled = read_report(report_path(work / "reports", 1))
    assert settled.status == "accepted"
    assert settled.human_verdict == {
        "pr_number": 1,
        "verdict": "approved",
        "reviewer": "alice",
        "body": "ship it",
    }


def test_changes_requested_rejects_with_the_reviewers_words_and_closes(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    before = git(work, "rev-parse", "main")
    fake_github.add_review(1, "CHANGES_REQUESTED", "please add tests", author="bob")
    assert flow.poll() == ["gen 1 rejected: changes requested on PR #1 by @bob: please add tests"]
    assert stored(flow).reason == "changes requested on PR #1 by @bob: please add tests"
    assert fake_github.state.pulls[1]["state"] == "closed"
    assert "please add tests" in fake_github.state.comments[1][0]
    assert git(work, "rev-parse", "main") == before
    assert store.human_verdicts()[0]["verdict"] == "changes_requested"


def test_closed_by_a_person_is_rejected(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    fake_github.close_by_person(1)
    assert flow.poll() == ["gen 1 rejected: PR #1 closed by a person (no review)"]
    assert store.human_verdicts()[0]["verdict"] == "closed"


def test_unreviewed_pr_is_closed_at_the_timeout(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    clock.now += 99
    assert flow.poll() == []
    clock.now += 2
    assert flow.poll() == ["gen 1 rejected: no review of PR #1 within 100 s; closed"]
    assert fake_github.state.pulls[1]["state"] == "closed"
    assert fake_github.state.comments[1] == [
        "Closed by the agent: no review of PR #1 within 100 s; closed."
    ]
    assert fake_github.requests("PUT") == []


def test_failing_checks_block_an_approved_merge_until_they_pass(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, require_checks=True)
    with_ci(work)
    submit(flow, clock)
    head = fake_github.state.pulls[1]["head"]["sha"]
    fake_github.add_review(1, "APPROVED", author="alice")
    fake_github.add_status(head, "ci", "failure")
    assert flow.poll() == ["gen 1: PR #1 is approved but its checks are failure"]
    assert fake_github.requests("PUT") == []
    assert stored(flow).status == "awaiting_review"
    fake_github.add_status(head, "ci", "success")
    assert flow.poll()[0].startswith("gen 1 accepted: PR #1 approved by @alice; merged as ")


def test_require_checks_without_any_workflow_is_said_at_submission(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, require_checks=True)
    status, reason = submit(flow, clock)
    assert status == "awaiting_review"
    assert reason.endswith(
        "; warning: [github] require_checks is on but the repository configures no checks (no "
        "workflow in .github/workflows), so an approval would wait for checks that never come; "
        "add CI or set require_checks = false"
    )


def test_auto_mode_with_require_checks_and_no_workflow_closes_at_once(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, auto=True, require_checks=True)
    status, reason = submit(flow, clock)
    assert status == "rejected"
    assert reason.startswith("PR #1 not merged: [github] require_checks is on but the repository")
    assert clock.sleeps == []
    assert fake_github.state.pulls[1]["state"] == "closed"
    assert fake_github.requests("PUT") == []


def test_auto_mode_merges_at_once(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, auto=True)
    status, reason = submit(flow, clock)
    assert status == "accepted"
    assert reason.startswith("PR #1 merged as ")
    assert reason.endswith("; local main fast-forwarded")
    assert git(work, "rev-parse", "main") == bare_main(fake_github)
    assert store.human_verdicts() == []


def test_auto_mode_leaves_a_change_that_main_tests_fail_to_a_person(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    why = "main's versions of 1 test(s) in test files this change rewrote fail against it: t"
    decision = Decision(accepted=True, reasons=["ok"], needs_human=[why])
    flow = make_flow(work, store, fake_github, clock, auto=True)
    status, reason = submit(flow, clock, decision=decision)
    assert status == "awaiting_review"
    assert reason.endswith(f"not merged automatically: {why}")
    assert f"a person must decide:**\n\n- {why}" in fake_github.state.pulls[1]["body"]
    assert git(work, "rev-parse", "main") != git(fake_github.bare_repo, "rev-parse", "agent/gen-1")


def test_auto_mode_waits_for_checks_and_closes_on_failure(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock, auto=True, require_checks=True)
    with_ci(work)
    # CI reports only after the agent has waited once.
    clock.on_sleep.append(
        lambda: fake_github.add_check_run(
            fake_github.state.pulls[1]["head"]["sha"], "tests", conclusion="failure"
        )
    )
    status, reason = submit(flow, clock)
    assert (status, reason) == ("rejected", "PR #1 not merged: its checks are failure")
    assert clock.sleeps == [30]
    assert fake_github.state.pulls[1]["state"] == "closed"
    assert fake_github.requests("PUT") == []


def test_moved_head_is_not_merged(
    work: Path, store: Store, fake_github: FakeGitHub, clock: Clock
) -> None:
    flow = make_flow(work, store, fake_github, clock)
    submit(flow, clock)
    fake_github.add_review(1, "APPROVED", author="alice")
    fake_github.move_head(1, "f" * 40)
    # The approval was for the old head, so it no longer counts.
    assert flow.poll() == []
    assert fake_github.requests("PUT") == []


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
