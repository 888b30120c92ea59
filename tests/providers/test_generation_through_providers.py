"""Whole generations through the Anthropic and Bedrock providers, the network faked at its edge.

A local HTTP server on 127.0.0.1 plays the Messages API or bedrock-runtime's Converse API, so the
real SDK, boto3, retries, the loop, git, benchmarks and the store all run as they do for users.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from main import app
from src.base.config import Settings
from src.base.models import Change, Plan
from src.base.store import Store
from src.pipeline.generation import GenerationOutcome, RunOptions, run_generation
from src.pipeline.session import open_deps
from src.providers.anthropic import API_KEY_ENV, BASE_URL_ENV, AnthropicProvider
from src.providers.bedrock import BedrockProvider
from src.reports.report_model import GenerationReport
from tests.conftest import git
from tests.loop_kit import build, plan, review, sample_repo

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
BEDROCK_MODEL = "anthropic.claude-sonnet-4-6"
Reply = tuple[int, dict[str, str], dict[str, Any]]
runner = CliRunner()


def fake_key() -> str:
    """A distinctive API key, assembled at run time so no file holds it."""
    return "-".join(["sk", "ant", "api03", "w2eZq7" * 6])


@dataclass
class FakeApi:
    """Queued replies per reply schema, and every request seen, for one fake endpoint."""

    route: Callable[[dict[str, Any]], str]
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        """The next queued reply for the schema this request forces; a 400 when none is left."""
        self.requests.append((path, headers, body))
        queue = self.replies.get(self.route(body))
        if queue:
            return queue.pop(0)
        text = f"the fake API has no reply queued for {self.route(body)}"
        error = {"type": "error", "error": {"type": "invalid_request_error", "message": text}}
        return 400, {"x-amzn-ErrorType": "ValidationException"}, {**error, "message": text}

    def schemas(self) -> list[str]:
        """The reply schema of each request, in order."""
        return [self.route(body) for _, _, body in self.requests]


@contextmanager
def serve(api: FakeApi) -> Iterator[str]:
    """Run api on a free 127.0.0.1 port for the duration of a test; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = api.answer(self.path, headers, json.loads(raw))
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {**extra, "Content-Type": "application/json"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# Anthropic Messages API


def anthropic_route(body: dict[str, Any]) -> str:
    """The schema a Messages request forces: the name in its tool_choice."""
    return str(body["tool_choice"]["name"])


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


def anthropic_script(as_text: bool = False) -> dict[str, list[Reply]]:
    """One successful reply per persona."""
    return {schema: [anthropic_ok(schema, as_text)] for schema in REPLIES}


@pytest.fixture
def anthropic_api() -> Iterator[tuple[FakeApi, str]]:
    """A fake Messages API on 127.0.0.1 and its base URL."""
    api = FakeApi(anthropic_route)
    with serve(api) as url:
        yield api, url


@pytest.fixture
def target(tmp_path: Path, clean_env: None) -> Path:
    """The sample repository plus an undocumented module the scripted replies document."""
    return sample_repo(tmp_path / "target", {"pkg/util.py": BARE})


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


def test_cli_generation_with_forced_tool_replies_is_merged(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = anthropic_script()
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), "--auto-merge")
    assert code == 0, out
    assert out.startswith("gen 1 accepted")
    assert api.schemas() == ["Plan", "Build", "Review"]
    first = api.requests[0]
    assert first[0] == "/v1/messages"
    assert sent_key(first[1]) == fake_key()
    assert first[2]["tools"][0]["name"] == "Plan"
    assert first[2]["system"][0]["cache_control"] == {"type": "ephemeral"}
    report = report_of(target)
    assert report.status == "accepted"
    assert [c.provider for c in report.llm_calls] == ["anthropic"] * 3
    plan_call = report.llm_calls[0]
    assert (plan_call.input_tokens, plan_call.output_tokens) == (100, 20)
    assert (plan_call.cache_write_tokens, plan_call.cache_read_tokens) == (50, 0)
    # Sonnet: $3 in, $15 out per million; a cache write costs 1.25x input.
    assert plan_call.cost_usd == pytest.approx(((100 + 1.25 * 50) * 3 + 20 * 15) / 1e6)
    assert report.llm_totals["input_tokens"] == 600
    assert "Doubling" in git(target, "show", "main:pkg/util.py")
    assert_nothing_left(target)


