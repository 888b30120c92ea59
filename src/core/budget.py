"""The budget inside a generation: no model call for the mind once --max-cost is spent."""

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
