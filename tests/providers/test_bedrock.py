"""BedrockProvider with the real boto3 client, its replies given by botocore's Stubber."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError, ProviderAuthError, ProviderError
from self_improving_agent.providers.base import CompletionRequest
from self_improving_agent.providers.bedrock import BedrockProvider, converse_params
from tests.conftest import provider_args

# A profile of a model the catalogue marks as answering through a forced tool.
MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
SETTINGS = Settings.model_validate({"agent": {"provider": "bedrock", "model": MODEL}})
PLAN = {"title": "Add docstrings", "files_to_modify": ["src/a.py"]}
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def bedrock(settings: Settings, **kwargs: Any) -> BedrockProvider:
    """A BedrockProvider built from settings' sections, as make_provider builds it."""
    return BedrockProvider(*provider_args(settings, "bedrock"), **kwargs)


def request(system: str = "You are the Architect.") -> CompletionRequest:
    """An Architect request with a context prefix."""
    return CompletionRequest(
        persona="architect",
        system=system,
        context="repo map",
        prompt="Plan one change.",
        schema_name="plan",
        json_schema={"type": "object", "properties": {"title": {"type": "string"}}},
        max_tokens=1000,
    )


def converse_response(content: list[dict[str, Any]], **usage: int) -> dict[str, Any]:
    """A Converse response body."""
    counts = {"inputTokens": 10, "outputTokens": 5, **usage}
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use",
        "usage": {**counts, "totalTokens": sum(counts.values())},
        "metrics": {"latencyMs": 12},
    }


TOOL_REPLY = converse_response(
    [{"toolUse": {"toolUseId": "t1", "name": "plan", "input": PLAN}}],
    cacheWriteInputTokens=300,
    cacheReadInputTokens=40,
)


@pytest.fixture
def stubbed() -> Iterator[tuple[BedrockProvider, Stubber]]:
    """A provider on a real bedrock-runtime client whose calls the Stubber answers."""
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
    )
    with Stubber(client) as stubber:
        yield bedrock(SETTINGS, client=client, environ={}), stubber
        stubber.assert_no_pending_responses()


def test_tool_reply_becomes_data_with_usage_and_cost(
    stubbed: tuple[BedrockProvider, Stubber],
) -> None:
    provider, stubber = stubbed
    cache = {"cachePoint": {"type": "default"}}
    expected = {
        "modelId": MODEL,
        "system": [{"text": "You are the Architect."}, cache],
        "messages": [
            {
                "role": "user",
                "content": [{"text": "repo map"}, cache, {"text": "Plan one change."}],
            }
        ],
        "inferenceConfig": {"maxTokens": 1000},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "plan",
                        "description": "Give your answer as a plan object.",
                        "inputSchema": {"json": request().json_schema},
                    }
                }
            ],
            "toolChoice": {"tool": {"name": "plan"}},
        },
    }
    stubber.add_response("converse", TOOL_REPLY, expected)
    completion = provider.complete(request())
    assert completion.data == PLAN
    assert completion.model == MODEL
    assert completion.usage.model_dump() == {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_write_tokens": 300,
        "cache_read_tokens": 40,
        "estimated": False,
    }
    # A us. profile: 10% above the list price, cache tokens at their own rates.
    expected_cost = (10 * 3.3 + 5 * 16.5 + 300 * 4.125 + 40 * 0.33) / 1e6
    assert completion.cost_usd == pytest.approx(expected_cost)


def stubbed_for(model: str) -> tuple[BedrockProvider, Stubber]:
    """A provider for model on a real client that a Stubber (already active) answers."""
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
    )
    settings = Settings.model_validate({"agent": {"provider": "bedrock", "model": model}})
    stubber = Stubber(client)
    stubber.activate()
    return bedrock(settings, client=client, environ={}), stubber


