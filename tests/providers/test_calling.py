"""The API providers share one complete(); each keeps only how it asks and reads the answer."""

from __future__ import annotations

from self_improving_agent.providers.anthropic import AnthropicProvider
from self_improving_agent.providers.bedrock import BedrockProvider
from self_improving_agent.providers.calling import ApiProvider
from self_improving_agent.providers.openai import OpenAIProvider


def test_every_api_provider_completes_through_the_one_skeleton() -> None:
    for provider in (AnthropicProvider, BedrockProvider, OpenAIProvider):
        assert issubclass(provider, ApiProvider)
        assert provider.complete is ApiProvider.complete
        assert not getattr(provider, "__abstractmethods__", None)
