"""A small threaded HTTP server for the local emulators of external systems (one thread per request).

An emulator subclasses `EmulatorServer` and implements `respond(request)`;
the server measures the time spent inside `respond` (the emulator's own time,
which benchmarks report apart from the code under test) and counts requests.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from local_platform.http_serving import BackgroundServer, request_body, send


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, **headers: str) -> Response:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json; charset=utf-8", **headers}
        )


class _Server(ThreadingHTTPServer):
    request_queue_size = 128


class EmulatorServer:
    """Start, stop, URL and timing of one emulator; subclasses implement `respond`."""

    name = "emulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._serving = BackgroundServer(_Server((host, port), self._handler_class()), self.name)
        self._stats_lock = threading.Lock()
        self.requests = 0
        self.busy_seconds = 0.0

    @property
    def url(self) -> str:
        return self._serving.url

    def start(self) -> Self:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def respond(self, request: Request) -> Response:
        raise NotImplementedError

    def _timed(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            return self.respond(request)
        finally:
            with self._stats_lock:
                self.requests += 1
                self.busy_seconds += time.perf_counter() - started

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                url = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=url.path,
                    query=parse_qs(url.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=request_body(self),
                )
                response = emulator._timed(request)
                send(self, response.status, response.headers.items(), response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
