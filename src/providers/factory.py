"""Choose and build the provider that settings name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.providers.base import Provider


def make_provider(
    settings: Settings,
    *,
    repo: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Provider:
    """The provider of settings.agent.provider, built now so setup errors come before any work."""
    env = os.environ if environ is None else environ
    choice = settings.agent.provider
    if choice == "anthropic":
        from self_improving_agent.providers.anthropic import AnthropicProvider

        return AnthropicProvider(settings, environ=env)
    if choice == "bedrock":
        from self_improving_agent.providers.bedrock import BedrockProvider

        return BedrockProvider(settings, environ=env)
    if choice == "openai":
        from self_improving_agent.providers.openai import OpenAIProvider

        return OpenAIProvider(settings, environ=env)
    if choice == "mock":
        from self_improving_agent.providers.mock import MockProvider

        return MockProvider(settings, environ=env, base_dir=repo)
    return _offline(settings)


def _offline(settings: Settings) -> Provider:
    """The offline provider, imported only when chosen because it ships separately."""
    try:
        from self_improving_agent.providers.offline import OfflineProvider
    except ImportError:
        raise ConfigError(
            "the offline provider is not available in this installation; "
            "choose --provider anthropic, bedrock, openai or mock"
        ) from None
    return OfflineProvider(settings)
