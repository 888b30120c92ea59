"""A loopback stand-in of the AgentCore Memory data plane: CreateEvent and ListEvents."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_CREATE = re.compile(r"^/memories/([^/]+)/events$")
_LIST = re.compile(r"^/memories/([^/]+)/actor/([^/]+)/sessions/([^/]+)$")


class FakeAgentcore:
    """Events kept per (memory, actor, session); unknown memories answer 404 as AWS does."""

    def __init__(self, memories: set[str]) -> None:
        self.memories = memories
        self.events: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.calls: list[str] = []

    def create(self, memory: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store an event and return it as CreateEvent does."""
        key = (memory, body["actorId"], body["sessionId"])
        event = {
            "memoryId": memory,
            "actorId": body["actorId"],
            "sessionId": body["sessionId"],
            "eventId": f"e-{sum(len(v) for v in self.events.values()) + 1}",
            "eventTimestamp": body["eventTimestamp"],
            "payload": body["payload"],
        }
        self.events.setdefault(key, []).append(event)
        return {"event": event}

    def page(self, key: tuple[str, str, str], body: dict[str, Any]) -> dict[str, Any]:
        """One page of a session's events, newest last, with a nextToken when more remain."""
        events = self.events.get(key, [])
        start = int(body.get("nextToken") or 0)
        size = int(body.get("maxResults") or 100)
        shown = events[start : start + size]
        if not body.get("includePayloads", True):
            shown = [{k: v for k, v in e.items() if k != "payload"} for e in shown]
        reply: dict[str, Any] = {"events": shown}
        if start + size < len(events):
            reply["nextToken"] = str(start + size)
        return reply


def _handler(fake: FakeAgentcore) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one fake."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

        def _reply(self, status: int, body: dict[str, Any], error: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error:
                self.send_header("x-amzn-errortype", error)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            path = self.path.split("?")[0]
            create, listing = _CREATE.match(path), _LIST.match(path)
            memory = (create or listing)[1] if (create or listing) else ""
            fake.calls.append("create_event" if create else "list_events" if listing else path)
            if memory not in fake.memories:
                message = f"Memory {memory} not found"
                self._reply(404, {"message": message}, "ResourceNotFoundException")
            elif create:
                self._reply(201, fake.create(memory, body))
            elif listing:
                self._reply(200, fake.page((memory, listing[2], listing[3]), body))
            else:
                self._reply(404, {"message": "unknown operation"}, "UnknownOperationException")

    return Handler


@contextmanager
def serve(fake: FakeAgentcore) -> Iterator[str]:
    """Run the fake on 127.0.0.1 and yield its endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
