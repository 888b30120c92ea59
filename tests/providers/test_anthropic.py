"""AnthropicProvider against httpx2.MockTransport: the real SDK, no network."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError, ProviderAuthError, ProviderError
from self_improving_agent.providers.anthropic import API_KEY_ENV, AnthropicProvider
from self_improving_agent.providers.base import CompletionRequest
from tests.conftest import provider_args

# Built at run time so this file does not itself look like it holds a key.
KEY = "sk-" + "ant-test-0123456789abcdef"
ENV = {API_KEY_ENV: KEY}
PLAN = {"title": "Add docstrings", "files_to_modify": ["src/a.py"]}
Handler = Callable[[httpx2.Request], httpx2.Response]


def message(content: list[dict[str, Any]], **usage: int) -> dict[str, Any]:
    """A Messages API response body."""
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": content,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, **usage},
    }


def tool_reply(**usage: int) -> httpx2.Response:
    """The model calling the forced `plan` tool."""
    block = {"type": "tool_use", "id": "toolu_1", "name": "plan", "input": PLAN}
    return httpx2.Response(200, json=message([block], **usage))


def error(status: int, kind: str, text: str, **headers: str) -> httpx2.Response:
    """An API error response."""
    body = {"type": "error", "error": {"type": kind, "message": text}}
    return httpx2.Response(status, json=body, headers=headers)


class Recorder:
    """A transport handler that answers from a list and keeps every request it saw."""

    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.responses.pop(0)

    def body(self, index: int = -1) -> dict[str, Any]:
        """The JSON body of one recorded request."""
        result: dict[str, Any] = json.loads(self.requests[index].content)
        return result


def provider(
    handler: Handler, settings: Settings | None = None, env: dict[str, str] | None = None
) -> AnthropicProvider:
    """A provider whose SDK client talks to handler instead of the network."""
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    return AnthropicProvider(
        *provider_args(settings or Settings(), "anthropic"),
        environ=ENV if env is None else env,
        http_client=client,
    )


def request(context: str = "repo map") -> CompletionRequest:
    """An Architect request with a context prefix."""
    return CompletionRequest(
        persona="architect",
        system="You are the Architect.",
        context=context,
        prompt="Plan one change.",
        schema_name="plan",
        json_schema={"type": "object", "properties": {"title": {"type": "string"}}},
        max_tokens=1000,
    )


TOOL_MODEL = Settings.model_validate({"agent": {"model": "claude-sonnet-4-0"}})


def text_reply(text: str = '{"title": "x"}') -> httpx2.Response:
    """The model answering in text (the output_config and text paths)."""
    return httpx2.Response(200, json=message([{"type": "text", "text": text}]))


def test_current_model_gets_a_closed_json_schema_and_no_forced_tool() -> None:
    recorder = Recorder(text_reply())
    completion = provider(recorder).complete(request())
    assert completion.text == '{"title": "x"}'
    body = recorder.body()
    assert "tools" not in body and "tool_choice" not in body
    assert body["output_config"] == {
        "format": {
            "type": "json_schema",
            "schema": {
                "type": "object",
                "properties": {"title": {"type": "string"}},
                "required": [],
                "additionalProperties": False,
            },
        }
    }


def test_unknown_model_refusing_output_config_moves_to_the_forced_tool_once() -> None:
    settings = Settings.model_validate({"agent": {"model": "claude-future-9"}})
    recorder = Recorder(
        error(400, "invalid_request_error", "output_config.format: not supported by this model"),
        tool_reply(),
        tool_reply(),
    )
    subject = provider(recorder, settings)
    assert subject.complete(request()).data == PLAN
    assert subject.complete(request()).data == PLAN
    assert ["output_config" in recorder.body(i) for i in range(3)] == [True, False, False]
    assert [recorder.body(i).get("tool_choice") for i in (1, 2)] == [
        {"type": "tool", "name": "plan"}
    ] * 2
    assert subject.path.mode == "tool"


def test_model_refusing_forced_tools_moves_to_the_text_path() -> None:
    recorder = Recorder(
        error(400, "invalid_request_error", "Forced tool use is not supported for this model"),
        text_reply(),
    )
    subject = provider(recorder, TOOL_MODEL)
    assert subject.complete(request()).text == '{"title": "x"}'
    last = recorder.body()
    assert "tools" not in last and "output_config" not in last
    assert subject.path.mode == "text"


def test_a_400_about_the_request_itself_fails_without_switching() -> None:
    recorder = Recorder(error(400, "invalid_request_error", "max_tokens: too large"))
    subject = provider(recorder)
    with pytest.raises(ProviderError, match="HTTP 400: max_tokens: too large"):
        subject.complete(request())
    assert len(recorder.requests) == 1
    assert subject.path.mode == "json_schema"


def test_forced_tool_reply_becomes_data() -> None:
    recorder = Recorder(tool_reply(cache_creation_input_tokens=300, cache_read_input_tokens=0))
    completion = provider(recorder, TOOL_MODEL).complete(request())
    assert completion.data == PLAN
    assert completion.text == ""
    assert completion.model == "claude-sonnet-4-0"
    assert completion.usage.input_tokens == 10
    assert completion.usage.cache_write_tokens == 300
    assert not completion.usage.estimated
    assert completion.cost_usd == pytest.approx((10 * 3 + 5 * 15 + 300 * 3.75) / 1e6)
    body = recorder.body()
    assert body["tool_choice"] == {"type": "tool", "name": "plan"}
    assert body["tools"][0]["name"] == "plan"
    assert body["tools"][0]["input_schema"] == request().json_schema
    assert body["max_tokens"] == 1000
    assert recorder.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_text_reply_becomes_text() -> None:
    body = message([{"type": "text", "text": '{"title": "x"}'}])
    completion = provider(Recorder(httpx2.Response(200, json=body))).complete(request())
    assert completion.text == '{"title": "x"}'
    assert completion.data is None


def test_system_and_context_are_cached_and_prompt_is_not() -> None:
    recorder = Recorder(tool_reply())
    provider(recorder).complete(request())
    body = recorder.body()
    assert body["system"] == [
        {"type": "text", "text": "You are the Architect.", "cache_control": {"type": "ephemeral"}}
    ]
    context, prompt = body["messages"][0]["content"]
    assert context == {"type": "text", "text": "repo map", "cache_control": {"type": "ephemeral"}}
    assert prompt == {"type": "text", "text": "Plan one change."}


def test_empty_context_sends_only_the_prompt() -> None:
    recorder = Recorder(tool_reply())
    provider(recorder).complete(request(context=""))
    assert recorder.body()["messages"][0]["content"] == [
        {"type": "text", "text": "Plan one change."}
    ]


def test_529_then_429_then_success_is_retried_honouring_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder(
        error(529, "overloaded_error", "Overloaded", **{"retry-after": "0.01"}),
        error(429, "rate_limit_error", "Slow down", **{"retry-after": "0.01"}),
        tool_reply(cache_read_input_tokens=400),
    )
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    completion = provider(recorder).complete(request())
    # The SDK's own backoff would wait at least 0.375 s, then 0.75 s.
    assert waits == [0.01, 0.01]
    assert len(recorder.requests) == 3
    assert completion.data == PLAN
    assert completion.usage.model_dump() == {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_write_tokens": 0,
        "cache_read_tokens": 400,
        "estimated": False,
    }


def test_retries_are_bounded_by_config() -> None:
    settings = Settings.model_validate({"providers": {"anthropic": {"max_retries": 1}}})
    recorder = Recorder(
        *[error(500, "api_error", "Internal", **{"retry-after": "0.01"}) for _ in range(2)]
    )
    with pytest.raises(ProviderError, match="HTTP 500: Internal"):
        provider(recorder, settings).complete(request())
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "authentication_error"), (403, "permission_error")]
)
def test_refused_key_fails_at_once_without_leaking_it(status: int, kind: str) -> None:
    recorder = Recorder(error(status, kind, f"invalid x-api-key {KEY}"))
    with pytest.raises(ProviderAuthError) as caught:
        provider(recorder).complete(request())
    assert len(recorder.requests) == 1
    text = str(caught.value)
    assert "refused the API key" in text
    assert API_KEY_ENV in text
    assert f"HTTP {status}" in text
    assert KEY not in text
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("env", [{}, {API_KEY_ENV: "  "}])
def test_missing_key_is_a_config_error_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=API_KEY_ENV):
        provider(Recorder(), env=env)


def test_base_url_from_config_wins_over_environment() -> None:
    settings = Settings.model_validate(
        {"providers": {"anthropic": {"base_url": "http://127.0.0.1:9/from-config"}}}
    )
    recorder = Recorder(tool_reply())
    env = {**ENV, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/from-env"}
    provider(recorder, settings, env).complete(request())
    assert str(recorder.requests[0].url) == "http://127.0.0.1:9/from-config/v1/messages"


def test_base_url_from_environment() -> None:
    recorder = Recorder(tool_reply())
    env = {**ENV, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/from-env"}
    provider(recorder, env=env).complete(request())
    assert str(recorder.requests[0].url) == "http://127.0.0.1:9/from-env/v1/messages"


def test_timeout_names_the_setting() -> None:
    settings = Settings.model_validate(
        {"providers": {"anthropic": {"max_retries": 0, "timeout_s": 5}}}
    )

    def hang(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    with pytest.raises(ProviderError, match=r"within 5s.*timeout_s"):
        provider(hang, settings).complete(request())


def test_unpriced_model_still_answers_with_unknown_cost() -> None:
    settings = Settings.model_validate({"agent": {"model": "claude-future-9"}})
    recorder = Recorder(text_reply())
    completion = provider(recorder, settings).complete(request())
    assert completion.cost_usd is None
    assert recorder.body()["model"] == "claude-future-9"


def test_call_overhead_outside_the_transport_is_small() -> None:
    handler_s = 0.0

    def timed(req: httpx2.Request) -> httpx2.Response:
        nonlocal handler_s
        started = time.process_time()
        response = tool_reply()
        handler_s += time.process_time() - started
        return response

    subject = provider(timed)
    calls = 200
    # CPU time of this process, so a loaded machine does not count against the provider.
    started = time.process_time()
    for _ in range(calls):
        subject.complete(request())
    overhead_ms = (time.process_time() - started - handler_s) / calls * 1000
    print(f"anthropic provider overhead: {overhead_ms:.2f} ms per call over {calls} calls")
    assert overhead_ms < 25
