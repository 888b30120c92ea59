"""Shared parts of the whole-generation provider tests: scripted replies, routes, checks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from self_improving_agent.base.models import Change
from self_improving_agent.cli.app import app
from self_improving_agent.providers.anthropic import API_KEY_ENV, BASE_URL_ENV
from self_improving_agent.reports.report_model import GenerationReport
from tests.conftest import git
from tests.loop_kit import build, plan, review
from tests.providers.fake_http import Answer, Reply

BARE = "def double(x: int) -> int:\n    return x * 2\n"
DOCUMENTED = (
    '"""Doubling."""\n\n\ndef double(x: int) -> int:\n    """Twice x."""\n    return x * 2\n'
)
REPLIES = {
    "Plan": json.loads(plan(["pkg/util.py"], "Document pkg.util")),
    "Build": json.loads(build(Change(file="pkg/util.py", content=DOCUMENTED))),
    "Review": json.loads(review()),
}
# Distinct token counts per persona, so totals show which calls were counted.
TOKENS = {
    "Plan": {"input_tokens": 100, "output_tokens": 20, "cache_creation_input_tokens": 50},
    "Build": {"input_tokens": 200, "output_tokens": 40, "cache_read_input_tokens": 50},
    "Review": {"input_tokens": 300, "output_tokens": 10},
}
runner = CliRunner()


def fake_key() -> str:
    """A distinctive API key, assembled at run time so no file holds it."""
    return "-".join(["sk", "ant", "api03", "w2eZq7" * 6])


# Anthropic Messages API


def text_route(body: dict[str, Any]) -> str:
    """The schema a request without a structured-output field asks for in its prompt."""
    match = re.search(r"schema (Plan|Build|Review)", json.dumps(body))
    return match.group(1) if match else "none"


def anthropic_route(body: dict[str, Any]) -> str:
    """The schema a Messages request asks for: forced tool, output format title, or prompt."""
    if "tool_choice" in body:
        return str(body["tool_choice"]["name"])
    if "output_config" in body:
        return str(body["output_config"]["format"]["schema"]["title"])
    return text_route(body)


def anthropic_block(schema: str, as_text: bool) -> dict[str, Any]:
    """The persona's reply as a forced tool call or as JSON text."""
    if as_text:
        return {"type": "text", "text": json.dumps(REPLIES[schema])}
    return {"type": "tool_use", "id": f"toolu_{schema}", "name": schema, "input": REPLIES[schema]}


def anthropic_ok(schema: str, as_text: bool = False) -> Reply:
    """A 200 Messages response answering schema."""
    body = {
        "id": f"msg_{schema}",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [anthropic_block(schema, as_text)],
        "stop_reason": "end_turn" if as_text else "tool_use",
        "stop_sequence": None,
        "usage": TOKENS[schema],
    }
    return 200, {}, body


def anthropic_error(status: int, kind: str, message: str) -> Reply:
    """An API error; retry-after-ms keeps the SDK's back-off short."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return status, {"retry-after-ms": "10"}, body


def anthropic_answer(schema: str) -> Callable[[dict[str, Any]], Reply]:
    """A 200 answering schema the way the request asks: a tool call when forced, else JSON text."""
    return lambda body: anthropic_ok(schema, as_text="tool_choice" not in body)


def anthropic_script() -> dict[str, list[Answer]]:
    """One successful reply per persona."""
    return {schema: [anthropic_answer(schema)] for schema in REPLIES}


def agent_run(repo: Path, provider: str, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`agent run` in-process on repo; returns exit code, stdout and stderr."""
    argv = ["run", "--repo", str(repo), "--provider", provider, *args]
    result = runner.invoke(app, argv, env={"COLUMNS": "300", **env})
    return result.exit_code, result.stdout, result.stderr


def sent_key(headers: dict[str, str]) -> str:
    """The API key a request carried, in whichever header the SDK puts it."""
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


def anthropic_env(url: str, key: str | None = None) -> dict[str, str]:
    """Environment that points the SDK at the fake server with a fake key."""
    return {API_KEY_ENV: key or fake_key(), BASE_URL_ENV: url}


def report_of(repo: Path, number: int = 1) -> GenerationReport:
    """The validated gen-N.json report."""
    text = (repo / "reports" / f"gen-{number}.json").read_text(encoding="utf-8")
    return GenerationReport.model_validate_json(text)


def assert_nothing_left(repo: Path) -> None:
    """No agent/* branch, no extra worktree, no generation worktree directory."""
    assert git(repo, "branch", "--list", "agent/*").strip() == ""
    assert len(git(repo, "worktree", "list", "--porcelain").split("worktree ")) == 2
    worktrees = repo / ".agent" / "worktrees"
    assert not worktrees.exists() or not any(worktrees.iterdir())


# Bedrock Converse API


def bedrock_route(body: dict[str, Any]) -> str:
    """The schema a Converse request asks for: forced tool, output format name, or prompt."""
    if "toolConfig" in body:
        return str(body["toolConfig"]["toolChoice"]["tool"]["name"])
    if "outputConfig" in body:
        return str(body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"])
    return text_route(body)


def bedrock_ok(schema: str, as_text: bool = False) -> Reply:
    """A 200 Converse response answering schema."""
    if as_text:
        block: dict[str, Any] = {"text": json.dumps(REPLIES[schema])}
    else:
        block = {"toolUse": {"toolUseId": f"t_{schema}", "name": schema, "input": REPLIES[schema]}}
    tokens = TOKENS[schema]
    body = {
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": "end_turn" if as_text else "tool_use",
        "usage": {
            "inputTokens": tokens["input_tokens"],
            "outputTokens": tokens["output_tokens"],
            "totalTokens": tokens["input_tokens"] + tokens["output_tokens"],
        },
        "metrics": {"latencyMs": 1},
    }
    return 200, {}, body


def bedrock_error(status: int, code: str, message: str) -> Reply:
    """A service error as bedrock-runtime sends it."""
    return status, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}, {"message": message}