def test_generation_with_text_replies_through_the_sdk_transport(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, _ = anthropic_api
    api.replies = anthropic_script(as_text=True)

    def handler(request: httpx2.Request) -> httpx2.Response:
        status, headers, body = api.answer(request.url.path, {}, json.loads(request.content))
        return httpx2.Response(status, json=body, headers=headers)

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    settings = Settings()
    provider = AnthropicProvider(settings, environ={API_KEY_ENV: fake_key()}, http_client=client)
    with Store.for_repo(target) as store:
        deps = open_deps(target, settings, store, lambda line: None, provider=provider)
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    assert outcome.status == "accepted", outcome.reason
    assert api.schemas() == ["Plan", "Build", "Review"]
    assert report_of(target).plan == Plan.model_validate(REPLIES["Plan"])


def test_overload_then_rate_limit_is_retried_and_only_answers_are_counted(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = anthropic_script()
    api.replies["Plan"][:0] = [
        anthropic_error(529, "overloaded_error", "Overloaded"),
        anthropic_error(429, "rate_limit_error", "Slow down"),
    ]
    code, out, _ = agent_run(target, "anthropic", anthropic_env(url), "--auto-merge")
    assert code == 0
    assert out.startswith("gen 1 accepted")
    assert api.schemas() == ["Plan", "Plan", "Plan", "Build", "Review"]
    report = report_of(target)
    assert len(report.llm_calls) == 3
    assert report.llm_totals["calls"] == 3
    assert report.llm_totals["input_tokens"] == 600
    assert report.llm_totals["output_tokens"] == 70
    with Store.for_repo(target) as store:
        assert len(store.llm_calls(1)) == 3


def test_refused_key_fails_at_once_and_leaves_nothing(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    api, url = anthropic_api
    api.replies = {"Plan": [anthropic_error(401, "authentication_error", "invalid x-api-key")]}
    code, out, err = agent_run(target, "anthropic", anthropic_env(url))
    assert len(api.requests) == 1
    assert out.startswith("gen 1 rejected: plan failed: Anthropic refused the API key in ")
    assert API_KEY_ENV in out
    assert "Traceback" not in out + err
    report = report_of(target)
    assert report.status == "rejected"
    assert report.llm_calls == []
    assert_nothing_left(target)
    assert code == 0


def test_missing_key_fails_before_any_work(target: Path) -> None:
    code, out, err = agent_run(target, "anthropic", {API_KEY_ENV: ""})
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and API_KEY_ENV in err
    assert "Traceback" not in err
    assert not (target / ".agent" / "worktrees").exists()
    assert git(target, "branch", "--list", "agent/*").strip() == ""
    assert not (target / "reports").exists()


def test_api_key_never_reaches_reports_logs_store_or_output(
    target: Path, anthropic_api: tuple[FakeApi, str]
) -> None:
    key = fake_key()
    api, url = anthropic_api
    api.replies = anthropic_script()
    # The second generation's refusal quotes the key back, as a careless proxy might.
    api.replies["Plan"].append(anthropic_error(401, "authentication_error", f"bad key {key}"))
    flags = ("--auto-merge", "--log-level", "DEBUG", "--log-format", "json")
    outputs = []
    for _ in range(2):
        code, out, err = agent_run(target, "anthropic", anthropic_env(url, key), *flags)
        assert code == 0
        outputs += [out, err]
    assert [sent_key(h) for _, h, _ in api.requests] == [key] * 4
    assert "refused the API key" in outputs[2]
    assert all(key not in text for text in outputs)
    state = [p for p in (target / ".agent").rglob("*") if p.is_file()]
    reports = list((target / "reports").glob("gen-*.json"))
    assert len(reports) == 2
    assert any(p.name == "agent.db" for p in state)
    for path in state + reports:
        assert key.encode() not in path.read_bytes(), path
    assert key not in git(target, "log", "-p", "--all")


# Bedrock Converse API


def bedrock_route(body: dict[str, Any]) -> str:
    """The schema a Converse request forces: the name in its toolChoice."""
    return str(body["toolConfig"]["toolChoice"]["tool"]["name"])


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


@pytest.fixture
def bedrock_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[FakeApi, dict[str, str]]]:
    """A fake bedrock-runtime on 127.0.0.1 and the AWS environment that points boto3 at it."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    api = FakeApi(bedrock_route)
    with serve(api) as url:
        env = {
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "w2e" + "SecretAccessKey" * 2,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        }
        yield api, env


@pytest.mark.parametrize("as_text", [False, True], ids=["tool", "text"])
def test_cli_generation_through_bedrock_retries_throttling(
    target: Path, bedrock_api: tuple[FakeApi, dict[str, str]], as_text: bool
) -> None:
    api, env = bedrock_api
    api.replies = {schema: [bedrock_ok(schema, as_text)] for schema in REPLIES}
    api.replies["Build"].insert(0, bedrock_error(429, "ThrottlingException", "Too many requests"))
    code, out, _ = agent_run(target, "bedrock", env, "--model", BEDROCK_MODEL, "--auto-merge")
    assert code == 0
    assert out.startswith("gen 1 accepted"), out
    assert api.schemas() == ["Plan", "Build", "Build", "Review"]
    assert {path for path, _, _ in api.requests} == {f"/model/{BEDROCK_MODEL}/converse"}
    report = report_of(target)
    assert [c.provider for c in report.llm_calls] == ["bedrock"] * 3
    assert report.llm_totals["input_tokens"] == 600
    assert report.llm_calls[0].cost_usd == pytest.approx((100 * 3 + 20 * 15) / 1e6)
    assert_nothing_left(target)


def test_bedrock_validation_error_fails_the_plan_with_the_service_message(
    target: Path, bedrock_api: tuple[FakeApi, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, env = bedrock_api
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    api.replies = {"Plan": [bedrock_error(400, "ValidationException", "The model is not valid.")]}
    settings = Settings()
    settings.agent.model = BEDROCK_MODEL
    settings.providers.bedrock.endpoint_url = env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
    with Store.for_repo(target) as store:
        deps = open_deps(target, settings, store, lambda line: None, BedrockProvider(settings))
        outcome: GenerationOutcome = run_generation(deps, RunOptions(auto_merge=True))
        entry = store.get_generation(1)
    assert outcome.status == "rejected"
    assert outcome.reason == "plan failed: Bedrock ValidationException: The model is not valid."
    assert entry is not None and entry.reason == outcome.reason
    assert len(api.requests) == 1
    assert_nothing_left(target)
