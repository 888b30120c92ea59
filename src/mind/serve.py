"""The mind's process: read the judge's tasks, ask for completions, answer with plans and edits."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from self_improving_agent.base.errors import PersonaReplyError, ProviderError
from self_improving_agent.base.models import Build, LlmCall, Plan
from self_improving_agent.mind import messages as m
from self_improving_agent.mind.evidence import architect_evidence, builder_evidence
from self_improving_agent.mind.lessons import LESSONS_SHOWN, terms_in_play
from self_improving_agent.mind.personas import (
    architect_request,
    builder_request,
    repair_request,
    request_tokens,
)
from self_improving_agent.mind.repomap import map_of
from self_improving_agent.providers.asking import ask
from self_improving_agent.providers.base import (
    Completion,
    CompletionRequest,
    Provider,
    prompt_hash,
)


class Channel:
    """One JSON line each way: the judge's messages in, the mind's out."""

    def __init__(self, inbox: BinaryIO, outbox: BinaryIO) -> None:
        """Talk over inbox and outbox."""
        self._in, self._out = inbox, outbox

    def send(self, message: m.Message) -> None:
        """Write one message and flush it."""
        self._out.write(m.encode(message))
        self._out.flush()

    def receive(self) -> m.ToMind:
        """The judge's next message; ProtocolError when it is none, EOFError when it hung up."""
        line = self._in.readline(m.MAX_MESSAGE_BYTES + 1)
        if not line:
            raise EOFError("the judge closed the pipe")
        return m.read_to_mind(line)


class JudgeProvider:
    """A provider whose calls the judge makes: the mind holds no key and spends nothing itself."""

    name = "judge"

    def __init__(self, channel: Channel) -> None:
        """Ask over channel."""
        self._channel = channel

    def complete(self, request: CompletionRequest) -> Completion:
        """Send the request to the judge and wait for its answer."""
        self._channel.send(m.Ask(request=request))
        answer = self._channel.receive()
        if not isinstance(answer, m.Answer):
            raise m.ProtocolError(f"the judge answered a completion request with {answer.kind}")
        if answer.completion is None:
            raise ProviderError(answer.error or "the judge made no completion")
        return answer.completion

    def lessons(self, terms: Sequence[str], limit: int) -> list[str]:
        """The judge's lessons about terms, one line each."""
        self._channel.send(m.AskLessons(terms=list(terms), limit=limit))
        answer = self._channel.receive()
        if not isinstance(answer, m.LessonsAnswer):
            raise m.ProtocolError(f"the judge answered a lessons request with {answer.kind}")
        return answer.lines


class Mind:
    """One generation's mind: the judge's start message and the tree it may read."""

    def __init__(self, tree: Path, start: m.Start, judge: JudgeProvider) -> None:
        """Answer locally with the offline personas when the judge says so, else through it."""
        self._tree, self._start, self._judge = tree, start, judge
        self._local: Provider | None = None
        if start.local:
            # Imported only when used: the offline personas' tools cost the start-up of every mind.
            from self_improving_agent.mind.offline import OfflineMind

            self._local = OfflineMind(
                tree,
                max_files=start.max_files,
                blocked=start.blocked_patterns,
                protected=start.protected_paths,
                rejected=start.rejected_plans,
            )
        self.calls: list[LlmCall] = []

    def _ask(self, request: CompletionRequest, model: type[Plan] | type[Build]) -> Plan | Build:
        """One validated reply; the offline personas' calls are reported, the judge's it records."""
        if self._local is None:
            return ask(self._judge, request, model, lambda _: None)
        return ask(self._local, request, model, self.calls.append)

    def plan(self, task: m.PlanTask) -> m.Planned:
        """The Architect's plan over the map, main's scores, history, lessons and goals."""
        start = self._start
        lessons = self._judge.lessons(terms_in_play(start.results), LESSONS_SHOWN)
        request = architect_request(
            map_of(self._tree, start.repo_map_tokens, start.blocked_patterns),
            start.results,
            start.history,
            start.goals,
            architect_evidence(start.results),
            lessons,
        )
        hashed = prompt_hash(request)
        if task.notice:
            request = request.model_copy(update={"prompt": f"{request.prompt}\n\n{task.notice}"})
        plan = self._ask(request, Plan)
        assert isinstance(plan, Plan)
        return m.Planned(plan=plan, prompt_hash=hashed, calls=self.taken())

    def build(self, task: m.BuildTask) -> m.Built:
        """The Builder's edits for the plan, or again after failed edits."""
        evidence = builder_evidence(self._start.results, task.plan.files_to_modify)
        request = builder_request(task.plan, task.files, task.retry_messages, evidence)
        build = self._ask(request, Build)
        assert isinstance(build, Build)
        return m.Built(build=build, prompt_hash=prompt_hash(request), calls=self.taken())

    def repair(self, task: m.RepairTask) -> m.Built:
        """The Builder's repair edits for what the change broke."""
        request = repair_request(task.plan, task.files, task.evidence, task.round_no, task.rounds)
        build = self._ask(request, Build)
        assert isinstance(build, Build)
        return m.Built(
            build=build,
            prompt_hash=prompt_hash(request),
            evidence_tokens=request_tokens(request),
            calls=self.taken(),
        )

    def taken(self) -> list[LlmCall]:
        """The local calls made since the last answer, handed over once."""
        taken, self.calls = self.calls, []
        return taken


def _answer(mind: Mind, task: m.ToMind) -> m.Message:
    """The mind's answer to one task; a failure in one sentence."""
    try:
        if isinstance(task, m.PlanTask):
            return mind.plan(task)
        if isinstance(task, m.BuildTask):
            return mind.build(task)
        if isinstance(task, m.RepairTask):
            return mind.repair(task)
    except ProviderError as exc:
        return m.Failed(error="provider", message=str(exc), calls=mind.taken())
    except PersonaReplyError as exc:
        return m.Failed(error="reply", message=str(exc), calls=mind.taken())
    raise m.ProtocolError(f"the judge sent {task.kind} where a task was expected")


def serve(tree: Path, channel: Channel) -> int:
    """Say hello, take the start message, then answer tasks until the judge says stop."""
    channel.send(m.Hello())
    start = channel.receive()
    if not isinstance(start, m.Start):
        raise m.ProtocolError(f"the judge began with {start.kind}, not start")
    mind = Mind(tree, start, JudgeProvider(channel))
    while True:
        task = channel.receive()
        if isinstance(task, m.Stop):
            return 0
        channel.send(_answer(mind, task))


def main(argv: Sequence[str]) -> int:
    """Serve the judge over this process's stdin and stdout; argv holds the tree's path."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -I -m self_improving_agent.mind TREE\n")
        return 2
    # Only messages go to the judge's pipe: anything else printed lands on stderr.
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel = Channel(sys.stdin.buffer, outbox)
    try:
        return serve(Path(argv[0]), channel)
    except (m.ProtocolError, EOFError) as exc:
        sys.stderr.write(f"mind: {exc}\n")
        return 2
