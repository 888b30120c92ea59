"""Asking a persona through the mock provider: parse, validate, one re-prompt, then fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import PersonaReplyError
from self_improving_agent.base.models import LlmCall, Plan
from self_improving_agent.providers.asking import ask
from self_improving_agent.providers.base import Completion, CompletionRequest
from self_improving_agent.providers.mock import MockProvider
from tests.conftest import provider_args

VALID = Plan(title="Document mul", files_to_modify=["pkg/mul.py"]).model_dump_json()
REQUEST = CompletionRequest(
    persona="architect",
    system="You are the Architect.",
    prompt="Plan one change.",
    schema_name="plan",
    json_schema=Plan.model_json_schema(),
)


def mock(tmp_path: Path, replies: list[Any]) -> MockProvider:
    """The mock provider replaying replies for the Architect."""
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"architect": replies}), encoding="utf-8")
    return MockProvider(
        *provider_args(Settings(), "mock"), environ={"AGENT_MOCK_SCRIPT": str(path)}
    )


def test_valid_reply_in_prose_and_fences_is_one_call(tmp_path: Path) -> None:
    calls: list[LlmCall] = []
    reply = f"Here is my plan:\n```json\n{VALID}\n```\nThanks."
    result = ask(mock(tmp_path, [reply]), REQUEST, Plan, calls.append)
    assert result.title == "Document mul"
    assert [(c.persona, c.provider, c.estimated) for c in calls] == [("architect", "mock", True)]
    assert calls[0].input_tokens > 0 and calls[0].output_tokens > 0


@pytest.mark.parametrize("first", ["no json here", '{"title": "x"}'], ids=["garbage", "schema"])
def test_one_reprompt_recovers(tmp_path: Path, first: str) -> None:
    calls: list[LlmCall] = []
    result = ask(mock(tmp_path, [first, VALID]), REQUEST, Plan, calls.append)
    assert result.files_to_modify == ["pkg/mul.py"]
    assert len(calls) == 2
    assert calls[0].prompt_hash != calls[1].prompt_hash


class Recording:
    """A provider that keeps the requests it gets and answers from a list."""

    name = "recording"

    def __init__(self, answers: list[Completion]) -> None:
        self.answers = answers
        self.requests: list[CompletionRequest] = []

    def complete(self, request: CompletionRequest) -> Completion:
        """The next answer."""
        self.requests.append(request)
        return self.answers.pop(0)


def test_reprompt_carries_the_error_and_the_original_prompt() -> None:
    provider = Recording([Completion(text='{"title": "x"}'), Completion(text=VALID)])
    ask(provider, REQUEST, Plan, lambda _call: None)
    retry = provider.requests[1].prompt
    assert retry.startswith(REQUEST.prompt)
    assert "files_to_modify" in retry


def test_structured_data_skips_the_text_path() -> None:
    data = json.loads(VALID)
    provider = Recording([Completion(text="not json", data=data)])
    assert ask(provider, REQUEST, Plan, lambda _call: None).title == "Document mul"
    assert len(provider.requests) == 1


def test_unusable_twice_raises_one_sentence(tmp_path: Path) -> None:
    calls: list[LlmCall] = []
    with pytest.raises(PersonaReplyError, match="the architect reply was unusable twice"):
        ask(mock(tmp_path, ["nope", '{"files_to_modify": []}']), REQUEST, Plan, calls.append)
    assert len(calls) == 2
