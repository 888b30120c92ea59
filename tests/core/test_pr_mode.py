"""GitHub PR mode against FakeGitHub on 127.0.0.1 with a real bare repository as origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from self_improving_agent.base.store import Store
from self_improving_agent.core.pr_mode import LABEL
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.reports.report_files import read_report, report_path
from tests.conftest import git
from tests.core.pr_kit import (
    Clock,
    bare_main,
    make_flow,
    stored,
    submit,
    with_ci,
)
from tests.loop_kit import NEW_MODULE, sample_repo

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
