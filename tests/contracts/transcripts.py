"""Recorded request/response transcripts of the ERP and WMS adapters, and a server that replays them.

A transcript pins an adapter's contract with the system it talks to: every
HTTP request the adapter makes for a scenario (method, path, query, the JSON
body, the auth scheme) and every response it got (status, content type, body),
plus what the adapter made of them. Replaying it checks, without the system,
that the adapter still sends exactly these requests and reads these responses
the same way; recording it again against the emulator checks the emulator
still answers as recorded. Recording against a real server
(`python -m tests.contracts.record --odoo-url ... --odoo-key ...`) turns the
same transcript into a check against the real thing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

from local_platform.emulators.http_server import EmulatorServer, Request, Response

DIR = Path(__file__).parent
SECRET_HEADERS = ("authorization",)


def plain(value: Any) -> Any:
    """A scenario's results as JSON: dataclasses as dicts, decimals as strings."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _body(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _redacted(body: Any) -> Any:
    """A JSON-RPC call's password (the API key, third of login's and execute_kw's args) as a placeholder."""
    if isinstance(body, dict) and isinstance(body.get("params"), dict):
        args = body["params"].get("args")
        if isinstance(args, list) and len(args) > 2:
            args = [*args[:2], "<api key>", *args[3:]]
            return {**body, "params": {**body["params"], "args": args}}
    return body


def _scheme(value: str) -> str:
    return value.split(" ", 1)[0].lower() if value else ""


class RecordingPool(urllib3.PoolManager):
    """A urllib3 pool that writes down every exchange (credentials reduced to their scheme)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.exchanges: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def request(  # noqa: PLR0917 - urllib3's own signature, overridden
        self,
        method: str,
        url: str,
        body: Any = None,
        fields: Any = None,
        headers: Mapping[str, str] | None = None,
        json: Any | None = None,
        **urlopen_kw: Any,
    ) -> urllib3.BaseHTTPResponse:
        response = super().request(
            method, url, body=body, fields=fields, headers=headers, json=json, **urlopen_kw
        )
        parts = urlsplit(url)
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        exchange = {
            "request": {
                "method": method,
                "path": parts.path,
                "query": parts.query,
                "auth": _scheme(sent.get("authorization", "")),
                "body": _redacted(_body(body)),
            },
            "response": {
                "status": response.status,
                "content_type": response.headers.get("Content-Type", ""),
                "body": _body(response.data),
            },
        }
        with self._lock:
            self.exchanges.append(exchange)
        return response


class ReplayServer(EmulatorServer):
    """Answers the recorded responses in order, refusing any request that differs from the recording."""

    name = "transcript-replay"

    def __init__(self, exchanges: list[dict[str, Any]]):
        super().__init__()
        self._exchanges = list(exchanges)
        self._next = 0
        self._lock = threading.Lock()
        self.mismatches: list[str] = []

    @property
    def finished(self) -> bool:
        return self._next == len(self._exchanges)

    def respond(self, request: Request) -> Response:
        with self._lock:
            if self._next >= len(self._exchanges):
                self.mismatches.append(f"unexpected extra request {request.method} {request.path}")
                return Response(599, b"not in the transcript")
            expected = self._exchanges[self._next]
            self._next += 1
        got = {
            "method": request.method,
            "path": request.path,
            "query": "&".join(f"{k}={v}" for k, values in request.query.items() for v in values),
            "auth": _scheme(request.headers.get("authorization", "")),
            "body": _redacted(_body(request.body)),
        }
        if got != expected["request"]:
            self.mismatches.append(f"request {self._next}: expected {expected['request']}, got {got}")
        answer = expected["response"]
        body = answer["body"]
        raw = (
            b""
            if body is None
            else (json.dumps(body).encode() if not isinstance(body, str) else body.encode())
        )
        return Response(
            answer["status"], raw, {"Content-Type": answer["content_type"]} if answer["content_type"] else {}
        )


def load(name: str) -> dict[str, Any]:
    return json.loads((DIR / f"{name}.json").read_text(encoding="utf-8"))


def save(name: str, transcript: dict[str, Any]) -> None:
    (DIR / f"{name}.json").write_text(
        json.dumps(transcript, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
