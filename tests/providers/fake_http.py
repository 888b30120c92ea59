"""One fake HTTP endpoint on 127.0.0.1 for the provider tests: queued replies per schema."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (status, headers, body); a str body is sent as is, to play a server sending broken JSON.
Reply = tuple[int, dict[str, str], dict[str, Any] | str]
# A queued answer: a fixed reply, or one shaped by the request (tool call or JSON text).
Answer = Reply | Callable[[dict[str, Any]], Reply]


@dataclass
class FakeApi:
    """Queued replies per reply schema, and every request seen, for one fake endpoint."""

    route: Callable[[dict[str, Any]], str]
    replies: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        """The next queued reply for the schema this request forces; a 400 when none is left."""
        self.requests.append((path, headers, body))
        queue = self.replies.get(self.route(body))
        if queue:
            answer = queue.pop(0)
            return answer(body) if callable(answer) else answer
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
            payload = (body if isinstance(body, str) else json.dumps(body)).encode()
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
