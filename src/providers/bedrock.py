"""Amazon Bedrock's Converse API behind the Provider seam: structured replies and retries."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from self_improving_agent.base.config import BedrockSection, ModelSpec, StructuredOutput
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

INSTALL_HINT = (
    "the bedrock provider needs boto3; install the aws extra: "
    "pip install 'self-improving-agent[aws]'"
)
# botocore retries throttling and 5xx itself; a model timeout is a 408 it leaves alone.
MODEL_TIMEOUT_RETRIES = 1
# botocore's 60 s default read timeout cuts off long model replies.
_CACHE_POINT = {"cachePoint": {"type": "default"}}
_REFUSED = ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException")
# Geographic inference-profile prefixes; global. routes to every commercial region.
PROFILE_PREFIXES = ("global.", "us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.")


def is_profile_id(model: str) -> bool:
    """Whether model names an inference profile (by prefix or ARN) rather than a bare model."""
    return model.startswith(PROFILE_PREFIXES) or ":inference-profile/" in model


def profile_hint(model: str) -> str:
    """The sentence for a bare model id that Bedrock serves only through inference profiles."""
    return (
        f"Bedrock serves {model} on demand only through an inference profile; use "
        f"--model global.{model} (routes to any region) or us.{model} / eu.{model} / "
        f"apac.{model} (stays in that geography); `agent models` lists the priced ones"
    )


def supports_cache_points(model: str) -> bool:
    """Whether Bedrock accepts prompt-cache points for this model id (Claude models do)."""
    return "anthropic.claude" in model


def converse_params(
    request: CompletionRequest, model: str, mode: StructuredOutput = "tool"
) -> dict[str, Any]:
    """Converse arguments: cached system and context, the prompt, and mode's reply constraint."""
    cache = [_CACHE_POINT] if supports_cache_points(model) else []
    content: list[dict[str, Any]] = []
    if request.context:
        content += [{"text": request.context}, *cache]
    content.append({"text": request.prompt})
    params: dict[str, Any] = {
        "modelId": model,
        "messages": [{"role": "user", "content": content}],
        "inferenceConfig": {"maxTokens": request.max_tokens},
    }
    description = f"Give your answer as a {request.schema_name} object."
    if mode == "json_schema":
        schema = json.dumps(strict_schema(request.json_schema))
        structure = {"name": request.schema_name, "description": description, "schema": schema}
        params["outputConfig"] = {
            "textFormat": {"type": "json_schema", "structure": {"jsonSchema": structure}}
        }
    elif mode == "tool":
        spec = {
            "name": request.schema_name,
            "description": description,
            "inputSchema": {"json": request.json_schema},
        }
        params["toolConfig"] = {
            "tools": [{"toolSpec": spec}],
            "toolChoice": {"tool": {"name": request.schema_name}},
        }
    if request.system:
        params["system"] = [{"text": request.system}, *cache]
    return params


def usage_of(response: Mapping[str, Any]) -> Usage:
    """Token counts of the answered call, as Bedrock reports them."""
    usage = response.get("usage", {})
    return Usage(
        input_tokens=usage.get("inputTokens", 0),
        output_tokens=usage.get("outputTokens", 0),
        cache_write_tokens=usage.get("cacheWriteInputTokens", 0),
        cache_read_tokens=usage.get("cacheReadInputTokens", 0),
    )


def reply_of(response: Mapping[str, Any], tool_name: str) -> tuple[str, dict[str, Any] | None]:
    """The reply's text and, when the model called the reply tool, that call's input."""
    text_parts: list[str] = []
    data: dict[str, Any] | None = None
    for block in response.get("output", {}).get("message", {}).get("content", []):
        if "text" in block:
            text_parts.append(block["text"])
        tool_use = block.get("toolUse")
        if tool_use and tool_use.get("name") == tool_name and data is None:
            data = dict(tool_use.get("input") or {})
    return "".join(text_parts), data


