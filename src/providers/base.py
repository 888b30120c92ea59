"""The Provider seam: one request in, one completion out, with measured usage."""

from __future__ import annotations

import hashlib
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from self_improving_agent.base.tokens import estimate_tokens

Persona = Literal["architect", "builder", "reviewer"]


class CompletionRequest(BaseModel):
    """What a persona asks of a model."""

    persona: Persona
    system: str = Field(description="The persona's system prompt (stable, cacheable).")
    context: str = Field("", description="Stable per-generation prefix, e.g. the repo map.")
    prompt: str = Field(description="The variable part of the request.")
    schema_name: str = Field(description="Name of the reply schema (tool name).")
    json_schema: dict[str, Any] = Field(description="JSON schema the reply must match.")
    max_tokens: int = Field(8192, ge=1)


def prompt_hash(request: CompletionRequest) -> str:
    """A short, stable fingerprint of what the model was shown."""
    joined = "\0".join((request.system, request.context, request.prompt))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


class Usage(BaseModel):
    """Token counts of one call; estimated when the provider cannot count."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    estimated: bool = False


def estimated_usage(request: CompletionRequest, reply: str) -> Usage:
    """Usage of a call by a provider that cannot count tokens, marked as estimated."""
    sent = request.system + request.context + request.prompt
    return Usage(
        input_tokens=estimate_tokens(sent), output_tokens=estimate_tokens(reply), estimated=True
    )


class Completion(BaseModel):
    """A model's answer: raw text and/or already-structured data, with usage and cost."""

    text: str = ""
    data: dict[str, Any] | None = Field(None, description="Structured reply (forced tool).")
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    cost_usd: float | None = None
    model: str = ""


class Provider(Protocol):
    """Anything that can answer a persona request."""

    name: str

    def complete(self, request: CompletionRequest) -> Completion:
        """Answer one request or raise ProviderError."""
        ...


class RejectedPlan(BaseModel):
    """The files and target benchmark of a plan an earlier generation had rejected."""

    files: list[str]
    benchmark: str = ""
