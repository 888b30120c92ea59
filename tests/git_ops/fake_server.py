"""A threaded JSON server on 127.0.0.1 that records requests and answers forced errors."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/api/v3"
Json = Any


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Json
    authorization: str | None


@dataclass
class Forced:
    """A response to send instead of the real one, for the next matching requests."""

    status: int
    message: str
    headers: dict[str, str]
    errors: list[dict[str, str]]
    remaining: int
    method: str | None
    path_contains: str | None


class FakeServer:
    """Serves JSON in a background thread: checks the token, records every request, answers
    forced errors first, and leaves the rest to route()."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.recorded: list[Recorded] = []
        self.forced: list[Forced] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll keeps shutdown, and so each test's teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """The api_url to configure: this server with the GitHub Enterprise path prefix."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def start(self) -> FakeServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def requests(self, method: str | None = None, path_contains: str = "") -> list[Recorded]:
        """The requests received so far, optionally filtered."""
        with self._lock:
            return [
                r
                for r in self.recorded
                if (method is None or r.method == method) and path_contains in r.path
            ]

    def force(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
        times: int = 1,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with this error instead."""
        with self._lock:
            self.forced.append(
                Forced(status, message, headers or {}, errors or [], times, method, path_contains)
            )

    # --- request handling (runs on server threads) ---

    def handle(
        self, method: str, raw_path: str, body: Json, authorization: str | None
    ) -> tuple[int, Json, dict[str, str]]:
        """Route one request; returns status, JSON body and extra headers."""
        parts = urlsplit(raw_path)
        path, query = parts.path.removeprefix(PREFIX), parse_qs(parts.query)
        with self._lock:
            self.recorded.append(Recorded(method, path, query, body, authorization))
            if authorization not in (f"token {self.token}", f"Bearer {self.token}"):
                return 401, {"message": "Bad credentials"}, {}
            forced = self._take_forced(method, path)
            if forced is not None:
                payload: Json = {"message": forced.message}
                if forced.errors:
                    payload["errors"] = forced.errors
                return forced.status, payload, forced.headers
            return self.route(method, path, query, body)

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json, dict[str, str]]:
        """The answer to one authorized request; a subclass knows the resources."""
        return 404, {"message": "Not Found"}, {}

    def _take_forced(self, method: str, path: str) -> Forced | None:
        """The first forced response matching this request, used up by one."""
        for forced in self.forced:
            if forced.method not in (None, method):
                continue
            if forced.path_contains is not None and forced.path_contains not in path:
                continue
            forced.remaining -= 1
            if forced.remaining <= 0:
                self.forced.remove(forced)
            return forced
        return None


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one FakeServer."""

    class Handler(BaseHTTPRequestHandler):
        """Decodes JSON, asks the fake, encodes JSON."""

        def _serve(self) -> None:
            """Handle any method the same way."""
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, payload, extra = fake.handle(
                self.command, self.path, body, self.headers.get("Authorization")
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
