"""Cost arithmetic: plain tokens, cache writes and reads, unknown models."""

from __future__ import annotations

import pytest

from src.base.config import ModelPrice, Settings
from src.providers.base import Usage
from src.providers.pricing import cost_usd

SONNET = {"sonnet": ModelPrice(input=3.0, output=15.0)}


def test_plain_input_and_output() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd(usage, "sonnet", SONNET) == pytest.approx(18.0)


def test_cache_write_costs_one_and_a_quarter_input() -> None:
    usage = Usage(cache_write_tokens=1_000_000)
    assert cost_usd(usage, "sonnet", SONNET) == pytest.approx(3.75)


def test_cache_read_costs_a_tenth_of_input() -> None:
    usage = Usage(cache_read_tokens=1_000_000)
    assert cost_usd(usage, "sonnet", SONNET) == pytest.approx(0.3)


def test_all_four_counts_add_up() -> None:
    usage = Usage(
        input_tokens=1200, output_tokens=350, cache_write_tokens=4000, cache_read_tokens=8000
    )
    expected = (1200 * 3 + 350 * 15 + 4000 * 3.75 + 8000 * 0.3) / 1_000_000
    assert cost_usd(usage, "sonnet", SONNET) == pytest.approx(expected)


def test_unknown_model_has_unknown_cost() -> None:
    assert cost_usd(Usage(input_tokens=10), "mystery-model", SONNET) is None


def test_zero_usage_costs_nothing() -> None:
    assert cost_usd(Usage(), "sonnet", SONNET) == 0.0


def test_default_table_prices_sonnet_as_the_seed_says() -> None:
    pricing = Settings().providers.pricing
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd(usage, "claude-sonnet-4-6", pricing) == pytest.approx(18.0)
    assert cost_usd(usage, "anthropic.claude-sonnet-4-6", pricing) == pytest.approx(18.0)
