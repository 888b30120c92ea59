"""Whole generations through the Anthropic and Bedrock providers, the network faked at its edge.

A local HTTP server on 127.0.0.1 plays the Messages API or bedrock-runtime's Converse API, so the
real SDK, boto3, retries, the loop, git, benchmarks and the store all run as they do for users.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from self_improving_agent.base.models import Plan
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import GenerationOutcome, RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.anthropic import API_KEY_ENV, AnthropicProvider
from self_improving_agent.providers.bedrock import BedrockProvider
from tests.conftest import git, own_settings, provider_args
from tests.providers.fake_http import FakeApi
from tests.providers.generation_kit import (
    REPLIES,
    agent_run,
    anthropic_env,
    anthropic_error,
    anthropic_script,
    app,
    assert_nothing_left,
    bedrock_error,
    bedrock_ok,
    fake_key,
    report_of,
    runner,
    sent_key,
)


def test_cli_generation_with_forced_tool_replies_is_merged(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = anthropic_script()
    flags = ("--model", "claude-sonnet-4-0", "--auto-merge")
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), *flags)
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert api.schemas() == ["Plan", "Build", "Review"]
    first = api.requests[0]
    assert first[0] == "/v1/messages"
    assert sent_key(first[1]) == fake_key()
    assert first[2]["tools"][0]["name"] == "Plan"
    assert first[2]["system"][0]["cache_control"] == {"type": "ephemeral"}
    report = report_of(target)
    assert report.status == "accepted"
    assert [c.provider for c in report.llm_calls] == ["anthropic"] * 3
    plan_call = report.llm_calls[0]
    assert (plan_call.input_tokens, plan_call.output_tokens) == (100, 20)
    assert (plan_call.cache_write_tokens, plan_call.cache_read_tokens) == (50, 0)
    # Sonnet 4: $3 in, $15 out, $3.75 a cache write, per million.
    assert plan_call.cost_usd == pytest.approx((100 * 3 + 50 * 3.75 + 20 * 15) / 1e6)
    assert report.llm_totals["input_tokens"] == 600
    assert "Doubling" in git(target, "show", "main:pkg/util.py")
    assert_nothing_left(target)


def test_generation_with_text_replies_through_the_sdk_transport(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, _ = anthropic_api
    api.replies = anthropic_script()

    def handler(request: httpx2.Request) -> httpx2.Response:
        status, headers, body = api.answer(request.url.path, {}, json.loads(request.content))
        return httpx2.Response(status, json=body, headers=headers)

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    settings = own_settings()
    provider = AnthropicProvider(
        *provider_args(settings, "anthropic"), environ={API_KEY_ENV: fake_key()}, http_client=client
    )
    with Store.for_repo(target) as store:
        deps = open_deps(target, settings, store, lambda line: None, provider=provider)
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    assert outcome.status == "accepted", outcome.reason
    assert api.schemas() == ["Plan", "Build", "Review"]
    assert report_of(target).plan == Plan.model_validate(REPLIES["Plan"])


def test_overload_then_rate_limit_is_retried_and_only_answers_are_counted(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = anthropic_script()
    api.replies["Plan"][:0] = [
        anthropic_error(529, "overloaded_error", "Overloaded"),
        anthropic_error(429, "rate_limit_error", "Slow down"),
    ]
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), "--auto-merge")
    assert code == 0
    assert out.startswith("gen 1 accepted")
    assert api.schemas() == ["Plan", "Plan", "Plan", "Build", "Review"]
    report = report_of(target)
    assert len(report.llm_calls) == 3
    assert report.llm_totals["calls"] == 3
    assert report.llm_totals["input_tokens"] == 600
    assert report.llm_totals["output_tokens"] == 70
    with Store.for_repo(target) as store:
        assert len(store.llm_calls(1)) == 3


def test_refused_key_fails_at_once_and_leaves_nothing(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = {"Plan": [anthropic_error(401, "authentication_error", "invalid x-api-key")]}
    argv = ["loop", "--max-gen", "5", "--repo", str(target), "--provider", "anthropic"]
    result = runner.invoke(app, argv, env={"COLUMNS": "300", **anthropic_env(url)})
    code, out, err = result.exit_code, result.stdout, result.stderr
    # The loop stops at once: asking again with a refused key cannot help.
    assert len(api.requests) == 1
    assert out == ""
    assert err.splitlines()[-1].startswith("error: Anthropic refused the API key in ")
    assert API_KEY_ENV in err
    assert "Traceback" not in out + err
    report = report_of(target)
    assert report.status == "rejected"
    assert report.llm_calls == []
    assert_nothing_left(target)
    assert code == 1


def test_missing_key_fails_before_any_work(target: Path) -> None:
    code, out, err = agent_run(target, "anthropic", {API_KEY_ENV: ""})
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and API_KEY_ENV in err
    assert "Traceback" not in err
    assert not (target / ".agent" / "worktrees").exists()
    assert git(target, "branch", "--list", "agent/*").strip() == ""
    assert not (target / "reports").exists()


def test_api_key_never_reaches_reports_logs_store_or_output(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    key = fake_key()
    api, url = anthropic_api
    api.replies = anthropic_script()
    # The second generation's refusal quotes the key back, as a careless proxy might.
    api.replies["Plan"].append(anthropic_error(401, "authentication_error", f"bad key {key}"))
    flags = ("--auto-merge", "--log-level", "DEBUG", "--log-format", "json")
    outputs = []
    for _ in range(2):
        code, out, err = agent_run(target, "anthropic", anthropic_env(url, key), *flags)
        outputs += [out, err]
    assert code == 1
    assert [sent_key(h) for _, h, _ in api.requests] == [key] * 4
    assert "refused the API key" in outputs[3]
    assert all(key not in text for text in outputs)
    state = [p for p in (target / ".agent").rglob("*") if p.is_file()]
    reports = list((target / "reports").glob("gen-*.json"))
    assert len(reports) == 2
    assert any(p.name == "agent.db" for p in state)
    for path in state + reports:
        assert key.encode() not in path.read_bytes(), path
    assert key not in git(target, "log", "-p", "--all")


@pytest.mark.parametrize(
    ("model", "as_text", "prices"),
    [
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", False, (3.3, 16.5)),
        ("global.anthropic.claude-sonnet-4-6", True, (3.0, 15.0)),
    ],
    ids=["tool", "json_schema"],
)
def test_cli_generation_through_bedrock_retries_throttling(
    target: Path,
    bedrock_api: tuple[FakeApi, dict[str, str]],
    model: str,
    as_text: bool,
    prices: tuple[float, float],
) -> None:
    api, env = bedrock_api
    api.replies = {schema: [bedrock_ok(schema, as_text)] for schema in REPLIES}
    api.replies["Build"].insert(0, bedrock_error(429, "ThrottlingException", "Too many requests"))
    code, out, _ = agent_run(target, "bedrock", env, "--model", model, "--auto-merge")
    assert code == 0
    assert out.startswith("gen 1 accepted"), out
    assert api.schemas() == ["Plan", "Build", "Build", "Review"]
    path = f"/model/{model.replace(':', '%3A')}/converse"
    assert {path for path, _, _ in api.requests} == {path}
    report = report_of(target)
    assert [c.provider for c in report.llm_calls] == ["bedrock"] * 3
    assert report.llm_totals["input_tokens"] == 600
    assert report.llm_calls[0].cost_usd == pytest.approx((100 * prices[0] + 20 * prices[1]) / 1e6)
    assert_nothing_left(target)


def test_bedrock_validation_error_fails_the_plan_with_the_service_message(
    target: Path, bedrock_api: tuple[FakeApi, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, env = bedrock_api
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    api.replies = {"Plan": [bedrock_error(400, "ValidationException", "The model is not valid.")]}
    settings = own_settings()
    settings.agent.model = "global.anthropic.claude-sonnet-4-6"
    settings.providers.bedrock.endpoint_url = env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
    with Store.for_repo(target) as store:
        deps = open_deps(
            target,
            settings,
            store,
            lambda line: None,
            BedrockProvider(*provider_args(settings, "bedrock")),
        )
        outcome: GenerationOutcome = run_generation(deps, RunOptions(auto_merge=True))
        entry = store.get_generation(1)
    assert outcome.status == "rejected"
    assert outcome.reason == "plan failed: Bedrock ValidationException: The model is not valid."
    assert entry is not None and entry.reason == outcome.reason
    assert len(api.requests) == 1
    assert_nothing_left(target)
