"""Amazon Bedrock's Converse API behind the Provider seam: forced-tool replies and retries."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from src.base.config import Settings
from src.base.errors import ConfigError, ProviderError
from src.base.secrets import redact, secret_values
from src.providers.base import Completion, CompletionRequest, Usage
from src.providers.pricing import cost_usd

INSTALL_HINT = (
    "the bedrock provider needs boto3; install the aws extra: "
    "pip install 'self-improving-agent[aws]'"
)
# botocore retries throttling and 5xx itself; a model timeout is a 408 it leaves alone.
MODEL_TIMEOUT_RETRIES = 1
# botocore's 60 s default read timeout cuts off long model replies.
_CACHE_POINT = {"cachePoint": {"type": "default"}}
_REFUSED = ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException")


def supports_cache_points(model: str) -> bool:
    """Whether Bedrock accepts prompt-cache points for this model id (Claude models do)."""
    return "anthropic.claude" in model


def converse_params(request: CompletionRequest, model: str) -> dict[str, Any]:
    """Converse arguments: cached system and context, the prompt, and the forced reply tool."""
    cache = [_CACHE_POINT] if supports_cache_points(model) else []
    content: list[dict[str, Any]] = []
    if request.context:
        content += [{"text": request.context}, *cache]
    content.append({"text": request.prompt})
    spec = {
        "name": request.schema_name,
        "description": f"Give your answer as a {request.schema_name} object.",
        "inputSchema": {"json": request.json_schema},
    }
    params: dict[str, Any] = {
        "modelId": model,
        "messages": [{"role": "user", "content": content}],
        "inferenceConfig": {"maxTokens": request.max_tokens},
        "toolConfig": {
            "tools": [{"toolSpec": spec}],
            "toolChoice": {"tool": {"name": request.schema_name}},
        },
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


def client_error_message(code: str, message: str) -> str:
    """One sentence for an error the Bedrock service returned."""
    if code in _REFUSED:
        return (
            f"AWS refused the credentials for Bedrock ({code}: {message}); check the AWS "
            "credentials and that the model is enabled for them"
        )
    return f"Bedrock {code}: {message}"


def make_client(settings: Settings) -> Any:
    """A bedrock-runtime client with botocore's standard retries; ConfigError if it cannot be."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    section = settings.providers.bedrock
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


class BedrockProvider:
    """Answers persona requests through Bedrock's Converse API."""

    name = "bedrock"

    def __init__(
        self,
        settings: Settings,
        *,
        client: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Build (or take) the client now, so missing boto3 or credentials fail before work."""
        self._model = settings.agent.model
        self._pricing = dict(settings.providers.pricing)
        self._client = client if client is not None else make_client(settings)
        self._secrets = secret_values(os.environ if environ is None else environ)

    def complete(self, request: CompletionRequest) -> Completion:
        """Ask the model, forcing the reply tool; a model timeout is tried once more."""
        params = converse_params(request, self._model)
        started = time.perf_counter()
        response = self._converse(params)
        latency_s = time.perf_counter() - started
        text, data = reply_of(response, request.schema_name)
        usage = usage_of(response)
        return Completion(
            text=text,
            data=data,
            usage=usage,
            latency_s=latency_s,
            cost_usd=cost_usd(usage, self._model, self._pricing),
            model=self._model,
        )

    def _converse(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """Call converse, retrying ModelTimeoutException and mapping failures to ProviderError."""
        from botocore.exceptions import BotoCoreError, ClientError

        attempt = 0
        while True:
            try:
                response: Mapping[str, Any] = self._client.converse(**params)
                return response
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "UnknownError"))
                if code == "ModelTimeoutException" and attempt < MODEL_TIMEOUT_RETRIES:
                    attempt += 1
                    continue
                reason = client_error_message(code, str(error.get("Message", exc)))
            except BotoCoreError as exc:
                reason = f"Bedrock call failed ({exc}); check the region, endpoint and network"
            raise ProviderError(redact(reason, self._secrets))
