"""Fit a request to the model's context window before sending, instead of a 400 from the API."""

from __future__ import annotations

from self_improving_agent.base.config import ModelSpec
from self_improving_agent.base.errors import ProviderError
from self_improving_agent.base.tokens import CHARS_PER_TOKEN, estimate_tokens
from self_improving_agent.providers.base import CompletionRequest

CUT_NOTE = "\n[repository map cut to fit the model's context window]"


def fit_to_window(
    request: CompletionRequest, spec: ModelSpec | None, model: str
) -> CompletionRequest:
    """request with max_tokens within the model's output limit and its input within the window."""
    # Only the Architect's context, the repository map, is a summary that can be shortened; every
    # other context is the plan and files the reply depends on, so a request that cannot fit
    # otherwise is refused with a sentence. Unlisted models are sent as they are.
    if spec is None:
        return request
    max_tokens = min(request.max_tokens, spec.max_output or request.max_tokens)
    if max_tokens != request.max_tokens:
        request = request.model_copy(update={"max_tokens": max_tokens})
    if spec.context_window is None:
        return request
    budget = spec.context_window - max_tokens
    used = estimate_tokens(request.system + request.context + request.prompt)
    if used <= budget:
        return request
    excess_chars = (used - budget) * CHARS_PER_TOKEN + len(CUT_NOTE)
    if request.persona == "architect" and excess_chars < len(request.context):
        context = request.context[: len(request.context) - excess_chars] + CUT_NOTE
        return request.model_copy(update={"context": context})
    raise ProviderError(
        f"the {request.persona} request needs about {used:,} input tokens but {model} takes "
        f"{spec.context_window:,} with {max_tokens:,} kept for the reply; plan fewer or smaller "
        "files, or choose a model with a larger context_window (see `agent models`)"
    )
