"""Any OpenAI-compatible Chat Completions server behind the Provider seam.

OpenAI itself, Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter and LiteLLM proxy all speak
this API; only the base URL, the key and the model name differ.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import httpx2
import openai

from self_improving_agent.base.config import ModelSpec, OpenAISection, StructuredOutput
from self_improving_agent.base.errors import ConfigError, ProviderAuthError, ProviderError
from self_improving_agent.base.limits import json_depth_problem
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.providers.base import CompletionRequest, Usage, estimated_usage
from self_improving_agent.providers.calling import ApiProvider
from self_improving_agent.providers.catalogue import (
    FeatureRefused,
    OutputPath,
    names_feature,
)
from self_improving_agent.providers.schemas import strict_schema

OPENAI_KEY_ENV = "OPENAI_API_KEY"
OPENAI_URL_ENV = "OPENAI_BASE_URL"
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
    """The system prompt, then the stable context and the prompt as one user turn."""
    # The context comes first so servers with automatic prefix caching can reuse it.
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


def reply_of(body: Mapping[str, Any], name: str) -> tuple[str, dict[str, Any] | None]:
    """The reply's text and, when the model called the reply function, its parsed arguments."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError("the OpenAI-compatible server answered with no choices")
    message = choices[0].get("message") or {}
    text = str(message.get("content") or "")
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        if function.get("name") != name:
            continue
        arguments = str(function.get("arguments") or "")
        if json_depth_problem(arguments):
            return text + arguments, None
        try:
            data = json.loads(arguments)
        except json.JSONDecodeError:
            # Leave the arguments to the text parser, which reports what is wrong.
            return text + arguments, None
        return text, data if isinstance(data, dict) else None
    return text, None


def usage_of(body: Mapping[str, Any], request: CompletionRequest, text: str) -> Usage:
    """Token counts as the server reports them, cached prompt tokens apart; estimated if absent."""
    usage = body.get("usage")
    if not isinstance(usage, dict) or "prompt_tokens" not in usage:
        return estimated_usage(request, text)
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return Usage(
        input_tokens=int(usage["prompt_tokens"]) - cached,
        output_tokens=int(usage.get("completion_tokens") or 0),
        cache_read_tokens=cached,
    )


def error_message(exc: openai.OpenAIError, base_url: str, timeout_s: float) -> str:
    """One sentence saying why the server did not answer and what to do about it."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return (
            f"the server at {base_url} refused the API key in {OPENAI_KEY_ENV} "
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


class OpenAIProvider(ApiProvider[Mapping[str, Any]]):
    """Answers persona requests through an OpenAI-compatible Chat Completions API."""

    name = "openai"

    def __init__(
        self,
        section: OpenAISection,
        model: str,
        spec: ModelSpec | None,
        *,
        environ: Mapping[str, str] | None = None,
        http_client: httpx2.Client | None = None,
    ) -> None:
        """Build the SDK client; a missing key for a remote server is a ConfigError up front."""
        env = os.environ if environ is None else environ
        base_url = section.base_url or env.get(OPENAI_URL_ENV) or None
        api_key = env.get(OPENAI_KEY_ENV, "").strip()
        if not api_key:
            if base_url is None or not is_local(base_url):
                raise ConfigError(
                    f"{OPENAI_KEY_ENV} is not set; export your key, or point "
                    f"[providers.openai] base_url or {OPENAI_URL_ENV} at a local server "
                    "(Ollama, vLLM, LM Studio, llama.cpp), which needs none"
                )
            api_key = LOCAL_KEY
        self.model = model
        self.spec = spec
        # The structured-output path, moved on for the rest of the run when the server refuses it.
        self.path = OutputPath(self.name, self.model, self.spec)
        # OpenAI's own API wants the newer name; local servers know the older one.
        official = base_url is None or "api.openai.com" in base_url
        self._max_key = "max_completion_tokens" if official else "max_tokens"
        self._timeout_s = section.timeout_s
        self._secrets = [api_key, *secret_values(env)]
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=section.max_retries,
            timeout=section.timeout_s,
            http_client=http_client,
        )

    def read_reply(
        self, reply: Mapping[str, Any], request: CompletionRequest
    ) -> tuple[str, dict[str, Any] | None]:
        """The message's text, and the reply function's arguments when the model called it."""
        return reply_of(reply, request.schema_name)

    def read_usage(self, reply: Mapping[str, Any], request: CompletionRequest, text: str) -> Usage:
        """The usage the server counted, else an estimate from the request and the text."""
        return usage_of(reply, request, text)

    def ask_api(self, request: CompletionRequest, mode: StructuredOutput) -> Mapping[str, Any]:
        """One Chat Completions call on mode's path, as the JSON body; SDK retries inside it."""
        # The body is already in wire form: passed as extra_body it skips the SDK's typed
        # transform, and read raw it skips building response models (~5 ms a call together).
        body: dict[str, Any] = {
            "messages": chat_messages(request),
            self._max_key: request.max_tokens,
            **structure_params(request, mode),
        }
        try:
            raw = self._client.chat.completions.with_raw_response.create(
                model=self.model, messages=[], extra_body=body
            )
            answer = raw.http_response.json()
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if names_feature(mode, exc.message):
                raise FeatureRefused(redact(exc.message, self._secrets)) from None
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
        except openai.OpenAIError as exc:
            reason = error_message(exc, str(self._client.base_url), self._timeout_s)
            if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
                raise ProviderAuthError(redact(reason, self._secrets)) from None
        except ValueError as exc:
            reason = f"the server at {self._client.base_url} sent a body that is not JSON ({exc})"
        else:
            if isinstance(answer, dict):
                return answer
            reason = f"the server at {self._client.base_url} sent JSON that is not an object"
        raise ProviderError(redact(reason, self._secrets))
