"""What the PR-mode tests share: a fake clock and a GitHubFlow on FakeGitHub, a submission."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from self_improving_agent.base.config import GithubSection, Settings
from self_improving_agent.base.models import EvolutionEntry, GenerationStatus, Plan
from self_improving_agent.base.store import Store
from self_improving_agent.core.pr_mode import GitHubFlow
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.git_ops.github import GitHubIntegration
from self_improving_agent.git_ops.worktree import GenerationGit
from self_improving_agent.reports.report_files import write_report
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git
from tests.loop_kit import NEW_MODULE

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub

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
