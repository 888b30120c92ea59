"""fit_to_window: output capped, the Architect's repo map cut, other oversized requests refused."""

from __future__ import annotations

import pytest

from self_improving_agent.base.config import ModelSpec
from self_improving_agent.base.errors import ProviderError
from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.providers.base import CompletionRequest, Persona
from self_improving_agent.providers.window import CUT_NOTE, fit_to_window

SPEC = ModelSpec(provider="anthropic", context_window=1000, max_output=200)


def request(persona: Persona, context_chars: int, max_tokens: int = 100) -> CompletionRequest:
    """A request whose context has context_chars characters."""
    return CompletionRequest(
        persona=persona,
        system="s" * 40,
        context="m" * context_chars,
        prompt="p" * 40,
        schema_name="Plan",
        json_schema={},
        max_tokens=max_tokens,
    )


def test_a_request_that_fits_is_sent_as_it_is() -> None:
    original = request("builder", 2000)
    assert fit_to_window(original, SPEC, "m") == original


def test_max_tokens_is_capped_at_the_models_output_limit() -> None:
    assert fit_to_window(request("builder", 10, max_tokens=5000), SPEC, "m").max_tokens == 200


def test_the_architects_repo_map_is_cut_to_fit() -> None:
    fitted = fit_to_window(request("architect", 8000), SPEC, "m")
    assert fitted.context.endswith(CUT_NOTE)
    used = estimate_tokens(fitted.system + fitted.context + fitted.prompt)
    assert used <= 1000 - fitted.max_tokens


@pytest.mark.parametrize("persona", ["builder", "reviewer"])
def test_other_oversized_requests_are_refused_with_a_sentence(persona: Persona) -> None:
    with pytest.raises(ProviderError, match=rf"the {persona} request needs about 2,020 input"):
        fit_to_window(request(persona, 8000), SPEC, "claude-x")


def test_unlisted_models_are_not_touched() -> None:
    original = request("builder", 10**6, max_tokens=10**5)
    assert fit_to_window(original, None, "m") is original
