"""`agent agentcore-status`: the settings, the credentials' source, whether the memory answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from self_improving_agent.base.config import AgentcoreSection
from self_improving_agent.memory.agentcore import make_client, session_for


class AgentcoreStatus(BaseModel):
    """What was found, line by line, and one sentence per problem."""

    lines: list[str]
    problems: list[str]


def _credentials_source(section: AgentcoreSection) -> str | None:
    """Where boto3 would take credentials from (env, shared-credentials-file, ...), or None."""
    import boto3

    credentials = boto3.Session(region_name=section.region).get_credentials()
    return None if credentials is None else str(credentials.method)


def agentcore_status(
    section: AgentcoreSection,
    repo: Path,
    client_factory: Callable[[AgentcoreSection], Any] = make_client,
) -> AgentcoreStatus:
    """Check the [agentcore] table, the credentials and one list_events call."""
    lines = [
        f"enabled: {str(section.enabled).lower()}",
        f"memory_id: {section.memory_id or '(not set)'}",
        f"region: {section.region or '(from the AWS environment)'}",
        f"endpoint: {section.endpoint_url or '(the AWS default)'}",
    ]
    if not section.enabled:
        lines.append("lessons stay in the local state database ([agentcore] enabled = false)")
        return AgentcoreStatus(lines=lines, problems=[])
    problems: list[str] = []
    if not section.memory_id:
        problems.append(
            "[agentcore] memory_id is not set: create a memory in Bedrock AgentCore and put its"
            " id there (or set AGENT_AGENTCORE__MEMORY_ID)."
        )
    source = _credentials_source(section)
    lines.append(f"credentials: {source or '(none found)'}")
    if source is None:
        problems.append(
            "no AWS credentials were found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY, or run with an instance role."
        )
    if problems:
        return AgentcoreStatus(lines=lines, problems=problems)
    session = session_for(repo, section)
    lines += [f"actor: {section.actor_id}", f"session: {session}"]
    try:
        client = client_factory(section)
        page = client.list_events(
            memoryId=section.memory_id,
            actorId=section.actor_id,
            sessionId=session,
            includePayloads=False,
            maxResults=1,
        )
    except Exception as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        problems.append(f"the memory did not answer: {message}.")
        return AgentcoreStatus(lines=lines, problems=problems)
    events = "has events" if page.get("events") else "has no events yet"
    lines.append(f"memory answers: yes (this repository's session {events})")
    return AgentcoreStatus(lines=lines, problems=problems)
