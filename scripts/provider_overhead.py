"""Time each provider's own work per call, outside the HTTP round trip; budget 5 ms per call.

The network is replaced at its edge (httpx2.MockTransport for the Anthropic and OpenAI SDKs,
botocore's Stubber for boto3), the time spent inside the fake transport is subtracted, and what
is left is the provider: building the request, the SDK's serialisation, parsing, usage and cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, so the agent's package is found from the checkout it belongs to.
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from self_improving_agent.base.config import ModelSpec, Settings  # noqa: E402
from self_improving_agent.base.models import Build, Change, Plan  # noqa: E402
from self_improving_agent.providers.base import CompletionRequest, Provider  # noqa: E402

BUDGET_MS = 5.0
PLAN = Plan(title="Document pkg.util", files_to_modify=["pkg/util.py"], steps=["Add docstrings."])
# A repo map of about the Architect's default 1200-token budget, and a reply of a few KB.
CONTEXT = "\n".join(f"pkg/module_{i}.py: def function_{i}(x: int) -> int" for i in range(150))
REPLY = Build(changes=[Change(file="pkg/util.py", content="x = 1\n" * 300)], summary="s")


def model_of(settings: Settings, name: str) -> tuple[Any, str, ModelSpec | None]:
    """The provider's own section, its model and the model's catalogue entry."""
    model = settings.agent.model
    return getattr(settings.providers, name), model, settings.providers.models.get(model)


def request() -> CompletionRequest:
    """A Builder-sized request with the real schema."""
    return CompletionRequest(
        persona="builder",
        system="You are the Builder. " * 50,
        context=CONTEXT,
        prompt=PLAN.model_dump_json(),
        schema_name="Build",
        json_schema=Build.model_json_schema(),
    )


class Timed:
    """A transport handler that answers with body and adds up the time spent answering."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.spent = 0.0

    def __call__(self, req: httpx2.Request) -> httpx2.Response:
        started = time.perf_counter()
        req.read()
        response = httpx2.Response(200, json=self.body)
        self.spent += time.perf_counter() - started
        return response


def anthropic() -> tuple[Provider, Timed]:
    """The Anthropic provider on the output_config path, answered in JSON text."""
    from self_improving_agent.providers.anthropic import AnthropicProvider

    body = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": REPLY.model_dump_json()}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3000, "output_tokens": 900, "cache_read_input_tokens": 2000},
    }
    handler = Timed(body)
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    env = {"ANTHROPIC_API_KEY": "sk-ant-overhead"}
    return AnthropicProvider(
        *model_of(Settings(), "anthropic"), environ=env, http_client=client
    ), handler


def openai() -> tuple[Provider, Timed]:
    """The OpenAI-compatible provider on the response_format path."""
    from self_improving_agent.providers.openai import OpenAIProvider

    body = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen3-coder",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY.model_dump_json()},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3000, "completion_tokens": 900, "total_tokens": 3900},
    }
    handler = Timed(body)
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    settings = Settings.model_validate(
        {
            "agent": {"provider": "openai", "model": "qwen3-coder"},
            "providers": {"openai": {"base_url": "http://127.0.0.1:11434/v1"}},
        }
    )
    return OpenAIProvider(*model_of(settings, "openai"), environ={}, http_client=client), handler


def bedrock() -> tuple[Provider, Timed]:
    """The Bedrock provider on the Converse JSON-schema path, answered by botocore's Stubber."""
    import boto3
    from botocore.stub import Stubber

    from self_improving_agent.providers.bedrock import BedrockProvider

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="overhead-secret",
    )
    message = {"role": "assistant", "content": [{"text": REPLY.model_dump_json()}]}
    body = {
        "output": {"message": message},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3000, "outputTokens": 900, "totalTokens": 3900},
        "metrics": {"latencyMs": 1},
    }
    stubber = Stubber(client)
    stubber.activate()
    # The Stubber answers before any HTTP, so nothing is subtracted for Bedrock.
    handler = Timed(body)
    original = client.converse

    def converse(**params: Any) -> Any:
        stubber.add_response("converse", body)
        return original(**params)

    client.converse = converse
    settings = Settings.model_validate({"agent": {"provider": "bedrock"}})
    return BedrockProvider(*model_of(settings, "bedrock"), client=client, environ={}), handler


PROVIDERS: dict[str, Callable[[], tuple[Provider, Timed]]] = {
    "anthropic": anthropic,
    "bedrock": bedrock,
    "openai": openai,
}


def measure(name: str, calls: int) -> dict[str, float]:
    """Median and p95 milliseconds per call spent outside the fake transport."""
    provider, handler = PROVIDERS[name]()
    req = request()
    for _ in range(5):
        provider.complete(req)
    samples = []
    for _ in range(calls):
        before = handler.spent
        started = time.perf_counter()
        completion = provider.complete(req)
        elapsed = time.perf_counter() - started - (handler.spent - before)
        samples.append(elapsed * 1000)
    assert json.loads(completion.text)["summary"] == "s"
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * 0.95)]}


def main() -> int:
    """Measure every provider; exit 1 when one needs more than the budget per call (median)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls per provider")
    args = parser.parse_args()
    over = []
    for name in PROVIDERS:
        figures = measure(name, args.calls)
        print(
            f"{name:10} median {figures['median_ms']:.2f} ms  p95 {figures['p95_ms']:.2f} ms "
            f"per call over {args.calls} calls (budget {BUDGET_MS:g} ms)"
        )
        if figures["median_ms"] > BUDGET_MS:
            over.append(name)
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
