"""BedrockProvider's real boto3 client against a local Converse server: retries and endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from self_improving_agent.base.errors import ProviderError
from tests.providers.test_bedrock import MODEL, PLAN, SECRET, SETTINGS, TOOL_REPLY, bedrock, request


class FakeBedrock(BaseHTTPRequestHandler):
    """Answers Converse with queued (status, headers, body) triples and counts requests."""

    replies: ClassVar[list[tuple[int, dict[str, str], dict[str, Any]]]] = []
    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).paths.append(self.path)
        status, headers, body = type(self).replies.pop(0)
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fake bedrock-runtime endpoint on 127.0.0.1 and static AWS credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    FakeBedrock.replies, FakeBedrock.paths = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeBedrock)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_botocore_retries_throttling_then_succeeds(server: str) -> None:
    throttled = (429, {"x-amzn-ErrorType": "ThrottlingException"}, {"message": "Too many"})
    FakeBedrock.replies = [throttled, (200, {}, TOOL_REPLY)]
    settings = SETTINGS.model_copy(deep=True)
    settings.providers.bedrock.endpoint_url = server
    completion = bedrock(settings).complete(request())
    assert completion.data == PLAN
    assert len(FakeBedrock.paths) == 2
    assert completion.usage.input_tokens == 10


def test_retries_stop_at_max_attempts(server: str) -> None:
    unavailable = (503, {"x-amzn-ErrorType": "ServiceUnavailableException"}, {"message": "down"})
    FakeBedrock.replies = [unavailable, unavailable]
    settings = SETTINGS.model_copy(deep=True)
    settings.providers.bedrock.endpoint_url = server
    settings.providers.bedrock.max_attempts = 2
    with pytest.raises(ProviderError, match="ServiceUnavailableException: down"):
        bedrock(settings).complete(request())
    assert len(FakeBedrock.paths) == 2


def test_endpoint_from_the_aws_environment_variable(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server)
    FakeBedrock.replies = [(200, {}, TOOL_REPLY)]
    assert bedrock(SETTINGS).complete(request()).data == PLAN
    assert FakeBedrock.paths == [f"/model/{MODEL.replace(':', '%3A')}/converse"]
