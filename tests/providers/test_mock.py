"""The mock provider: script replay, exhaustion, delay, defaults and bad script files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError, ProviderError
from self_improving_agent.base.models import Build, Plan, Review
from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.providers.base import CompletionRequest, Persona
from self_improving_agent.providers.mock import SCRIPT_ENV, MockProvider
from tests.conftest import provider_args


def request(persona: Persona, prompt: str = "do it") -> CompletionRequest:
    """A minimal request of one persona."""
    return CompletionRequest(
        persona=persona, system="sys", prompt=prompt, schema_name="reply", json_schema={}
    )


def write_script(tmp_path: Path, script: object) -> Path:
    """A script file in tmp_path."""
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script), encoding="utf-8")
    return path


def test_replays_each_persona_in_order(tmp_path: Path) -> None:
    path = write_script(
        tmp_path, {"architect": ["first", "second"], "builder": ["b1"], "reviewer": ["r1"]}
    )
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={SCRIPT_ENV: str(path)})
    assert provider.complete(request("architect")).text == "first"
    assert provider.complete(request("builder")).text == "b1"
    assert provider.complete(request("architect")).text == "second"
    assert provider.complete(request("reviewer")).text == "r1"


def test_exhausted_persona_is_a_provider_error_naming_it(tmp_path: Path) -> None:
    path = write_script(tmp_path, {"architect": ["only"]})
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={SCRIPT_ENV: str(path)})
    provider.complete(request("architect"))
    with pytest.raises(ProviderError, match="architect"):
        provider.complete(request("architect"))
    with pytest.raises(ProviderError, match="builder"):
        provider.complete(request("builder"))


def test_delay_is_waited_before_each_reply(tmp_path: Path) -> None:
    path = write_script(tmp_path, {"reviewer": ["a", "b"], "delay_s": 0.05})
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={SCRIPT_ENV: str(path)})
    started = time.perf_counter()
    first = provider.complete(request("reviewer"))
    provider.complete(request("reviewer"))
    assert time.perf_counter() - started >= 0.1
    assert first.latency_s >= 0.05


def test_object_entries_come_back_as_json_text(tmp_path: Path) -> None:
    path = write_script(tmp_path, {"reviewer": [{"approved": True, "score": 1, "findings": []}]})
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={SCRIPT_ENV: str(path)})
    text = provider.complete(request("reviewer")).text
    assert Review.model_validate_json(text).approved


def test_config_script_is_resolved_against_base_dir(tmp_path: Path) -> None:
    write_script(tmp_path, {"builder": ["from config"]})
    settings = Settings.model_validate({"providers": {"mock": {"script": "script.json"}}})
    provider = MockProvider(*provider_args(settings, "mock"), environ={}, base_dir=tmp_path)
    assert provider.complete(request("builder")).text == "from config"


def test_environment_wins_over_config(tmp_path: Path) -> None:
    env_script = write_script(tmp_path, {"builder": ["from env"]})
    settings = Settings.model_validate({"providers": {"mock": {"script": "/nowhere.json"}}})
    provider = MockProvider(*provider_args(settings, "mock"), environ={SCRIPT_ENV: str(env_script)})
    assert provider.complete(request("builder")).text == "from env"


def test_defaults_are_valid_harmless_replies() -> None:
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={})
    plan = Plan.model_validate_json(provider.complete(request("architect")).text)
    build = Build.model_validate_json(provider.complete(request("builder")).text)
    review = Review.model_validate_json(provider.complete(request("reviewer")).text)
    assert [change.file for change in build.changes] == plan.files_to_modify
    assert build.changes[0].content.startswith('"""')
    assert review.approved
    again = Plan.model_validate_json(provider.complete(request("architect")).text)
    assert again == plan


def test_usage_is_estimated_from_characters_and_priced() -> None:
    provider = MockProvider(*provider_args(Settings(), "mock"), environ={})
    completion = provider.complete(request("architect", prompt="x" * 397))
    assert completion.usage.estimated
    assert completion.usage.input_tokens == 100  # 3 + 397 characters
    assert completion.usage.output_tokens == estimate_tokens(completion.text)
    assert completion.model == "claude-sonnet-4-6"
    expected = (100 * 3.0 + completion.usage.output_tokens * 15.0) / 1_000_000
    assert completion.cost_usd == pytest.approx(expected)


def test_unpriced_model_has_unknown_cost() -> None:
    settings = Settings.model_validate({"agent": {"model": "made-up"}})
    assert (
        MockProvider(*provider_args(settings, "mock"), environ={})
        .complete(request("builder"))
        .cost_usd
        is None
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{not json", "not valid JSON"),
        ('{"architect": "one string"}', "architect"),
        ('{"planner": []}', "planner"),
        ('{"delay_s": -1}', "delay_s"),
        ('{"architect": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested 100001 levels deep"),
    ],
)
def test_bad_script_is_one_clear_config_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "script.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        MockProvider(*provider_args(Settings(), "mock"), environ={SCRIPT_ENV: str(path)})
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_estimate_rounds_up() -> None:
    assert [estimate_tokens(t) for t in ("", "a", "abcd", "abcde")] == [0, 1, 1, 2]
