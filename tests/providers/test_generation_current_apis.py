"""Whole generations against today's APIs: structured outputs by capability, catalogue prices.

Loopback stand-ins play a Claude model that refuses forced tools, an older one that needs them,
an unknown one that must be probed, Bedrock with an inference-profile id, and an
OpenAI-compatible server (Ollama, vLLM, ...) with faults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.providers.openai import OPENAI_URL_ENV
from tests.providers.fake_http import FakeApi, Reply, serve
from tests.providers.generation_kit import (
    REPLIES,
    TOKENS,
    agent_run,
    anthropic_env,
    anthropic_error,
    anthropic_ok,
    assert_nothing_left,
    report_of,
    text_route,
)

MTOK = 1e6


def refusing(feature: str, message: str, schema: str) -> Any:
    """An answer that refuses requests using feature and otherwise answers schema in kind."""

    def answer(body: dict[str, Any]) -> Reply:
        if feature in body:
            return anthropic_error(400, "invalid_request_error", message)
        return anthropic_ok(schema, as_text="tool_choice" not in body)

    return answer


def cost(prices: tuple[float, float, float, float], schema: str) -> float:
    """What the catalogue says one call answering schema costs (see TOKENS)."""
    tokens = TOKENS[schema]
    counts = (
        tokens["input_tokens"],
        tokens["output_tokens"],
        tokens.get("cache_creation_input_tokens", 0),
        tokens.get("cache_read_input_tokens", 0),
    )
    return sum(n * p for n, p in zip(counts, prices, strict=True)) / MTOK


def test_claude_refusing_forced_tools_answers_through_output_config(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    refusal = "tool_choice: forced tool use is not supported for this model"
    api.replies = {s: [refusing("tool_choice", refusal, s)] for s in REPLIES}
    flags = ("--model", "claude-opus-5-5", "--auto-merge")
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), *flags)
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    bodies = [body for _, _, body in api.requests]
    assert all("tool_choice" not in b and "output_config" in b for b in bodies)
    report = report_of(target)
    prices = (4.0, 20.0, 5.0, 0.20)
    assert [c.cost_usd for c in report.llm_calls] == pytest.approx(
        [cost(prices, s) for s in ("Plan", "Build", "Review")]
    )
    assert_nothing_left(target)


def test_older_claude_answers_through_the_forced_tool(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    refusal = "output_config: Extra inputs are not permitted"
    api.replies = {s: [refusing("output_config", refusal, s)] for s in REPLIES}
    flags = ("--model", "claude-sonnet-4-0", "--auto-merge")
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), *flags)
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert all("tool_choice" in body for _, _, body in api.requests)
    prices = (3.0, 15.0, 3.75, 0.30)
    assert report_of(target).llm_calls[1].cost_usd == pytest.approx(cost(prices, "Build"))


def test_unknown_model_is_probed_once_and_the_generation_completes(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    refusal = "output_config.format is not supported on claude-next-1"
    # Every request with output_config is refused; only the first one should be sent.
    api.replies = {s: [refusing("output_config", refusal, s)] * 2 for s in REPLIES}
    flags = ("--model", "claude-next-1", "--auto-merge")
    code, out, err = agent_run(target, "anthropic", anthropic_env(url), *flags)
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert err.count("structured output refused, switching") == 1
    assert api.schemas() == ["Plan", "Plan", "Build", "Review"]
    assert ["output_config" in body for _, _, body in api.requests] == [True, False, False, False]
    report = report_of(target)
    assert report.status == "accepted"
    assert len(report.llm_calls) == 3
    # Not in the catalogue: unpriced, never a guessed $0.
    assert [c.cost_usd for c in report.llm_calls] == [None] * 3
    assert not report.llm_totals["cost_known"]


def bedrock_json(schema: str) -> Reply:
    """A Converse answer in JSON text, with cache tokens counted."""
    tokens = TOKENS[schema]
    usage = {
        "inputTokens": tokens["input_tokens"],
        "outputTokens": tokens["output_tokens"],
        "cacheWriteInputTokens": tokens.get("cache_creation_input_tokens", 0),
        "cacheReadInputTokens": tokens.get("cache_read_input_tokens", 0),
    }
    usage["totalTokens"] = sum(usage.values())
    message = {"role": "assistant", "content": [{"text": json.dumps(REPLIES[schema])}]}
    return 200, {}, {"output": {"message": message}, "stopReason": "end_turn", "usage": usage}


@pytest.mark.parametrize(
    ("flags", "model", "prices"),
    [
        # A us. profile: 10% above the list price, cache tokens at their own rates.
        (
            ["--model", "us.anthropic.claude-opus-5-5"],
            "us.anthropic.claude-opus-5-5",
            (4.4, 22.0, 5.5, 0.22),
        ),
        # No --model: Bedrock's own default profile, not the Anthropic API's default id.
        ([], "global.anthropic.claude-sonnet-4-6", (3.0, 15.0, 3.75, 0.30)),
    ],
    ids=["us-profile", "default"],
)
def test_bedrock_inference_profile_with_converse_json_schema_output(
    target: Path,
    bedrock_api: tuple[FakeApi, dict[str, str]],
    flags: list[str],
    model: str,
    prices: tuple[float, float, float, float],
) -> None:
    api, env = bedrock_api
    api.replies = {s: [bedrock_json(s)] for s in REPLIES}
    code, out, _ = agent_run(target, "bedrock", env, *flags, "--auto-merge")
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert {path for path, _, _ in api.requests} == {f"/model/{model}/converse"}
    assert all("outputConfig" in b and "toolConfig" not in b for _, _, b in api.requests)
    assert [c.cost_usd for c in report_of(target).llm_calls] == pytest.approx(
        [cost(prices, s) for s in ("Plan", "Build", "Review")]
    )


def openai_route(body: dict[str, Any]) -> str:
    """The schema a Chat Completions request asks for."""
    if "response_format" in body:
        return str(body["response_format"]["json_schema"]["name"])
    if "tool_choice" in body:
        return str(body["tool_choice"]["function"]["name"])
    return text_route(body)


def openai_text(content: str, prompt: int = 200, cached: int = 50) -> Reply:
    """A Chat Completions answer in text with usage, cached prompt tokens included."""
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": 40,
        "total_tokens": prompt + 40,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    choice = {"index": 0, "message": {"role": "assistant", "content": content}}
    body = {"id": "c", "object": "chat.completion", "created": 1, "model": "qwen3-coder"}
    return 200, {}, {**body, "choices": [{**choice, "finish_reason": "stop"}], "usage": usage}


@pytest.fixture
def openai_api() -> Iterator[tuple[FakeApi, str]]:
    """A fake OpenAI-compatible server (as Ollama or vLLM serve it) on 127.0.0.1."""
    api = FakeApi(openai_route)
    with serve(api) as url:
        yield api, f"{url}/v1"


def test_openai_compatible_server_with_faults_merges_a_priced_generation(
    target: Path, tmp_path: Path, openai_api: tuple[FakeApi, str]
) -> None:
    api, url = openai_api
    config = tmp_path / "agent.toml"
    config.write_text(
        '[providers.models."qwen3-coder"]\nprovider = "openai"\n'
        "input = 0.5\noutput = 1.5\ncache_read = 0.05\n",
        encoding="utf-8",
    )
    rate_limited: Reply = (429, {"retry-after": "0.01"}, {"error": {"message": "slow down"}})
    failed: Reply = (500, {"retry-after": "0.01"}, {"error": {"message": "boom"}})
    api.replies = {
        # The first Plan ignores the schema; the one re-prompt gets a usable one.
        "Plan": [
            openai_text("I would document pkg.util."),
            openai_text(json.dumps(REPLIES["Plan"])),
        ],
        "Build": [rate_limited, failed, openai_text(json.dumps(REPLIES["Build"]))],
        "Review": [openai_text(json.dumps(REPLIES["Review"]))],
    }
    env = {OPENAI_URL_ENV: url, "OPENAI_API_KEY": ""}
    flags = ("--model", "qwen3-coder", "--config", str(config), "--auto-merge")
    code, out, _ = agent_run(target, "openai", env, *flags)
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert api.schemas() == ["Plan", "Plan", "Build", "Build", "Build", "Review"]
    report = report_of(target)
    assert [c.provider for c in report.llm_calls] == ["openai"] * 4
    call = report.llm_calls[0]
    assert (call.input_tokens, call.cache_read_tokens, call.output_tokens) == (150, 50, 40)
    assert call.cost_usd == pytest.approx((150 * 0.5 + 50 * 0.05 + 40 * 1.5) / MTOK)
    assert report.llm_totals["cost_known"]
    assert_nothing_left(target)
