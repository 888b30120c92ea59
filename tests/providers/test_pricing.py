"""Cost arithmetic from catalogue entries: each token kind at its own rate, unpriced stays None."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from self_improving_agent.base.config import ModelSpec, Settings
from self_improving_agent.base.model_catalogue import SHIPPED_MODELS
from self_improving_agent.providers.base import Usage
from self_improving_agent.providers.pricing import cost_usd

OPUS_5_5 = ModelSpec(provider="anthropic", input=4.0, output=20.0, cache_write=5.0, cache_read=0.2)
ROOT = Path(__file__).resolve().parents[2]


def test_plain_input_and_output() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd(usage, OPUS_5_5) == pytest.approx(24.0)


def test_cache_tokens_cost_their_own_rates_not_multiples_of_input() -> None:
    assert cost_usd(Usage(cache_write_tokens=1_000_000), OPUS_5_5) == pytest.approx(5.0)
    # 0.05x input for Opus 5.5, where a fixed 0.1x multiplier would say $0.40.
    assert cost_usd(Usage(cache_read_tokens=1_000_000), OPUS_5_5) == pytest.approx(0.2)


def test_all_four_counts_add_up() -> None:
    usage = Usage(
        input_tokens=1200, output_tokens=350, cache_write_tokens=4000, cache_read_tokens=8000
    )
    expected = (1200 * 4 + 350 * 20 + 4000 * 5 + 8000 * 0.2) / 1_000_000
    assert cost_usd(usage, OPUS_5_5) == pytest.approx(expected)


def test_unlisted_or_unpriced_model_is_unpriced_never_zero() -> None:
    assert cost_usd(Usage(input_tokens=10), None) is None
    assert cost_usd(Usage(input_tokens=10), ModelSpec(provider="openai")) is None


def test_cache_tokens_without_a_cache_price_make_the_call_unpriced() -> None:
    spec = ModelSpec(provider="openai", input=1.0, output=2.0)
    assert cost_usd(Usage(input_tokens=10), spec) == pytest.approx(10 / 1e6)
    assert cost_usd(Usage(input_tokens=10, cache_read_tokens=5), spec) is None


def test_zero_usage_costs_nothing() -> None:
    assert cost_usd(Usage(), OPUS_5_5) == 0.0


def test_half_a_price_is_refused() -> None:
    with pytest.raises(ValueError, match="both input and output"):
        ModelSpec(provider="openai", input=1.0)


def test_default_catalogue_prices_the_default_models() -> None:
    models = Settings().providers.models
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd(usage, models["claude-sonnet-4-6"]) == pytest.approx(18.0)
    assert cost_usd(usage, models["global.anthropic.claude-sonnet-4-6"]) == pytest.approx(18.0)
    # Geographic Bedrock profiles cost 10% more than global ones.
    assert cost_usd(usage, models["us.anthropic.claude-sonnet-4-6"]) == pytest.approx(19.8)


def test_shipped_config_file_holds_the_built_in_catalogue() -> None:
    data = tomllib.loads((ROOT / "config/agent.toml").read_text(encoding="utf-8"))
    assert data["providers"]["models"] == SHIPPED_MODELS
