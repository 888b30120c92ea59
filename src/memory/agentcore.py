"""Lessons shared through Amazon Bedrock AgentCore Memory, with the state database as fallback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError

from self_improving_agent.base.config import AgentcoreSection
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.memory.lessons import REJECTED, Lesson, LessonMemory, files_key

log = structlog.get_logger(__name__)

SERVICE = "bedrock-agentcore"
PAGE = 100
MAX_PAGES = 20
ROLE = "OTHER"


def session_for(repo: Path, section: AgentcoreSection) -> str:
    """The configured session id, else one per repository: its first commit, same on every clone."""
    if section.session_id:
        return section.session_id
    try:
        stdout = git(repo, "rev-list", "--max-parents=0", "HEAD").stdout
    except GitError:
        stdout = b""
    roots = sorted(stdout.decode("ascii", errors="replace").split())
    return f"repo-{roots[0][:20]}" if roots else "repo-unknown"


def make_client(section: AgentcoreSection) -> Any:
    """A boto3 bedrock-agentcore client for the configured region and endpoint."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
    return boto3.client(
        SERVICE, region_name=section.region, endpoint_url=section.endpoint_url, config=config
    )


def _key(lesson: Lesson) -> tuple[str, int, str]:
    """What tells two copies of one lesson apart from two lessons."""
    return (lesson.created_at, lesson.generation, lesson.tried)


class AgentcoreLessons:
    """Lessons written to the local store and, as events, to AgentCore Memory; read from both."""

    def __init__(
        self, local: LessonMemory, client: Any, section: AgentcoreSection, session: str
    ) -> None:
        self.local = local
        self.client = client
        self.memory_id = section.memory_id or ""
        self.actor_id = section.actor_id
        self.session = session
        self.failed = False
        self._remote: list[Lesson] | None = None

    def _fail(self, action: str, exc: Exception) -> None:
        """One warning for the run; later calls go to the local store only."""
        if not self.failed:
            log.warning(
                "AgentCore Memory failed; lessons stay in the local state database",
                action=action,
                error=str(exc),
            )
        self.failed = True

    def add(self, lesson: Lesson) -> None:
        """Keep the lesson locally, then send it as an event."""
        self.local.add(lesson)
        if self.failed:
            return
        try:
            self.client.create_event(
                memoryId=self.memory_id,
                actorId=self.actor_id,
                sessionId=self.session,
                eventTimestamp=datetime.now(UTC),
                payload=[_payload(lesson)],
            )
        except Exception as exc:
            self._fail("create_event", exc)
            return
        if self._remote is not None:
            self._remote.append(lesson)

    def remote(self) -> list[Lesson]:
        """The lessons every machine sent to this repository's session, read once per run."""
        if self._remote is not None or self.failed:
            return self._remote or []
        found: list[Lesson] = []
        request: dict[str, Any] = {
            "memoryId": self.memory_id,
            "actorId": self.actor_id,
            "sessionId": self.session,
            "includePayloads": True,
            "maxResults": PAGE,
        }
        try:
            for _ in range(MAX_PAGES):
                page = self.client.list_events(**request)
                found += [x for e in page.get("events", []) for x in _lessons_in(e)]
                if not page.get("nextToken"):
                    break
                request["nextToken"] = page["nextToken"]
        except Exception as exc:
            self._fail("list_events", exc)
            return []
        self._remote = found
        return found

    def _others(self) -> list[Lesson]:
        """Remote lessons not already in the local store."""
        mine = {_key(x) for x in self.local.all()}
        return [x for x in self.remote() if _key(x) not in mine]

    def relevant(self, terms: Sequence[str], limit: int) -> list[Lesson]:
        """Local matches first, then other machines' lessons that mention a term, then newest."""
        others = sorted(self._others(), key=lambda x: x.created_at, reverse=True)
        words = [t for t in terms if t]
        matching = [x for x in others if any(w in f"{x.files} {x.benchmark}" for w in words)]
        rest = [x for x in others if x not in matching]
        local = self.local.relevant(terms, limit)
        return (matching[: limit // 2] + local + matching[limit // 2 :] + rest)[:limit]

    def rejected_like(self, files: Sequence[str], benchmark: str) -> Lesson | None:
        """A rejected plan with these files and benchmark, from this machine or another."""
        found = self.local.rejected_like(files, benchmark)
        if found is not None:
            return found
        key = files_key(files)
        same = [
            x
            for x in self._others()
            if x.outcome == REJECTED and files_key(x.files) == key and x.benchmark == benchmark
        ]
        return max(same, key=lambda x: x.created_at) if same else None

    def all(self) -> list[Lesson]:
        """Every lesson known here or there, oldest first."""
        return sorted([*self.local.all(), *self._others()], key=lambda x: x.created_at)


def _payload(lesson: Lesson) -> dict[str, Any]:
    """A lesson as one event payload item: its JSON as text, readable by people and extraction."""
    text = redact_environment(lesson.model_dump_json())
    return {"conversational": {"content": {"text": text}, "role": ROLE}}


def _lessons_in(event: dict[str, Any]) -> list[Lesson]:
    """The lessons an event carries; anything else in the session is ignored."""
    found = []
    for item in event.get("payload") or []:
        text = (((item or {}).get("conversational") or {}).get("content") or {}).get("text")
        if not isinstance(text, str):
            continue
        try:
            found.append(Lesson.model_validate_json(text))
        except ValidationError:
            continue
    return found
