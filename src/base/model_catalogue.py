"""The shipped model catalogue: who serves each model, how it answers in JSON, limits and prices.

Prices are USD per million tokens, list prices as published on 2026-12-01:
Anthropic API: platform.claude.com/docs/en/about-claude/pricing and each model's overview page
(5-minute cache writes; Haiku 5.5 at its band for prompts up to 100k tokens).
Bedrock: aws.amazon.com/bedrock/pricing; global. inference profiles at Anthropic's list price,
geographic (us./eu./jp./apac.) profiles and in-region ids 10% above it.
"""

from __future__ import annotations

from typing import Any

BEDROCK_DEFAULT_MODEL = "global.anthropic.claude-sonnet-4-6"

_LONG = {"context_window": 1_000_000, "max_output": 128_000}
_SHORT = {"context_window": 200_000, "max_output": 64_000}


def _prices(inp: float, out: float, write: float, read: float) -> dict[str, float]:
    """The four prices of one model."""
    return {"input": inp, "output": out, "cache_write": write, "cache_read": read}


def _anthropic(mode: str, limits: dict[str, int], prices: dict[str, float]) -> dict[str, Any]:
    """An Anthropic API entry."""
    return {"provider": "anthropic", "structured_output": mode, **limits, **prices}


def _bedrock(mode: str, limits: dict[str, int], prices: dict[str, float]) -> dict[str, Any]:
    """A Bedrock entry."""
    return {"provider": "bedrock", "structured_output": mode, **limits, **prices}


_OPUS_5_5 = _prices(4.0, 20.0, 5.0, 0.20)
_OPUS_5_5_GEO = _prices(4.4, 22.0, 5.5, 0.22)
_SONNET_4 = _prices(3.0, 15.0, 3.75, 0.30)
_SONNET_4_GEO = _prices(3.3, 16.5, 4.125, 0.33)
_HAIKU_4_5 = _prices(1.0, 5.0, 1.25, 0.10)
_HAIKU_4_5_GEO = _prices(1.1, 5.5, 1.375, 0.11)

SHIPPED_MODELS: dict[str, dict[str, Any]] = {
    "claude-fable-5-1": _anthropic("json_schema", _LONG, _prices(10.0, 50.0, 12.5, 0.25)),
    "claude-opus-5-5": _anthropic("json_schema", _LONG, _OPUS_5_5),
    "claude-opus-5": _anthropic("json_schema", _LONG, _prices(5.0, 25.0, 6.25, 0.50)),
    "claude-sonnet-5-5": _anthropic("json_schema", _LONG, _prices(2.0, 10.0, 2.5, 0.10)),
    "claude-sonnet-5": _anthropic("json_schema", _LONG, _prices(2.0, 10.0, 2.5, 0.20)),
    "claude-haiku-5-5": _anthropic("json_schema", _LONG, _prices(0.10, 0.50, 0.125, 0.01)),
    "claude-opus-4-5": _anthropic("json_schema", _SHORT, _prices(5.0, 25.0, 6.25, 0.50)),
    "claude-sonnet-4-6": _anthropic("json_schema", _SHORT, _SONNET_4),
    "claude-haiku-4-5": _anthropic("json_schema", _SHORT, _HAIKU_4_5),
    # Sonnet 4 predates structured outputs: its replies come through a forced tool.
    "claude-sonnet-4-0": _anthropic("tool", _SHORT, _SONNET_4),
    "global.anthropic.claude-opus-5-5": _bedrock("json_schema", _LONG, _OPUS_5_5),
    "us.anthropic.claude-opus-5-5": _bedrock("json_schema", _LONG, _OPUS_5_5_GEO),
    "eu.anthropic.claude-opus-5-5": _bedrock("json_schema", _LONG, _OPUS_5_5_GEO),
    "global.anthropic.claude-sonnet-4-6": _bedrock("json_schema", _SHORT, _SONNET_4),
    "us.anthropic.claude-sonnet-4-6": _bedrock("json_schema", _SHORT, _SONNET_4_GEO),
    "eu.anthropic.claude-sonnet-4-6": _bedrock("json_schema", _SHORT, _SONNET_4_GEO),
    "anthropic.claude-sonnet-4-6": _bedrock("json_schema", _SHORT, _SONNET_4_GEO),
    "global.anthropic.claude-haiku-4-5-20251001-v1:0": _bedrock("json_schema", _SHORT, _HAIKU_4_5),
    "us.anthropic.claude-haiku-4-5-20251001-v1:0": _bedrock("json_schema", _SHORT, _HAIKU_4_5_GEO),
    "us.anthropic.claude-sonnet-4-20250514-v1:0": _bedrock("tool", _SHORT, _SONNET_4_GEO),
}
