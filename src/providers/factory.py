"""Choose and build the provider that the [agent] section names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from self_improving_agent.base.config import AgentSection, ProvidersSection
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.providers.base import Provider


def make_provider(
    agent: AgentSection,
    providers: ProvidersSection,
    *,
    repo: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Provider:
    """The provider of agent.provider, built now so setup errors come before any work."""
    env = os.environ if environ is None else environ
    choice, model = agent.provider, agent.model
    spec = providers.models.get(model)
    if choice == "anthropic":
        from self_improving_agent.providers.anthropic import AnthropicProvider

        return AnthropicProvider(providers.anthropic, model, spec, environ=env)
    if choice == "bedrock":
        from self_improving_agent.providers.bedrock import BedrockProvider

        return BedrockProvider(providers.bedrock, model, spec, environ=env)
    if choice == "openai":
        from self_improving_agent.providers.openai import OpenAIProvider

        return OpenAIProvider(providers.openai, model, spec, environ=env)
    if choice == "mock":
        from self_improving_agent.providers.mock import MockProvider

        return MockProvider(providers.mock, model, spec, environ=env, base_dir=repo)
    return _offline()


def _offline() -> Provider:
    """The offline provider, imported only when chosen because it ships separately."""
    try:
        from self_improving_agent.providers.offline import OfflineProvider
    except ImportError:
        raise ConfigError(
            "the offline provider is not available in this installation; "
            "choose --provider anthropic, bedrock, openai or mock"
        ) from None
    return OfflineProvider()
