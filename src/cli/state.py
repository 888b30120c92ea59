"""The store reads behind `agent status`, `history`, `lessons` and `reset`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.store import Store, db_path
from self_improving_agent.cli.views import render_status
from self_improving_agent.core.own_repo import is_self_hosted
from self_improving_agent.git_ops.judge_pin import ahead_note
from self_improving_agent.git_ops.main_branch import resolve_main_branch
from self_improving_agent.memory.lessons import Lesson, SqliteLessons

OPEN = ("running", "pending", "awaiting_review")


def status_text(repo: Path, source: str) -> str:
    """What `agent status` prints: the state's place, counts by status, open generations."""
    store = Store.existing(repo)
    if store is None:
        return render_status(str(repo), source, None, {}, [], None)
    with store:
        entries = store.list_generations()
        return render_status(
            str(repo),
            source,
            str(db_path(repo)),
            store.counts_by_status(),
            [e for e in entries if e.status in OPEN],
            entries[-1] if entries else None,
        )


def judge_note(repo: Path, main_branch: str | None) -> str | None:
    """On the agent's own repository: one line when main is ahead of the pinned judge."""
    if not is_self_hosted(repo):
        return None
    try:
        return ahead_note(repo, resolve_main_branch(repo, main_branch))
    except GitError:
        return None


def stored_generations(repo: Path) -> list[EvolutionEntry]:
    """Every recorded generation, oldest first; none when the repository has no state."""
    store = Store.existing(repo)
    if store is None:
        return []
    with store:
        return store.list_generations()


def stored_lessons(repo: Path) -> list[Lesson]:
    """Every lesson kept in the state database, oldest first."""
    store = Store.existing(repo)
    if store is None:
        return []
    with store:
        return SqliteLessons(store).all()


def reset_state(repo: Path, confirm: Callable[[str], None]) -> str:
    """Clear the state database under the repository's lock once confirm lets it; what was done."""
    from self_improving_agent.git_ops.lock import repo_lock

    store = Store.existing(repo)
    if store is None:
        return "Nothing to reset: this repository has no agent state."
    with repo_lock(repo), store:
        count = len(store.list_generations())
        confirm(f"Delete the record of {count} generation(s) in {store.path}?")
        store.clear()
    return f"Cleared {count} generation(s); git history and reports are untouched."
