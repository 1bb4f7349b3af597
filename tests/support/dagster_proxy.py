"""A recording HTTP proxy in front of the real Dagster webserver.

The code under test talks to Dagster through it, so a test can count the GraphQL requests
it made (by operation name), take Dagster "down" (the port stops accepting connections) and
bring it back on the same port, or hold the answer to a launch after Dagster has created the
run (to kill a worker between the launch and its database update).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")


def operation_name(body: bytes) -> str:
    try:
        payload: dict[str, Any] = json.loads(body)
    except ValueError:
        return "?"
    if payload.get("operationName"):
        return str(payload["operationName"])
    match = _OPERATION.search(str(payload.get("query") or ""))
    return match.group(1) if match else "anonymous"


class DagsterProxy:
    LAUNCH = "GraphQLClientSubmitRun"

    def __init__(self, upstream: str, port: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._hold: str | None = None
        self._status: int | None = None
        self.held = threading.Event()  # a held operation's answer is waiting
        self._release = threading.Event()
        self._http = httpx.Client(timeout=60)

    # -- control ------------------------------------------------------------------------------

    def up(self) -> None:
        if self._server is not None:
            return
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy._forward(self, "POST")

            def do_GET(self) -> None:
                proxy._forward(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections to the port are refused until ``up()``."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def count(self, *operations: str) -> int:
        with self._lock:
            return sum(self.counts[name] for name in operations)

    def hold(self, operation: str) -> None:
        """Forward ``operation`` but keep its answer until ``release()``."""
        self.held.clear()
        self._release.clear()
        self._hold = operation

    def answer_with(self, status: int | None) -> None:
        """Answer every request with this HTTP status instead of forwarding (None: forward)."""
        self._status = status

    def release(self) -> None:
        self._hold = None
        self._release.set()

    def close(self) -> None:
        self.answer_with(None)
        self.release()
        self.down()
        self._http.close()

    # -- forwarding ---------------------------------------------------------------------------

    def _forward(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        operation = operation_name(body) if method == "POST" else handler.path
        with self._lock:
            self.counts[operation] += 1
        headers = {"Content-Type": handler.headers.get("Content-Type", "application/json")}
        if self._status is not None:
            self._reply(handler, self._status, b"<html>proxy error</html>", "text/html")
            return
        try:
            answer = self._http.request(
                method, self.upstream + handler.path, content=body, headers=headers
            )
            status, content = answer.status_code, answer.content
            content_type = answer.headers.get("Content-Type", "application/json")
        except httpx.HTTPError as exc:
            status, content, content_type = 502, str(exc).encode(), "text/plain"
        if self._hold is not None and operation == self._hold:
            self.held.set()
            self._release.wait(timeout=120)
        self._reply(handler, status, content, content_type)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, content: bytes, content_type: str
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:
            pass  # the caller went away (e.g. a killed worker)
