"""The Anthropic Messages API behind the Provider seam: structured replies, caching, retries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import anthropic
import httpx2
from anthropic.types import (
    CacheControlEphemeralParam,
    Message,
    MessageParam,
    TextBlockParam,
    ToolParam,
)

from self_improving_agent.base.config import AnthropicSection, ModelSpec, StructuredOutput
from self_improving_agent.base.errors import ConfigError, ProviderAuthError, ProviderError
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.providers.base import CompletionRequest, Usage
from self_improving_agent.providers.calling import ApiProvider
from self_improving_agent.providers.catalogue import (
    FeatureRefused,
    OutputPath,
    names_feature,
)
from self_improving_agent.providers.schemas import strict_schema

API_KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
_EPHEMERAL: CacheControlEphemeralParam = {"type": "ephemeral"}


def system_blocks(request: CompletionRequest) -> list[TextBlockParam]:
    """The system prompt as one cached block (none when empty, which the API rejects)."""
    if not request.system:
        return []
    return [{"type": "text", "text": request.system, "cache_control": _EPHEMERAL}]


def user_message(request: CompletionRequest) -> MessageParam:
    """The user turn: the stable context as a cached block, then the variable prompt."""
    blocks: list[TextBlockParam] = []
    if request.context:
        blocks.append({"type": "text", "text": request.context, "cache_control": _EPHEMERAL})
    blocks.append({"type": "text", "text": request.prompt})
    return {"role": "user", "content": blocks}


def reply_tool(request: CompletionRequest) -> ToolParam:
    """The reply schema as the tool the model is forced to call."""
    return {
        "name": request.schema_name,
        "description": f"Give your answer as a {request.schema_name} object.",
        "input_schema": request.json_schema,
    }


def structure_params(request: CompletionRequest, mode: StructuredOutput) -> dict[str, Any]:
    """The arguments that constrain the reply: an output format, a forced tool, or none."""
    if mode == "json_schema":
        schema = strict_schema(request.json_schema)
        return {"output_config": {"format": {"type": "json_schema", "schema": schema}}}
    if mode == "tool":
        return {
            "tools": [reply_tool(request)],
            "tool_choice": {"type": "tool", "name": request.schema_name},
        }
    return {}


def usage_of(message: Message) -> Usage:
    """Token counts of the answered call, as the API reports them."""
    usage = message.usage
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
    )


def reply_of(message: Message, tool_name: str) -> tuple[str, dict[str, Any] | None]:
    """The reply's text and, when the model called the reply tool, that call's input."""
    text_parts: list[str] = []
    data: dict[str, Any] | None = None
    for block in message.content:
        if block.type == "text":
            text_parts.append(block.text)
        elif block.type == "tool_use" and block.name == tool_name and data is None:
            data = dict(block.input)
    return "".join(text_parts), data


def error_message(exc: anthropic.AnthropicError, base_url: str, timeout_s: float) -> str:
    """One sentence saying why the API did not answer and what to do about it."""
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return (
            f"Anthropic refused the API key in {API_KEY_ENV} (HTTP {exc.status_code}: "
            f"{exc.api_message or exc.message}); set a valid key with access to this model"
        )
    if isinstance(exc, anthropic.APIStatusError):
        return f"Anthropic API error HTTP {exc.status_code}: {exc.api_message or exc.message}"
    if isinstance(exc, anthropic.APITimeoutError):
        return (
            f"Anthropic API did not answer within {timeout_s:g}s; "
            "raise [providers.anthropic] timeout_s or retry later"
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return f"cannot reach the Anthropic API at {base_url} ({exc.message}); check the network"
    return f"Anthropic client error: {exc}"


class AnthropicProvider(ApiProvider[Message]):
    """Answers persona requests through the Anthropic Messages API."""

    name = "anthropic"

    def __init__(
        self,
        section: AnthropicSection,
        model: str,
        spec: ModelSpec | None,
        *,
        environ: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
    ) -> None:
        """Build the SDK client; a missing API key is a ConfigError before any work starts."""
        env = os.environ if environ is None else environ
        api_key = env.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise ConfigError(
                f"{API_KEY_ENV} is not set; export your Anthropic API key "
                "or choose another provider with --provider"
            )
        self.model = model
        self.spec = spec
        # The structured-output path, moved on for the rest of the run when the API refuses it.
        self.path = OutputPath(self.name, self.model, self.spec)
        self._timeout_s = section.timeout_s
        self._secrets = [api_key, *secret_values(env)]
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=section.base_url or env.get(BASE_URL_ENV) or None,
            max_retries=section.max_retries,
            timeout=section.timeout_s,
            http_client=http_client,
        )

    def read_reply(
        self, reply: Message, request: CompletionRequest
    ) -> tuple[str, dict[str, Any] | None]:
        """The text blocks, and the reply tool's input when the model called it."""
        return reply_of(reply, request.schema_name)

    def read_usage(self, reply: Message, request: CompletionRequest, text: str) -> Usage:
        """The usage the API counted, cache tokens included."""
        return usage_of(reply)

    def ask_api(self, request: CompletionRequest, mode: StructuredOutput) -> Message:
        """One Messages call on mode's path; SDK retries happen inside it."""
        try:
            message: Message = self._client.messages.create(
                model=self.model,
                max_tokens=request.max_tokens,
                system=system_blocks(request) or anthropic.omit,
                messages=[user_message(request)],
                **structure_params(request, mode),
            )
            return message
        except anthropic.BadRequestError as exc:
            if names_feature(mode, exc.api_message or exc.message):
                raise FeatureRefused(
                    redact(exc.api_message or exc.message, self._secrets)
                ) from None
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
        except anthropic.AnthropicError as exc:
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
            if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
                raise ProviderAuthError(redact(reason, self._secrets)) from None
        raise ProviderError(redact(reason, self._secrets))
