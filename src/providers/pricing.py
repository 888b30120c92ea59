"""Cost of one call from the usage the API returned and the model's catalogue prices."""

from __future__ import annotations

from self_improving_agent.base.config import ModelSpec
from self_improving_agent.providers.base import Usage

PER_MILLION = 1_000_000


def cost_usd(usage: Usage, spec: ModelSpec | None) -> float | None:
    """USD cost of usage, cache tokens at their own rates; None (unpriced) if a price is missing."""
    # input_tokens excludes cache tokens, as Anthropic and Bedrock report them and as the OpenAI
    # provider normalises them.
    if spec is None or spec.input is None or spec.output is None:
        return None
    total = usage.input_tokens * spec.input + usage.output_tokens * spec.output
    for tokens, price in (
        (usage.cache_write_tokens, spec.cache_write),
        (usage.cache_read_tokens, spec.cache_read),
    ):
        if tokens:
            if price is None:
                return None
            total += tokens * price
    return total / PER_MILLION