def test_profile_of_a_current_model_asks_for_converse_json_schema_output() -> None:
    provider, stubber = stubbed_for("global.anthropic.claude-sonnet-4-6")
    stubber.add_response("converse", converse_response([{"text": '{"title": "x"}'}]))
    completion = provider.complete(request())
    stubber.assert_no_pending_responses()
    assert completion.text == '{"title": "x"}'
    params = converse_params(request(), "global.anthropic.claude-sonnet-4-6", "json_schema")
    assert "toolConfig" not in params
    structure = params["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert structure["name"] == "plan"
    assert json.loads(structure["schema"])["additionalProperties"] is False
    assert completion.cost_usd == pytest.approx((10 * 3 + 5 * 15) / 1e6)


def test_refused_json_schema_output_moves_to_the_tool_once() -> None:
    provider, stubber = stubbed_for("global.anthropic.claude-sonnet-9")
    stubber.add_client_error(
        "converse",
        "ValidationException",
        "This model doesn't support the outputConfig.textFormat field.",
        http_status_code=400,
    )
    stubber.add_response("converse", TOOL_REPLY)
    stubber.add_response("converse", TOOL_REPLY)
    assert provider.complete(request()).data == PLAN
    second = provider.complete(request())
    stubber.assert_no_pending_responses()
    assert provider.path.mode == "tool"
    # Not in the catalogue: answered, but never given a guessed price.
    assert second.data == PLAN and second.cost_usd is None


def test_bare_id_refused_on_demand_names_the_inference_profiles() -> None:
    provider, stubber = stubbed_for("anthropic.claude-opus-5-5")
    refusal = (
        "Invocation of model ID anthropic.claude-opus-5-5 with on-demand throughput isn't "
        "supported. Retry your request with the ID or ARN of an inference profile that "
        "contains this model."
    )
    stubber.add_client_error("converse", "ValidationException", refusal, http_status_code=400)
    with pytest.raises(ProviderError) as caught:
        provider.complete(request())
    text = str(caught.value)
    assert "--model global.anthropic.claude-opus-5-5" in text
    assert "us.anthropic.claude-opus-5-5" in text
    assert provider.path.mode == "json_schema"


def test_text_reply_becomes_text(stubbed: tuple[BedrockProvider, Stubber]) -> None:
    provider, stubber = stubbed
    stubber.add_response("converse", converse_response([{"text": '{"title": "x"}'}]))
    completion = provider.complete(request(system=""))
    assert completion.text == '{"title": "x"}'
    assert completion.data is None


def test_model_timeout_is_tried_once_more(stubbed: tuple[BedrockProvider, Stubber]) -> None:
    provider, stubber = stubbed
    stubber.add_client_error("converse", "ModelTimeoutException", "slow", http_status_code=408)
    stubber.add_response("converse", TOOL_REPLY)
    assert provider.complete(request()).data == PLAN


def test_second_model_timeout_fails(stubbed: tuple[BedrockProvider, Stubber]) -> None:
    provider, stubber = stubbed
    for _ in range(2):
        stubber.add_client_error("converse", "ModelTimeoutException", "slow", http_status_code=408)
    with pytest.raises(ProviderError, match="ModelTimeoutException: slow"):
        provider.complete(request())


def test_validation_error_carries_the_service_message(
    stubbed: tuple[BedrockProvider, Stubber],
) -> None:
    provider, stubber = stubbed
    stubber.add_client_error(
        "converse", "ValidationException", "The model ID is not supported.", http_status_code=400
    )
    with pytest.raises(
        ProviderError, match=r"ValidationException: The model ID is not supported\."
    ):
        provider.complete(request())


def test_refused_credentials_are_named_without_leaking_secrets() -> None:
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
    )
    provider = bedrock(SETTINGS, client=client, environ={"AWS_SECRET_ACCESS_KEY": SECRET})
    with Stubber(client) as stubber:
        stubber.add_client_error("converse", "AccessDeniedException", f"bad key {SECRET}", 403)
        with pytest.raises(ProviderAuthError, match="refused the credentials") as caught:
            provider.complete(request())
    assert SECRET not in str(caught.value)


def test_throttling_that_outlasts_botocore_is_a_provider_error(
    stubbed: tuple[BedrockProvider, Stubber],
) -> None:
    # The Stubber answers before botocore's retry handler runs, so this shows only what
    # reaches us once botocore has given up; the local-server test below shows the retry.
    provider, stubber = stubbed
    stubber.add_client_error("converse", "ThrottlingException", "Too many", http_status_code=429)
    with pytest.raises(ProviderError, match="ThrottlingException: Too many"):
        provider.complete(request())


def test_missing_credentials_fail_at_construction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(ConfigError, match="no AWS credentials"):
        bedrock(SETTINGS)


def test_without_boto3_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ConfigError, match=r"pip install 'self-improving-agent\[aws\]'"):
        bedrock(SETTINGS)


@pytest.mark.parametrize(
    ("model", "cached"),
    [("amazon.titan-text-premier-v1:0", False), ("us.anthropic.claude-sonnet-4-6", True)],
)
def test_cache_points_only_for_claude_models(model: str, cached: bool) -> None:
    params = converse_params(request(), model)
    blocks = params["system"] + params["messages"][0]["content"]
    assert any("cachePoint" in block for block in blocks) is cached


def test_an_anthropic_api_id_is_refused_before_any_call() -> None:
    settings = Settings.model_validate(
        {"agent": {"provider": "bedrock", "model": "claude-opus-5-5"}}
    )
    with pytest.raises(ConfigError, match=r"--model global\.anthropic\.claude-opus-5-5"):
        bedrock(settings, client=object(), environ={})
