"""The judge's end of the pipe: tasks out, the mind's asks served within budget, replies checked."""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen, TimeoutExpired
from typing import TypeVar

from self_improving_agent.base.errors import (
    MindError,
    PersonaReplyError,
    PhaseFailed,
    ProviderAuthError,
    ProviderError,
)
from self_improving_agent.base.models import LlmCall, Plan
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.base.text import printable
from self_improving_agent.core.mind_start import mind_place, started
from self_improving_agent.mind import messages as m
from self_improving_agent.providers.asking import record_call
from self_improving_agent.providers.base import Provider
from self_improving_agent.sandbox.sandbox import SandboxMode

# A generation's mind asks for a handful of completions (plan, build, a retry, repair rounds);
# more than this is a loop, and the judge stops it whatever the budget says.
MAX_MIND_CALLS = 40
STDERR_SHOWN = 300
EXIT_WAIT_S = 5.0
A = TypeVar("A", m.Planned, m.Built)


@dataclass(frozen=True)
class Serving:
    """What the judge serves the mind with: the provider, the call log, lessons and the budget."""

    provider: Provider
    on_call: Callable[[LlmCall], None]
    lessons: Callable[[Sequence[str], int], list[str]]
    over_budget: Callable[[], str | None]
    local: bool


class MindLink:
    """One generation's conversation with its mind process."""

    def __init__(self, proc: Popen[bytes], stderr: Path, serving: Serving, timeout_s: float):
        """Talk to proc; its stderr file explains a crash; each answer is due within timeout_s."""
        self._proc, self._stderr, self._serving = proc, stderr, serving
        self._timeout_s = timeout_s
        self._buffer = bytearray()
        self.calls = 0

    def open(self, start: m.Start) -> None:
        """Wait for the mind's hello, then tell it the generation."""
        hello = self._receive("plan")
        if not isinstance(hello, m.Hello):
            raise MindError("plan", f"the mind began with {hello.kind}, not hello")
        self._send("plan", start)

    def plan(self, notice: str | None = None) -> m.Planned:
        """The mind's plan; notice says why the last one was sent back."""
        return self._task("plan", m.PlanTask(notice=notice), m.Planned)

    def build(self, plan: Plan, files: dict[str, str], retry: Sequence[str] = ()) -> m.Built:
        """The mind's edits for plan (not applied: the caller's gates decide)."""
        task = m.BuildTask(plan=plan, files=files, retry_messages=list(retry))
        return self._task("implement", task, m.Built)

    def repair(
        self, plan: Plan, files: dict[str, str], evidence: Sequence[str], number: int, rounds: int
    ) -> m.Built:
        """The mind's repair edits for round number of rounds."""
        task = m.RepairTask(
            plan=plan, files=files, evidence=list(evidence), round_no=number, rounds=rounds
        )
        return self._task("repair", task, m.Built)

    def stop(self) -> None:
        """Tell the mind to exit; the caller kills what is left of it either way."""
        try:
            self._write(m.encode(m.Stop()), "stop")
        except MindError:
            return

    def _task(self, phase: str, task: m.Message, answer: type[A]) -> A:
        """Send task, serve the mind's asks until it answers, and check the answer's kind."""
        self._send(phase, task)
        while True:
            message = self._receive(phase)
            if isinstance(message, m.Ask):
                self._send(phase, self._complete(phase, message))
            elif isinstance(message, m.AskLessons):
                lines = self._serving.lessons(message.terms, message.limit)
                self._send(phase, m.LessonsAnswer(lines=lines))
            elif isinstance(message, m.Failed):
                self._record(message.calls)
                raise _failure(phase, message)
            elif isinstance(message, answer):
                self._record(message.calls)
                return message
            else:
                raise MindError(phase, f"the mind answered a {phase} task with {message.kind}")

    def _complete(self, phase: str, ask: m.Ask) -> m.Answer:
        """Make the model call the mind asked for, within the budget; record it."""
        # The mind cannot know the judge's secret values; the judge takes them out of what it sends.
        secrets = secret_values(os.environ)
        request = ask.request.model_copy(
            update={
                k: redact(getattr(ask.request, k), secrets) for k in ("system", "context", "prompt")
            }
        )
        if request.persona == "reviewer":
            raise MindError(phase, "the mind asked for a Reviewer's completion; only the judge may")
        self.calls += 1
        if self.calls > MAX_MIND_CALLS:
            raise MindError(
                phase, f"the mind asked for more than {MAX_MIND_CALLS} completions in a generation"
            )
        over = self._serving.over_budget()
        if over is not None:
            raise PhaseFailed(phase, over)
        provider = self._serving.provider
        try:
            completion = provider.complete(request)
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            return m.Answer(error=str(exc))
        self._serving.on_call(record_call(provider, request, completion))
        return m.Answer(completion=completion)

    def _record(self, calls: Sequence[LlmCall]) -> None:
        """Record the offline personas' calls the mind made itself: they cost nothing."""
        if self._serving.local:
            for call in calls:
                self._serving.on_call(call.model_copy(update={"cost_usd": 0.0}))

    def _send(self, phase: str, message: m.Message) -> None:
        """One message to the mind."""
        self._write(m.encode(message), phase)

    def _write(self, data: bytes, phase: str) -> None:
        """Write all of data before the deadline; a mind that stopped reading is a hung one."""
        pipe = self._proc.stdin
        assert pipe is not None
        view, deadline = memoryview(data), time.monotonic() + self._timeout_s
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._hung(phase)
            if not select.select([], [pipe], [], left)[1]:
                continue
            try:
                written = os.write(pipe.fileno(), view[: select.PIPE_BUF])
            except (BrokenPipeError, ConnectionResetError):
                raise self._ended(phase) from None
            view = view[written:]

    def _receive(self, phase: str) -> m.FromMind:
        """The mind's next message, due within the timeout."""
        line = self._line(phase)
        try:
            return m.read_from_mind(line)
        except m.VersionMismatch as exc:
            raise MindError(
                phase,
                f"the mind speaks protocol version {exc.version}; this judge speaks {m.VERSION}",
            ) from None
        except m.ProtocolError as exc:
            raise MindError(phase, f"the mind sent a malformed message: {exc}") from None

    def _line(self, phase: str) -> bytes:
        """One line from the mind's stdout, bounded in size and time."""
        pipe = self._proc.stdout
        assert pipe is not None
        deadline = time.monotonic() + self._timeout_s
        while b"\n" not in self._buffer:
            if len(self._buffer) > m.MAX_MESSAGE_BYTES:
                raise MindError(phase, f"the mind sent a message over {m.MAX_MESSAGE_BYTES} bytes")
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._hung(phase)
            if not select.select([pipe], [], [], left)[0]:
                continue
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                raise self._ended(phase)
            self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line

    def _hung(self, phase: str) -> MindError:
        """The error of a mind that kept the judge waiting past the limit."""
        return MindError(phase, f"the mind did not answer within {self._timeout_s:g} s")

    def _ended(self, phase: str) -> MindError:
        """The error of a mind that exited: its code and the end of what it wrote to stderr."""
        try:
            code: int | str = self._proc.wait(timeout=EXIT_WAIT_S)
        except TimeoutExpired:
            code = "unknown"
        try:
            tail = self._stderr.read_bytes()[-STDERR_SHOWN:].decode("utf-8", "replace")
        except OSError:
            tail = ""
        said = printable(" ".join(tail.split())) or "nothing on stderr"
        return MindError(phase, f"the mind exited (code {code}) before answering: {said}")


def _failure(phase: str, failed: m.Failed) -> Exception:
    """The mind's failure as the error the phase would have met in-process."""
    if failed.error == "provider":
        return ProviderError(failed.message)
    if failed.error == "reply":
        return PersonaReplyError(failed.message)
    return MindError(phase, f"the mind failed: {failed.message}")


@contextlib.contextmanager
def open_mind(
    repo: Path,
    sha: str,
    number: int,
    blocked: Sequence[str],
    serving: Serving,
    *,
    mode: SandboxMode,
    timeout_s: float,
    code: Path | None = None,
) -> Iterator[MindLink]:
    """The generation's mind, started contained over its view of sha; `open` tells it the rest.

    It starts before the judge needs it, so its interpreter loads while main's tree is measured.
    Its process group is killed and its scratch removed when the block ends, however it ends.
    """
    with (
        mind_place(repo, sha, number, blocked, code) as place,
        place.stderr.open("wb") as stderr,
        started(place, mode, stderr) as proc,
    ):
        link = MindLink(proc, place.stderr, serving, timeout_s)
        try:
            yield link
        finally:
            link.stop()
