"""What `agent run`, `loop`, `merge`, `discard` and `prs` do, minus option parsing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.base.store import Store, check_state_paths
from self_improving_agent.core.generation import GenerationOutcome, RunOptions
from self_improving_agent.core.judge_settings import SettingsSource
from self_improving_agent.core.pr_mode import GitHubFlow, PrRow, connect, pr_rows
from self_improving_agent.core.session import (
    Merged,
    PrMode,
    discard_pending,
    loop_generations,
    merge_pending,
    open_deps,
    recover,
)
from self_improving_agent.git_ops.github import GitHubIntegration
from self_improving_agent.git_ops.lock import repo_lock
from self_improving_agent.git_ops.main_branch import resolve_main_branch
from self_improving_agent.git_ops.worktree import GenerationGit
from self_improving_agent.providers.factory import make_provider
from self_improving_agent.sandbox.sandbox import record
from self_improving_agent.sandbox.stops import stops_handled

Echo = Callable[[str], None]

NO_SAFETY_WARNING = (
    "WARNING: --no-safety turns off the SafetyValidator's code rules (eval/exec, shell=True, ...)."
    " Path protection, protected functions and Cedar policies stay on."
)


def outcome_line(outcome: GenerationOutcome) -> str:
    """A generation's result: number, status, score delta and its whole reason, never cut, each
    further part of it ("; "-separated: one reason or rule each) on its own indented line."""
    delta = "" if outcome.delta is None else f" ({outcome.delta:+.4f})"
    first, *rest = outcome.reason.split("; ")
    head = f"gen {outcome.generation} {outcome.status}{delta}: {first}"
    return "\n".join([head, *(f"    {part}" for part in rest if part)])


@dataclass(frozen=True)
class RunRequest:
    """What `agent run`, `loop` or `demo` asked for; the settings supply the rest."""

    max_generations: int | None = None
    max_cost: float | None = None
    dry_run: bool = False
    goals: tuple[str, ...] = ()
    code_rules: bool = True
    github: PrMode = "off"
    wait: bool = False
    config: Path | None = None
    # The commit the judge's settings were read from (the pin's or main's); None: main's now.
    source: SettingsSource | None = None


def run_options(settings: Settings, request: RunRequest) -> RunOptions:
    """The generation options: the request's choices over the config's auto-merge and goals."""
    return RunOptions(
        auto_merge=settings.agent.auto_merge,
        dry_run=request.dry_run,
        goals=list(dict.fromkeys([*settings.agent.goals, *request.goals])),
        code_rules=request.code_rules,
        max_cost=request.max_cost,
    )


def start_run(
    repo: Path, settings: Settings, request: RunRequest, echo: Echo, progress: Echo
) -> int:
    """Recover from any crash, run the generations, print a line each; returns the exit code."""
    options = run_options(settings, request)
    count = request.max_generations
    if count is None:
        count = settings.agent.max_generations
    # A missing main line, a state folder taken by a user's file or a required sandbox that is
    # missing is refused before any generation number, report or branch is used.
    check_state_paths(repo, repo / settings.agent.reports_dir)
    resolve_main_branch(repo, settings.agent.main_branch)
    record(settings.sandbox.mode)
    if not options.code_rules:
        progress(NO_SAFETY_WARNING)
    # The provider comes first: a missing key must fail before anything is written.
    provider = make_provider(settings.agent, settings.providers, repo=repo)
    # The lock is let go before a hand-off, whose fresh process takes it again.
    with stops_handled(), repo_lock(repo), Store.for_repo(repo) as store:
        deps = open_deps(repo, settings, store, progress, provider, request.github, request.source)
        for line in recover(deps):
            progress(line)
        # Each line goes out as its generation ends, so a stop later does not lose it.
        result = loop_generations(
            deps, options, count, request.max_cost, lambda o: echo(outcome_line(o))
        )
        if request.wait and isinstance(deps.pr, GitHubFlow):
            wait_for_reviews(deps.pr, progress, echo)
    if result.message:
        progress(result.message)
    return result.exit_code


def merge_generation(repo: Path, settings: Settings, number: int) -> Merged:
    """Merge a pending generation into the branch it was built from; no model is needed."""
    check_state_paths(repo, repo / settings.agent.reports_dir)
    with stops_handled(), repo_lock(repo), Store.for_repo(repo) as store:
        return merge_pending(
            store,
            GenerationGit(repo, resolve_main_branch(repo, settings.agent.main_branch)),
            number,
            repo / settings.agent.reports_dir,
        )


def discard_generation(repo: Path, settings: Settings, number: int) -> None:
    """Reject a pending generation."""
    with stops_handled(), repo_lock(repo), Store.for_repo(repo) as store:
        discard_pending(
            store,
            GenerationGit(repo, resolve_main_branch(repo, settings.agent.main_branch)),
            number,
        )


def wait_for_reviews(flow: GitHubFlow, progress: Echo, settled: Echo | None = None) -> None:
    """Poll until no generation awaits review or the timeout passed; settled gets final results."""
    numbers = [e.generation for e in flow.store.list_generations("awaiting_review")]
    if not numbers:
        return
    _poll_until_settled(flow, progress, len(numbers))
    if settled is None:
        return
    # The result lines printed as each generation ended said awaiting_review; these settle them.
    for number in numbers:
        entry = flow.store.get_generation(number)
        if entry is not None and entry.status != "awaiting_review":
            settled(f"gen {number} {entry.status}: {entry.reason or ''}")


def _poll_until_settled(flow: GitHubFlow, progress: Echo, awaiting: int) -> None:
    """Poll every interval until nothing awaits review or the review timeout has passed."""
    interval = flow.section.poll_interval_s
    timeout = flow.section.review_timeout_s
    progress(
        f"waiting for the review of {awaiting} PR(s), polling every {interval:.0f} s"
        f" for up to {timeout:.0f} s; stop with Ctrl-C and pick up later with `agent status`"
    )
    deadline = flow.clock() + timeout + interval
    while True:
        flow.sleep(interval)
        for line in flow.poll():
            progress(line)
        if not flow.store.list_generations("awaiting_review") or flow.clock() >= deadline:
            return


def poll_for_status(repo: Path, settings: Settings) -> list[str]:
    """Settle PRs that got a verdict while no loop was running; what happened, one line each."""
    store = Store.existing(repo)
    if store is None:
        return []
    with store:
        awaiting = store.list_generations("awaiting_review")
        if not awaiting:
            return []
        try:
            flow = connect(
                repo,
                settings.github,
                settings.agent.reports_dir,
                store,
                GenerationGit(repo, resolve_main_branch(repo, settings.agent.main_branch)),
            )
        except ConfigError as exc:
            return [f"{len(awaiting)} generation(s) await review on GitHub; not polled: {exc}"]
        return [f"polled GitHub for {len(awaiting)} awaiting PR(s)", *flow.poll()]


def list_prs(
    repo: Path, settings: Settings, github: GitHubIntegration | None = None
) -> list[PrRow]:
    """The open agent PRs on GitHub, joined with the stored generations."""
    store = Store.existing(repo)
    entries = []
    if store is not None:
        with store:
            entries = store.list_generations()
    return pr_rows(github or GitHubIntegration(repo, settings.github), entries)
