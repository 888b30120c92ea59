"""The versioned JSON lines the judge and the mind exchange over a pipe, checked on both sides."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from self_improving_agent.base.models import Build, EvolutionEntry, LlmCall, Plan
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.providers.base import Completion, CompletionRequest, RejectedPlan

VERSION = 1
# One line each way: a whole planned file set or repo map fits; a runaway reply does not.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
MAX_TEXT = 2 * 1024 * 1024
MAX_ITEMS = 500


class Message(BaseModel):
    """What every message carries: the protocol version it speaks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(VERSION, description="The protocol version the sender speaks.")


class Hello(Message):
    """The mind's first line: it started and speaks version v."""

    kind: Literal["hello"] = "hello"


class Start(Message):
    """What the mind is told of the generation: main's scores, history, goals and limits."""

    kind: Literal["start"] = "start"
    results: list[BenchResult] = Field(max_length=MAX_ITEMS)
    history: list[EvolutionEntry] = Field(max_length=MAX_ITEMS)
    goals: list[str] = Field(max_length=MAX_ITEMS)
    rejected_plans: list[RejectedPlan] = Field(max_length=MAX_ITEMS)
    repo_map_tokens: int = Field(ge=0)
    blocked_patterns: list[str] = Field(max_length=MAX_ITEMS)
    protected_paths: list[str] = Field(max_length=MAX_ITEMS)
    max_files: int = Field(ge=1)
    local: bool = Field(description="The offline personas: the mind answers its own requests.")


class PlanTask(Message):
    """Plan one change; notice, when set, says why the last plan was sent back."""

    kind: Literal["plan"] = "plan"
    notice: str | None = Field(None, max_length=MAX_TEXT)


class BuildTask(Message):
    """Carry out plan on the files shown; retry_messages say what failed the first time."""

    kind: Literal["build"] = "build"
    plan: Plan
    files: dict[str, str] = Field(max_length=MAX_ITEMS)
    retry_messages: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)


class RepairTask(Message):
    """Repair round round_no of rounds: the files as they are now and what the change broke."""

    kind: Literal["repair"] = "repair"
    plan: Plan
    files: dict[str, str] = Field(max_length=MAX_ITEMS)
    evidence: list[str] = Field(max_length=MAX_ITEMS)
    round_no: int = Field(ge=1)
    rounds: int = Field(ge=1)


class Answer(Message):
    """The judge's answer to a completion request: the completion, or why there is none."""

    kind: Literal["completion"] = "completion"
    completion: Completion | None = None
    error: str | None = Field(None, max_length=MAX_TEXT)


class LessonsAnswer(Message):
    """The judge's answer to a lessons request: one line per lesson."""

    kind: Literal["lessons"] = "lessons"
    lines: list[str] = Field(max_length=MAX_ITEMS)


class Stop(Message):
    """The generation needs the mind no more: exit."""

    kind: Literal["stop"] = "stop"


class Ask(Message):
    """The mind asks for one model completion; the judge makes the call."""

    kind: Literal["complete"] = "complete"
    request: CompletionRequest


class AskLessons(Message):
    """The mind asks for the lessons most relevant to terms."""

    kind: Literal["ask_lessons"] = "ask_lessons"
    terms: list[str] = Field(max_length=MAX_ITEMS)
    limit: int = Field(ge=0, le=50)


class Planned(Message):
    """The mind's plan, with the fingerprint of the request that produced it."""

    kind: Literal["planned"] = "planned"
    plan: Plan
    prompt_hash: str = Field(max_length=64)
    calls: list[LlmCall] = Field(default_factory=list, max_length=MAX_ITEMS)


class Built(Message):
    """The mind's edits (not yet applied: the judge's gates decide), with their request's hash."""

    kind: Literal["built"] = "built"
    build: Build
    prompt_hash: str = Field(max_length=64)
    evidence_tokens: int = Field(0, ge=0)
    calls: list[LlmCall] = Field(default_factory=list, max_length=MAX_ITEMS)


class Failed(Message):
    """The mind could not do its task: a provider error or an unusable reply, in one sentence."""

    kind: Literal["failed"] = "failed"
    error: Literal["provider", "reply", "mind"]
    message: str = Field(max_length=MAX_TEXT)
    calls: list[LlmCall] = Field(default_factory=list, max_length=MAX_ITEMS)


ToMind = Annotated[
    Start | PlanTask | BuildTask | RepairTask | Answer | LessonsAnswer | Stop,
    Field(discriminator="kind"),
]
FromMind = Annotated[
    Hello | Ask | AskLessons | Planned | Built | Failed, Field(discriminator="kind")
]
_TO_MIND: TypeAdapter[ToMind] = TypeAdapter(ToMind)
_FROM_MIND: TypeAdapter[FromMind] = TypeAdapter(FromMind)


class ProtocolError(ValueError):
    """A line that is not a message this side speaks, said in one sentence."""


class VersionMismatch(ProtocolError):
    """A message in a protocol version this side does not speak."""

    def __init__(self, version: object) -> None:
        self.version = str(version)[:20]
        super().__init__(f"it speaks protocol version {self.version}; this side speaks {VERSION}")


def encode(message: Message) -> bytes:
    """One message as one JSON line."""
    line = message.model_dump_json().encode("utf-8") + b"\n"
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            f"a {type(message).__name__} message is {len(line)} bytes, over {MAX_MESSAGE_BYTES}"
        )
    return line


def _version_of(line: bytes) -> dict[str, object]:
    """The line as a JSON object whose version this side speaks."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"a message is over {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"a message is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError("a message is not a JSON object")
    version = data.get("v")
    if version != VERSION:
        raise VersionMismatch(version)
    return data


def _problem(exc: ValidationError) -> str:
    """The first validation problem in a few words."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"{where}: {first['msg']}"


def read_to_mind(line: bytes) -> ToMind:
    """A judge's line as its message, or ProtocolError."""
    data = _version_of(line)
    try:
        return _TO_MIND.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(f"a malformed message ({_problem(exc)})") from None


def read_from_mind(line: bytes) -> FromMind:
    """A mind's line as its message, or ProtocolError."""
    data = _version_of(line)
    try:
        return _FROM_MIND.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(f"a malformed message ({_problem(exc)})") from None
