"""The pipe's messages: frozen, versioned, bounded, and checked on both sides."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from self_improving_agent.base.models import Plan
from self_improving_agent.mind import messages as m


def test_a_message_goes_over_the_pipe_and_comes_back_equal() -> None:
    planned = m.Planned(
        plan=Plan(title="Document mul", files_to_modify=["pkg/mul.py"]), prompt_hash="ab"
    )
    assert m.read_from_mind(m.encode(planned)) == planned
    assert m.read_to_mind(m.encode(m.PlanTask(notice="again"))) == m.PlanTask(notice="again")


def test_messages_are_frozen() -> None:
    task = m.PlanTask()
    with pytest.raises(ValidationError):
        task.notice = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_a_version_this_side_does_not_speak_is_named(version: object) -> None:
    line = json.dumps({"v": version, "kind": "hello"}).encode()
    with pytest.raises(m.VersionMismatch, match="protocol version"):
        m.read_from_mind(line)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"v": 1, "kind": "planned"}', "malformed"),
        (b'{"v": 1, "kind": "hello", "extra": 1}', "malformed"),
        (b'{"v": 1, "kind": "stop"}', "malformed"),
    ],
)
def test_a_malformed_line_is_one_protocol_error(line: bytes, why: str) -> None:
    with pytest.raises(m.ProtocolError, match=why):
        m.read_from_mind(line)


def test_a_mind_may_not_send_what_only_the_judge_sends() -> None:
    with pytest.raises(m.ProtocolError):
        m.read_from_mind(m.encode(m.Answer(error="x")))
    with pytest.raises(m.ProtocolError):
        m.read_to_mind(m.encode(m.Hello()))


def test_an_oversized_message_is_refused_both_ways() -> None:
    huge = m.Failed(error="mind", message="x" * (m.MAX_TEXT))
    line = m.encode(huge)
    assert len(line) < m.MAX_MESSAGE_BYTES
    with pytest.raises(m.ProtocolError, match="over"):
        m.read_from_mind(b" " * (m.MAX_MESSAGE_BYTES + 1))
    with pytest.raises(ValidationError):
        m.Failed(error="mind", message="x" * (m.MAX_TEXT + 1))
