"""The budget: no next generation that would pass --max-cost, no mind call once it is spent."""

from __future__ import annotations

from self_improving_agent.base.store import Store


def over_budget(store: Store, max_cost: float | None) -> str | None:
    """Why no further model call may be made for the mind (--max-cost reached), or None."""
    if max_cost is None:
        return None
    spent = store.total_cost()
    if spent >= max_cost:
        return (
            f"the model calls reached --max-cost ${max_cost:.4f} (${spent:.4f} spent);"
            " the mind's next request was not sent"
        )
    return None


def next_over_budget(store: Store, max_cost: float | None) -> str | None:
    """Why the next generation would exceed --max-cost, or None."""
    if max_cost is None:
        return None
    spent = store.total_cost()
    finished = [e for e in store.list_generations() if e.status != "running"]
    average = spent / len(finished) if finished else 0.0
    if spent + average > max_cost:
        return (
            f"stopping: spent ${spent:.4f} so far and a generation costs ${average:.4f} on average,"
            f" which would pass --max-cost ${max_cost:.4f}"
        )
    return None
