"""An HTTP server of the local platform served from a daemon thread until it is stopped.

The gateway, the Lambda Invoke API, the emulators of external systems and the
console's local server and tunnel each answer HTTP on a port of this machine;
this is their one way of serving it in the background and shutting it down,
and of reading a request's body and writing a response.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackgroundServer:
    """Serve `server` in a daemon thread: its URL, start and stop."""

    def __init__(self, server: ThreadingHTTPServer, name: str, poll_interval: float = 0.05):
        server.daemon_threads = True  # a request in flight never holds the process open
        self.server = server
        self._name = name
        self._poll_interval = poll_interval
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=self._name,
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=timeout)


def request_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request's body, as long as its Content-Length says."""
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def send(
    handler: BaseHTTPRequestHandler, status: int, headers: Iterable[tuple[str, str]], payload: bytes
) -> None:
    """The status, the headers and the payload with its Content-Length (no payload for a HEAD)."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(payload)
