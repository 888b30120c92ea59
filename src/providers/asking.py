"""Ask a persona: structured data first, else the text path with one re-prompt; record each call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from self_improving_agent.base.errors import (
    PersonaReplyError,
    ReplyValidationError,
    ResponseParseError,
)
from self_improving_agent.base.models import LlmCall
from self_improving_agent.providers.base import Completion, CompletionRequest, Provider, prompt_hash
from self_improving_agent.providers.parsing import (
    parse_json_response,
    reprompt_text,
    validate_reply,
)

T = TypeVar("T", bound=BaseModel)


def record_call(provider: Provider, request: CompletionRequest, completion: Completion) -> LlmCall:
    """The LlmCall entry of one answered call."""
    usage = completion.usage
    return LlmCall(
        persona=request.persona,
        provider=provider.name,
        model=completion.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        estimated=usage.estimated,
        latency_s=completion.latency_s,
        cost_usd=completion.cost_usd,
        prompt_hash=prompt_hash(request),
    )


def _interpret(completion: Completion, model: type[T]) -> T:
    """The reply as model, from structured data when present, else parsed from the text."""
    data = completion.data if completion.data is not None else parse_json_response(completion.text)
    return validate_reply(data, model)


def ask(
    provider: Provider,
    request: CompletionRequest,
    model: type[T],
    on_call: Callable[[LlmCall], None],
) -> T:
    """One validated persona reply; on a bad reply ask once more, then raise PersonaReplyError."""
    completion = provider.complete(request)
    on_call(record_call(provider, request, completion))
    try:
        return _interpret(completion, model)
    except (ResponseParseError, ReplyValidationError) as first:
        retry = request.model_copy(
            update={
                "prompt": request.prompt + "\n\n" + reprompt_text(str(first), request.json_schema)
            }
        )
        completion = provider.complete(retry)
        on_call(record_call(provider, retry, completion))
        try:
            return _interpret(completion, model)
        except (ResponseParseError, ReplyValidationError) as second:
            raise PersonaReplyError(
                f"the {request.persona} reply was unusable twice: {second}"
            ) from None