def client_error_message(code: str, message: str, model: str = "") -> str:
    """One sentence for an error the Bedrock service returned."""
    bare = model and not is_profile_id(model)
    if code == "ValidationException" and "inference profile" in message and bare:
        return profile_hint(model)
    if code in _REFUSED:
        return (
            f"AWS refused the credentials for Bedrock ({code}: {message}); check the AWS "
            "credentials and that the model is enabled for them"
        )
    return f"Bedrock {code}: {message}"


def make_client(section: BedrockSection) -> Any:
    """A bedrock-runtime client with botocore's standard retries; ConfigError if it cannot be."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    # botocore's own "max_attempts" counts retries only; the setting counts every attempt.
    config = Config(
        retries={"mode": "standard", "total_max_attempts": section.max_attempts},
        read_timeout=section.timeout_s,
    )
    session = boto3.session.Session(region_name=section.region)
    if session.get_credentials() is None:
        raise ConfigError(
            "no AWS credentials found for Bedrock; configure them (AWS_PROFILE, "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, ...) or choose another --provider"
        )
    try:
        return session.client("bedrock-runtime", endpoint_url=section.endpoint_url, config=config)
    except BotoCoreError as exc:
        raise ConfigError(
            f"cannot create the Bedrock client ({exc}); set [providers.bedrock] region "
            "or AWS_REGION"
        ) from None


class BedrockProvider(ApiProvider[Mapping[str, Any]]):
    """Answers persona requests through Bedrock's Converse API."""

    name = "bedrock"

    def __init__(
        self,
        section: BedrockSection,
        model: str,
        spec: ModelSpec | None,
        *,
        client: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Build (or take) the client now, so missing boto3 or credentials fail before work."""
        self.model = model
        self.spec = spec
        if self.spec is not None and self.spec.provider == "anthropic":
            raise ConfigError(
                f"{self.model} is an Anthropic API model id, which Bedrock does not know; "
                f"use --model global.anthropic.{self.model} (or us./eu./apac.) instead"
            )
        # The structured-output path, moved on for the rest of the run when Bedrock refuses it.
        self.path = OutputPath(self.name, self.model, self.spec)
        self._client = client if client is not None else make_client(section)
        self._secrets = secret_values(os.environ if environ is None else environ)

    def read_reply(
        self, reply: Mapping[str, Any], request: CompletionRequest
    ) -> tuple[str, dict[str, Any] | None]:
        """The text blocks, and the reply tool's input when the model called it."""
        return reply_of(reply, request.schema_name)

    def read_usage(self, reply: Mapping[str, Any], request: CompletionRequest, text: str) -> Usage:
        """The usage Bedrock counted, cache tokens included."""
        return usage_of(reply)

    def ask_api(self, request: CompletionRequest, mode: StructuredOutput) -> Mapping[str, Any]:
        """One Converse call on mode's path."""
        return self._converse(converse_params(request, self.model, mode))

    def _converse(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """Call converse, retrying ModelTimeoutException and mapping failures to ProviderError."""
        from botocore.exceptions import BotoCoreError, ClientError

        structured: StructuredOutput = (
            "json_schema"
            if "outputConfig" in params
            else "tool"
            if "toolConfig" in params
            else "text"
        )
        attempt = 0
        while True:
            try:
                response: Mapping[str, Any] = self._client.converse(**params)
                return response
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "UnknownError"))
                message = str(error.get("Message", exc))
                if code == "ModelTimeoutException" and attempt < MODEL_TIMEOUT_RETRIES:
                    attempt += 1
                    continue
                if code == "ValidationException" and names_feature(structured, message):
                    raise FeatureRefused(redact(message, self._secrets)) from None
                reason = client_error_message(code, message, self.model)
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code in _REFUSED or status in (401, 403):
                    raise ProviderAuthError(redact(reason, self._secrets)) from None
            except BotoCoreError as exc:
                reason = f"Bedrock call failed ({exc}); check the region, endpoint and network"
            raise ProviderError(redact(reason, self._secrets))
