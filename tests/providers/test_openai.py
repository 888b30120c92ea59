"""OpenAIProvider with the real openai SDK against a Chat Completions server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError, ProviderAuthError, ProviderError
from self_improving_agent.providers.base import CompletionRequest
from self_improving_agent.providers.openai import (
    LOCAL_KEY,
    OPENAI_KEY_ENV,
    OPENAI_URL_ENV,
    OpenAIProvider,
    is_local,
)
from tests.conftest import provider_args
from tests.providers.fake_http import FakeApi, Reply, serve

KEY = "sk-" + "proj-test-0123456789abcdef"
PLAN = {"title": "Add docstrings"}
FAST_RETRY = {"retry-after": "0.01"}


def request() -> CompletionRequest:
    """An Architect request with a context prefix."""
    return CompletionRequest(
        persona="architect",
        system="You are the Architect.",
        context="repo map",
        prompt="Plan one change.",
        schema_name="Plan",
        json_schema={"type": "object", "properties": {"title": {"type": "string"}}},
        max_tokens=1000,
    )


def chat(message: dict[str, Any], usage: dict[str, Any] | None = None) -> Reply:
    """A 200 Chat Completions response carrying message."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "served-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    if usage is not None:
        body["usage"] = usage
    return 200, {}, body


def text(content: str, **usage: Any) -> Reply:
    """The model answering in text."""
    counts = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150, **usage}
    return chat({"role": "assistant", "content": content}, counts)


def tool_call(arguments: str) -> Reply:
    """The model calling the forced Plan function."""
    call = {"id": "c1", "type": "function", "function": {"name": "Plan", "arguments": arguments}}
    return chat({"role": "assistant", "content": None, "tool_calls": [call]}, None)


def error(status: int, message: str, **headers: str) -> Reply:
    """An OpenAI-style error body."""
    return status, headers, {"error": {"message": message, "type": "invalid_request_error"}}


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, str]]:
    """A fake Chat Completions server; every request routes to one queue."""
    fake = FakeApi(lambda body: "chat")
    with serve(fake) as url:
        yield fake, f"{url}/v1"


def provider(url: str, *, env: dict[str, str] | None = None, **settings: Any) -> OpenAIProvider:
    """A provider for model `served-model` at url, with settings merged in."""
    data = {"agent": {"provider": "openai", "model": "served-model"}, **settings}
    merged = Settings.model_validate(data)
    merged.providers.openai.base_url = url
    return OpenAIProvider(
        *provider_args(merged, "openai"), environ={OPENAI_KEY_ENV: KEY} if env is None else env
    )


def test_json_schema_reply_with_usage_and_catalogue_cost(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    details = {"prompt_tokens_details": {"cached_tokens": 100}}
    fake.replies["chat"] = [text(json.dumps(PLAN), **details)]
    models = {
        "served-model": {"provider": "openai", "input": 1.0, "output": 2.0, "cache_read": 0.1}
    }
    completion = provider(url, providers={"models": models}).complete(request())
    assert json.loads(completion.text) == PLAN
    assert (completion.usage.input_tokens, completion.usage.cache_read_tokens) == (20, 100)
    assert completion.cost_usd == pytest.approx((20 * 1.0 + 30 * 2.0 + 100 * 0.1) / 1e6)
    path, headers, body = fake.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert body["messages"] == [
        {"role": "system", "content": "You are the Architect."},
        {"role": "user", "content": "repo map\n\nPlan one change."},
    ]
    assert body["max_tokens"] == 1000
    spec = body["response_format"]["json_schema"]
    assert (spec["name"], spec["strict"]) == ("Plan", True)
    assert spec["schema"]["additionalProperties"] is False
    assert spec["schema"]["required"] == ["title"]


def test_unlisted_model_is_unpriced(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [text(json.dumps(PLAN))]
    assert provider(url).complete(request()).cost_usd is None


def test_429_with_retry_after_and_500_are_retried_by_the_sdk(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [
        error(429, "Rate limit reached", **FAST_RETRY),
        error(500, "Internal error", **FAST_RETRY),
        text(json.dumps(PLAN)),
    ]
    completion = provider(url).complete(request())
    assert json.loads(completion.text) == PLAN
    assert len(fake.requests) == 3


def test_retries_are_bounded_by_config(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [error(500, "Internal error", **FAST_RETRY) for _ in range(2)]
    subject = provider(url, providers={"openai": {"max_retries": 1}})
    with pytest.raises(ProviderError, match="HTTP 500"):
        subject.complete(request())
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [('{"choices": [ this is not json', "not JSON"), ('{"id": "x"}', "no choices")],
    ids=["broken", "no-choices"],
)
def test_malformed_body_is_one_sentence(api: tuple[FakeApi, str], body: str, words: str) -> None:
    fake, url = api
    fake.replies["chat"] = [(200, {}, body)]
    with pytest.raises(ProviderError, match=words) as caught:
        provider(url).complete(request())
    assert caught.value.__cause__ is None


def test_reply_ignoring_the_schema_is_left_to_the_parser(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [text("Sure! I would add docstrings.")]
    completion = provider(url).complete(request())
    assert completion.text == "Sure! I would add docstrings."
    assert completion.data is None


def test_server_refusing_json_schema_moves_to_a_forced_function_once(
    api: tuple[FakeApi, str],
) -> None:
    fake, url = api
    fake.replies["chat"] = [
        error(400, "response_format json_schema is not supported by this model"),
        tool_call(json.dumps(PLAN)),
        tool_call(json.dumps(PLAN)),
    ]
    subject = provider(url)
    assert subject.complete(request()).data == PLAN
    assert subject.complete(request()).data == PLAN
    bodies = [body for _, _, body in fake.requests]
    assert ["response_format" in body for body in bodies] == [True, False, False]
    assert bodies[2]["tool_choice"] == {"type": "function", "function": {"name": "Plan"}}
    assert subject.path.mode == "tool"


def test_refused_key_is_an_auth_error_without_the_key(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [error(401, f"Incorrect API key provided: {KEY}")]
    with pytest.raises(ProviderAuthError, match=OPENAI_KEY_ENV) as caught:
        provider(url).complete(request())
    assert KEY not in str(caught.value)
    assert len(fake.requests) == 1


def test_local_server_needs_no_key(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [text(json.dumps(PLAN))]
    provider(url, env={}).complete(request())
    assert fake.requests[0][1]["authorization"] == f"Bearer {LOCAL_KEY}"


@pytest.mark.parametrize("env", [{}, {OPENAI_URL_ENV: "https://openrouter.ai/api/v1"}])
def test_remote_server_without_a_key_is_a_config_error(env: dict[str, str]) -> None:
    settings = Settings.model_validate({"agent": {"provider": "openai", "model": "gpt-5"}})
    with pytest.raises(ConfigError, match=f"{OPENAI_KEY_ENV} is not set"):
        OpenAIProvider(*provider_args(settings, "openai"), environ=env)


def test_base_url_from_the_environment(api: tuple[FakeApi, str]) -> None:
    fake, url = api
    fake.replies["chat"] = [text(json.dumps(PLAN))]
    settings = Settings.model_validate({"agent": {"provider": "openai", "model": "m"}})
    OpenAIProvider(*provider_args(settings, "openai"), environ={OPENAI_URL_ENV: url}).complete(
        request()
    )
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://192.168.1.20:1234/v1", True),
        ("http://gpu-box.local:8080/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://openrouter.ai/api/v1", False),
    ],
)
def test_which_base_urls_count_as_local(url: str, local: bool) -> None:
    assert is_local(url) is local
