"""Refused is not rejected: a merge stopped by the user's state leaves the generation pending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import AgentError
from self_improving_agent.base.store import Store
from self_improving_agent.cli.run import merge_generation
from self_improving_agent.providers.base import Completion, CompletionRequest
from self_improving_agent.providers.mock import MockProvider
from self_improving_agent.reports.report_files import read_report
from self_improving_agent.reports.report_view import render_report
from tests.conftest import git, own_settings, provider_args
from tests.core.test_generation import (
    assert_nothing_left,
    improving_script,
    main_sha,
    run_one,
    session,
    target,
)
from tests.loop_kit import write_script


class EditsMulBeforeReview:
    """A provider that leaves an uncommitted edit in the user's pkg/mul.py before the review."""

    name = "mock"

    def __init__(self, inner: MockProvider, repo: Path) -> None:
        self.inner = inner
        self.repo = repo

    def complete(self, request: CompletionRequest) -> Completion:
        """Edit the user's file, then answer as the mock would."""
        if request.persona == "reviewer":
            path = self.repo / "pkg/mul.py"
            path.write_text(path.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
        return self.inner.complete(request)


def test_uncommitted_user_changes_leave_the_generation_pending_until_merged(
    tmp_path: Path,
) -> None:
    repo = target(tmp_path)
    start = main_sha(repo)
    script = write_script(tmp_path / "script.json", improving_script())
    inner = MockProvider(
        *provider_args(Settings(), "mock"), environ={"AGENT_MOCK_SCRIPT": str(script)}
    )
    outcome = run_one(
        repo, tmp_path, improving_script(), EditsMulBeforeReview(inner, repo), auto_merge=True
    )
    assert outcome.status == "pending"
    assert outcome.reason.startswith(f"accepted, waiting for `agent merge {outcome.generation}`")
    assert "uncommitted changes in pkg/mul.py" in outcome.reason
    assert main_sha(repo) == start
    report = read_report(Path(outcome.report_path))
    assert report.reason == outcome.reason
    assert f"outcome:  {outcome.reason}" in render_report(report, color=False)
    with Store.for_repo(repo) as store:
        entry = store.get_generation(outcome.generation)
        assert entry is not None and entry.status == "pending"
    git(repo, "stash", "-q")
    merged = merge_generation(repo, own_settings(), outcome.generation)
    assert (merged.branch, merged.note) == ("main", "")
    assert main_sha(repo) == merged.sha
    assert '"""Multiply a by b."""' in (repo / "pkg/mul.py").read_text(encoding="utf-8")
    data = json.loads(Path(outcome.report_path).read_text(encoding="utf-8"))
    assert data["status"] == "accepted" and data["reason"].startswith("merged as")
    git(repo, "stash", "drop", "-q")
    assert_nothing_left(repo)


def test_a_failing_post_checkout_hook_does_not_touch_a_generation(tmp_path: Path) -> None:
    repo = target(tmp_path)
    marker = tmp_path / "hook-ran"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    outcome = run_one(repo, tmp_path, improving_script(), auto_merge=True)
    assert outcome.status == "accepted", outcome.reason
    assert not marker.exists()
    assert_nothing_left(repo)


def test_a_stale_lock_stops_the_run_before_any_work(tmp_path: Path) -> None:
    repo = target(tmp_path)
    stale = repo / ".git" / "index.lock"
    stale.touch()
    with pytest.raises(AgentError) as caught, session(repo, tmp_path, improving_script()):
        pass
    message = str(caught.value)
    assert message.startswith(f"git's lock file {stale} exists")
    assert f"rm {stale}" in message and "\n" not in message
    assert git(repo, "branch", "--list", "agent/*") == ""
    assert not (repo / "reports").exists() or not any((repo / "reports").glob("gen-*.json"))
