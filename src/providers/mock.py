"""A provider that replays scripted replies, or fixed valid ones, with no network."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from self_improving_agent.base.config import MockSection, ModelSpec
from self_improving_agent.base.errors import ConfigError, ProviderError
from self_improving_agent.base.limits import json_depth_problem
from self_improving_agent.base.models import Build, Change, Plan, Review
from self_improving_agent.providers.base import (
    Completion,
    CompletionRequest,
    Persona,
    estimated_usage,
)
from self_improving_agent.providers.pricing import cost_usd

SCRIPT_ENV = "AGENT_MOCK_SCRIPT"
NOTE_FILE = "agent_mock_note.py"

_DEFAULT_REPLIES: dict[Persona, str] = {
    "architect": Plan(
        title="Add a module documenting the mock provider",
        files_to_modify=[NOTE_FILE],
        rationale="A harmless, valid change that exercises every phase.",
        steps=[f"Write {NOTE_FILE} with a module docstring."],
    ).model_dump_json(),
    "builder": Build(
        changes=[Change(file=NOTE_FILE, content='"""Written by the mock provider."""\n')],
        summary=f"Wrote {NOTE_FILE}.",
    ).model_dump_json(),
    "reviewer": Review(
        approved=True, score=0.9, findings=[], summary="Harmless documentation module."
    ).model_dump_json(),
}


class Recognised(BaseModel):
    """A reply given whenever a persona's request holds a marker (a prompt the script knows)."""

    model_config = ConfigDict(extra="forbid")

    persona: Persona
    contains: str = Field(min_length=1, description="Text the system prompt or prompt holds.")
    reply: str | dict[str, object]


class MockScript(BaseModel):
    """The script file: per persona, the raw replies in the order they are returned."""

    model_config = ConfigDict(extra="forbid")

    when: list[Recognised] = Field(
        default_factory=list, description="Replies to recognised requests, before the lists."
    )

    architect: list[str | dict[str, object]] = Field(default_factory=list)
    builder: list[str | dict[str, object]] = Field(default_factory=list)
    reviewer: list[str | dict[str, object]] = Field(default_factory=list)
    delay_s: float = Field(0.0, ge=0, le=3600, description="Seconds to wait before each reply.")


def script_path(
    section: MockSection, environ: Mapping[str, str], base_dir: Path | None
) -> Path | None:
    """The script file to replay: AGENT_MOCK_SCRIPT wins over [providers.mock] script."""
    raw = environ.get(SCRIPT_ENV) or section.script
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def load_script(path: Path) -> MockScript:
    """Read and validate a script file, turning every failure into one ConfigError sentence."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: mock script not found; fix {SCRIPT_ENV} or [providers.mock] script"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the mock script ({exc})") from None
    too_deep = json_depth_problem(text)
    if too_deep:
        raise ConfigError(f"{path}: the mock script is refused: {too_deep}; flatten it")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: the mock script is not valid JSON ({exc})") from None
    try:
        return MockScript.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'script'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"{path}: bad mock script ({problems}); expected "
            '{"architect": [text, ...], "builder": [...], "reviewer": [...], "delay_s": 0}'
        ) from None


class MockProvider:
    """Answers each persona with its next scripted reply, or a fixed valid one without a script."""

    name = "mock"

    def __init__(
        self,
        section: MockSection,
        model: str,
        spec: ModelSpec | None,
        *,
        environ: Mapping[str, str] | None = None,
        base_dir: Path | None = None,
    ) -> None:
        """Load the script now, so a bad file fails before any work starts."""
        self._model = model
        self._spec = spec
        path = script_path(section, os.environ if environ is None else environ, base_dir)
        self._script = load_script(path) if path is not None else None
        self._served: dict[Persona, int] = {"architect": 0, "builder": 0, "reviewer": 0}

    def complete(self, request: CompletionRequest) -> Completion:
        """The persona's next reply as raw text, with estimated usage and cost."""
        started = time.perf_counter()
        text = self._recognised(request) or self._next_reply(request.persona)
        usage = estimated_usage(request, text)
        return Completion(
            text=text,
            usage=usage,
            latency_s=time.perf_counter() - started,
            cost_usd=cost_usd(usage, self._spec),
            model=self._model,
        )

    def _recognised(self, request: CompletionRequest) -> str | None:
        """The reply of the first marker the request holds, taken from no list; None if none."""
        for rule in self._script.when if self._script else []:
            shown = f"{request.system}\n{request.prompt}"
            if rule.persona == request.persona and rule.contains in shown:
                return rule.reply if isinstance(rule.reply, str) else json.dumps(rule.reply)
        return None

    def _next_reply(self, persona: Persona) -> str:
        """Consume the persona's next scripted reply (after the delay), or the fixed default."""
        if self._script is None:
            return _DEFAULT_REPLIES[persona]
        replies = {
            "architect": self._script.architect,
            "builder": self._script.builder,
            "reviewer": self._script.reviewer,
        }[persona]
        index = self._served[persona]
        if index >= len(replies):
            raise ProviderError(
                f"mock script has no reply left for the {persona} "
                f"(it holds {len(replies)}); add more {persona!r} entries to the script"
            )
        self._served[persona] = index + 1
        if self._script.delay_s:
            time.sleep(self._script.delay_s)
        reply = replies[index]
        return reply if isinstance(reply, str) else json.dumps(reply)
