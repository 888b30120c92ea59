"""Any OpenAI-compatible Chat Completions server behind the Provider seam.

OpenAI itself, Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter and LiteLLM proxy all speak
this API; only the base URL, the key and the model name differ.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import httpx2
import openai
from openai.types.chat import ChatCompletion

from src.base.config import Settings, StructuredOutput
from src.base.errors import ConfigError, ProviderAuthError
from src.base.secrets import redact, secret_values
from src.providers.base import Completion, CompletionRequest, ProviderError, Usage, estimated_usage
from src.providers.catalogue import (
    FeatureRefused,
    first_mode,
    names_feature,
    spec_for,
    switch_mode,
)
from src.providers.pricing import cost_usd
from src.providers.schemas import strict_schema

API_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
# Sent as the bearer token to local servers, which need no key but some SDK path wants one.
LOCAL_KEY = "local-server"


def is_local(base_url: str) -> bool:
    """Whether base_url is on this machine or a private network, where servers need no key."""
    host = urlparse(base_url).hostname or ""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def chat_messages(request: CompletionRequest) -> list[dict[str, str]]:
    """The system prompt, then the stable context and the prompt as one user turn.

    The context comes first so servers with automatic prefix caching can reuse it.
    """
    messages = [{"role": "system", "content": request.system}] if request.system else []
    user = f"{request.context}\n\n{request.prompt}" if request.context else request.prompt
    return [*messages, {"role": "user", "content": user}]


def structure_params(request: CompletionRequest, mode: StructuredOutput) -> dict[str, Any]:
    """The arguments that constrain the reply: response_format, a forced function, or none."""
    name = request.schema_name
    if mode == "json_schema":
        schema = strict_schema(request.json_schema, all_required=True)
        spec = {"name": name, "schema": schema, "strict": True}
        return {"response_format": {"type": "json_schema", "json_schema": spec}}
    if mode == "tool":
        function = {
            "name": name,
            "description": f"Give your answer as a {name} object.",
            "parameters": request.json_schema,
        }
        return {
            "tools": [{"type": "function", "function": function}],
            "tool_choice": {"type": "function", "function": {"name": name}},
        }
    return {}


def reply_of(completion: ChatCompletion, name: str) -> tuple[str, dict[str, Any] | None]:
    """The reply's text and, when the model called the reply function, its parsed arguments."""
    if not getattr(completion, "choices", None):
        raise ProviderError("the OpenAI-compatible server answered with no choices")
    message = completion.choices[0].message
    text = message.content or ""
    for call in message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is None or function.name != name:
            continue
        try:
            data = json.loads(function.arguments)
        except json.JSONDecodeError:
            # Leave the arguments to the text parser, which reports what is wrong.
            return text + function.arguments, None
        return text, data if isinstance(data, dict) else None
    return text, None


def usage_of(completion: ChatCompletion, request: CompletionRequest) -> Usage:
    """Token counts as the server reports them, cached prompt tokens apart; estimated if absent."""
    usage = completion.usage
    if usage is None:
        return estimated_usage(request, reply_of(completion, request.schema_name)[0])
    details = usage.prompt_tokens_details
    cached = (details.cached_tokens or 0) if details is not None else 0
    return Usage(
        input_tokens=usage.prompt_tokens - cached,
        output_tokens=usage.completion_tokens,
        cache_read_tokens=cached,
    )


def error_message(exc: openai.OpenAIError, base_url: str, timeout_s: float) -> str:
    """One sentence saying why the server did not answer and what to do about it."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return (
            f"the server at {base_url} refused the API key in {API_KEY_ENV} "
            f"(HTTP {exc.status_code}: {exc.message}); set a valid key with access to this model"
        )
    if isinstance(exc, openai.APIStatusError):
        return f"OpenAI-compatible API error HTTP {exc.status_code}: {exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"the server at {base_url} did not answer within {timeout_s:g}s; "
            "raise [providers.openai] timeout_s or retry later"
        )
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach the server at {base_url} ({exc.message}); is it running?"
    return f"the server at {base_url} sent an unusable answer ({exc})"


class OpenAIProvider:
    """Answers persona requests through an OpenAI-compatible Chat Completions API."""

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        environ: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
    ) -> None:
        """Build the SDK client; a missing key for a remote server is a ConfigError up front."""
        env = os.environ if environ is None else environ
        section = settings.providers.openai
        base_url = section.base_url or env.get(BASE_URL_ENV) or None
        api_key = env.get(API_KEY_ENV, "").strip()
        if not api_key:
            if base_url is None or not is_local(base_url):
                raise ConfigError(
                    f"{API_KEY_ENV} is not set; export your key, or point "
                    f"[providers.openai] base_url or {BASE_URL_ENV} at a local server "
                    "(Ollama, vLLM, LM Studio, llama.cpp), which needs none"
                )
            api_key = LOCAL_KEY
        self._model = settings.agent.model
        self._spec = spec_for(settings, self._model)
        # The structured-output path, moved on for the rest of the run when the server refuses it.
        self.mode: StructuredOutput = first_mode(self._spec)
        # OpenAI's own API wants the newer name; local servers know the older one.
        self._max_key = "max_completion_tokens" if base_url is None else "max_tokens"
        self._timeout_s = section.timeout_s
        self._secrets = [api_key, *secret_values(env)]
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=section.max_retries,
            timeout=section.timeout_s,
            http_client=http_client,
        )

    def complete(self, request: CompletionRequest) -> Completion:
        """Ask the model on the current path; a refused path is left for the next one, once."""
        started = time.perf_counter()
        while True:
            try:
                completion = self._create(request, self.mode)
                break
            except FeatureRefused as refused:
                self.mode = switch_mode(self.name, self._model, self.mode, refused)
        latency_s = time.perf_counter() - started
        text, data = reply_of(completion, request.schema_name)
        usage = usage_of(completion, request)
        return Completion(
            text=text,
            data=data,
            usage=usage,
            latency_s=latency_s,
            cost_usd=cost_usd(usage, self._spec),
            model=self._model,
        )

    def _create(self, request: CompletionRequest, mode: StructuredOutput) -> ChatCompletion:
        """One Chat Completions call on mode's path; SDK retries happen inside it."""
        params: dict[str, Any] = {
            "model": self._model,
            "messages": chat_messages(request),
            self._max_key: request.max_tokens,
            **structure_params(request, mode),
        }
        try:
            completion: ChatCompletion = self._client.chat.completions.create(**params)
            return completion
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if names_feature(mode, exc.message):
                raise FeatureRefused(redact(exc.message, self._secrets)) from None
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
        except openai.OpenAIError as exc:
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
            if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
                raise ProviderAuthError(redact(reason, self._secrets)) from None
        except ValueError as exc:
            # The SDK parses the body itself: broken JSON surfaces here, not as an OpenAIError.
            reason = f"the server at {self._client.base_url} sent a body that is not JSON ({exc})"
        raise ProviderError(redact(reason, self._secrets))
