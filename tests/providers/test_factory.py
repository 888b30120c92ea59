"""make_provider: each name builds its provider, and setup errors surface at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.providers.anthropic import API_KEY_ENV, AnthropicProvider
from self_improving_agent.providers.base import CompletionRequest
from self_improving_agent.providers.bedrock import BedrockProvider
from self_improving_agent.providers.factory import make_provider
from self_improving_agent.providers.mock import MockProvider
from self_improving_agent.providers.offline import OfflineProvider
from tests.conftest import provider_sections

OFFLINE_MODULE = "self_improving_agent.providers.offline"


def settings_for(provider: str, **agent: str) -> Settings:
    """Settings choosing one provider."""
    return Settings.model_validate({"agent": {"provider": provider, **agent}})


def test_mock(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps({"builder": ["scripted"]}), encoding="utf-8")
    settings = Settings.model_validate(
        {"agent": {"provider": "mock"}, "providers": {"mock": {"script": "s.json"}}}
    )
    provider = make_provider(*provider_sections(settings), repo=tmp_path, environ={})
    assert isinstance(provider, MockProvider)
    request = CompletionRequest(
        persona="builder", system="s", prompt="p", schema_name="build", json_schema={}
    )
    assert provider.complete(request).text == "scripted"


def test_anthropic_needs_its_key() -> None:
    with pytest.raises(ConfigError, match=API_KEY_ENV):
        make_provider(*provider_sections(settings_for("anthropic")), environ={})
    provider = make_provider(
        *provider_sections(settings_for("anthropic")), environ={API_KEY_ENV: "sk-ant-test-key"}
    )
    assert isinstance(provider, AnthropicProvider)
    assert provider.name == "anthropic"


def test_bedrock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example-value")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    provider = make_provider(
        *provider_sections(settings_for("bedrock", model="anthropic.claude-sonnet-4-6"))
    )
    assert isinstance(provider, BedrockProvider)


def test_offline_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, OFFLINE_MODULE, None)
    with pytest.raises(ConfigError, match="offline provider is not available"):
        make_provider(*provider_sections(settings_for("offline")))


def test_offline_is_built_when_present() -> None:
    settings = settings_for("offline")
    provider = make_provider(*provider_sections(settings))
    assert isinstance(provider, OfflineProvider)
    assert provider.name == "offline"


def test_openai_for_a_local_server_needs_no_key() -> None:
    from self_improving_agent.providers.openai import OPENAI_URL_ENV, OpenAIProvider

    settings = settings_for("openai", model="qwen3-coder")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_provider(*provider_sections(settings), environ={})
    provider = make_provider(
        *provider_sections(settings), environ={OPENAI_URL_ENV: "http://localhost:11434/v1"}
    )
    assert isinstance(provider, OpenAIProvider)
    assert provider.name == "openai"
