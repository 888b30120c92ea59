"""Cost of one call from its token counts and the configured price table."""

from __future__ import annotations

from collections.abc import Mapping

from src.base.config import ModelPrice
from src.providers.base import Usage

PER_MILLION = 1_000_000
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1


def cost_usd(usage: Usage, model: str, pricing: Mapping[str, ModelPrice]) -> float | None:
    """USD cost of usage under model's price; None when the model is not in the table."""
    price = pricing.get(model)
    if price is None:
        return None
    # input_tokens excludes cache tokens, as Anthropic and Bedrock report them.
    input_equivalent = (
        usage.input_tokens
        + CACHE_WRITE_FACTOR * usage.cache_write_tokens
        + CACHE_READ_FACTOR * usage.cache_read_tokens
    )
    return (input_equivalent * price.input + usage.output_tokens * price.output) / PER_MILLION
