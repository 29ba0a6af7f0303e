"""A local stand-in for API Gateway (REST API, Lambda proxy integration, usage plans).

An HTTP server on 127.0.0.1 that does what API Gateway does in front of the
ingest Lambda: resolves the route (the paths of api/openapi.yaml), checks the
`x-api-key` header (401 when missing, 403 when unknown; API Gateway itself
answers 403 for both), applies each team's usage plan from
config/platform.yaml (token bucket of `rate_limit`/`burst_limit`, daily
`quota_per_day`; 429 with Retry-After), builds the proxy event in the
documented version 1.0 shape, invokes the real handler with a Lambda context
object and returns its response (502 if the function fails, as API Gateway does).

Requests are received concurrently (rate limiting and key checks included),
but the handler runs one invocation at a time, like one Lambda execution
environment. That is also a must in one Python process: powertools' event
handler keeps the current event in class-level state, so two concurrent
invocations would read each other's request.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import secrets
import socket
import string
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from local_platform.aws_endpoint import MOTO_ACCOUNT_ID
from platform_core.config import ROOT, ApiLimits
from platform_core.lambda_context import LocalLambdaContext

log = logging.getLogger(__name__)
OPENAPI_PATH = ROOT / "api" / "openapi.yaml"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own request payload limit
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# The ingest function's timeout in Terraform: API Gateway's 29 s integration limit.
INGEST_TIMEOUT_SECONDS = 29.0


# -- API keys -----------------------------------------------------------------


@dataclass(frozen=True)
class ApiKey:
    team: str
    key_id: str  # what the handler sees (requestContext.identity.apiKeyId)
    value: str  # what the client sends (x-api-key)


def generate_api_keys(teams: list[str] | tuple[str, ...]) -> dict[str, ApiKey]:
    """One fresh key per team, shaped like API Gateway's (10-char id, 40-char value)."""
    alphabet = string.ascii_lowercase + string.digits
    keys = {}
    for team in teams:
        key_id = "".join(secrets.choice(alphabet) for _ in range(10))
        keys[team] = ApiKey(team, key_id, secrets.token_urlsafe(30))
    return keys


def api_key_teams(keys: Mapping[str, ApiKey]) -> dict[str, str]:
    """The handler's API_KEY_TEAMS value: {api_key_id: team}."""
    return {key.key_id: key.team for key in keys.values()}


# -- usage plans ----------------------------------------------------------------


class TokenBucket:
    """API Gateway's throttling algorithm: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken; else the seconds until one is available."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


class DailyQuota:
    def __init__(self, limit: int, today: Callable[[], str] = lambda: datetime.now(UTC).date().isoformat()):
        self.limit = limit
        self._today = today
        self._day = today()
        self._used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            day = self._today()
            if day != self._day:
                self._day, self._used = day, 0
            if self._used >= self.limit:
                return False
            self._used += 1
            return True


# -- routes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # API Gateway resource path, e.g. /v1/schemas/{event_type}
    pattern: re.Pattern[str]


def routes_from_openapi(path: Path = OPENAPI_PATH) -> list[Route]:
    """The API's resources and methods, read from the OpenAPI document (the one definition of the API)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    routes = []
    for resource, operations in document["paths"].items():
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                routes.append(Route(method.upper(), resource, re.compile(f"^{regex}$")))
    return routes


def rest_proxy_event(
    method: str,
    resource: str,
    path: str,
    *,
    key: ApiKey,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    path_params: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    stage: str = "local",
    request_id: str | None = None,
) -> dict[str, Any]:
    """The REST API proxy event, version 1.0 format, as API Gateway documents it."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_headers.setdefault("X-Forwarded-For", [source_ip])
    multi_headers.setdefault("X-Forwarded-Proto", ["http"])
    multi_headers.setdefault("X-Amzn-Trace-Id", [f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"])
    multi_query = {k: v for k, v in parse_qs(query, keep_blank_values=True).items()}
    text: str | None
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    now = datetime.now(UTC)
    user_agent = next((v[-1] for k, v in multi_headers.items() if k.lower() == "user-agent"), None)
    host = next((v[-1] for k, v in multi_headers.items() if k.lower() == "host"), "127.0.0.1")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": secrets.token_hex(3),
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": base64.b64encode(secrets.token_bytes(12)).decode("ascii"),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": MOTO_ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "local",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id or str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "apiKey": key.value,
                "apiKeyId": key.key_id,
                "principalOrgId": None,
                "sourceIp": source_ip,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
                "accessKey": None,
                "clientCert": None,
            },
            "domainName": host,
            "apiId": "local",
        },
        "body": text if body else None,
        "isBase64Encoded": is_base64,
    }


# -- the gateway ------------------------------------------------------------------


def _error_body(message: str, request_id: str | None = None) -> bytes:
    body: dict[str, Any] = {"message": message}
    if request_id:
        body["request_id"] = request_id
    return json.dumps(body).encode()


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # socketserver's default of 5 refuses bursts of producers
    daemon_threads = True


class LocalApiGateway:
    def __init__(
        self,
        handler: LambdaHandler,
        keys: Mapping[str, ApiKey],
        limits: Mapping[str, ApiLimits],
        *,
        region: str,
        stage: str = "local",
        function_name: str = "ingest",
        host: str = "127.0.0.1",
        port: int = 0,
        routes: list[Route] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._by_value = {key.value: key for key in keys.values()}
        self._buckets = {
            team: TokenBucket(plan.rate_limit, plan.burst_limit, clock) for team, plan in limits.items()
        }
        self._quotas = {team: DailyQuota(plan.quota_per_day) for team, plan in limits.items()}
        self._routes = routes if routes is not None else routes_from_openapi()
        self._region = region
        self._stage = stage
        self._function_name = function_name
        self._handler = handler
        self._invoke_lock = threading.Lock()
        self._stats: dict[str, Counter[int]] = {team: Counter() for team in limits}
        self._stats_lock = threading.Lock()
        self._server = _Server((host, port), self._request_handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalApiGateway:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="local-api-gateway",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> LocalApiGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, dict[int, int]]:
        """Responses per team and status code, including the gateway's own 429s."""
        with self._stats_lock:
            return {team: dict(counts) for team, counts in self._stats.items()}

    def _count(self, team: str, status: int) -> None:
        with self._stats_lock:
            self._stats.setdefault(team, Counter())[status] += 1

    # -- one request ---------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        request_id = str(uuid.uuid4())
        base_headers = [("x-amzn-RequestId", request_id)]
        json_type = ("Content-Type", "application/json")
        url = urlsplit(target)
        path = unquote(url.path)
        route, path_params, allowed = self._match(method, path)
        if route is None:
            # API Gateway answers 403 "Missing Authentication Token" here; a clear 404/405 helps more locally.
            status = 405 if allowed else 404
            message = f"{method} is not allowed on {path}" if allowed else f"no resource {path}"
            headers_out = [*base_headers, json_type]
            if allowed:  # RFC 9110: a 405 lists the methods the resource supports
                methods = sorted({r.method for r in self._routes if r.pattern.match(path)})
                headers_out.append(("Allow", ", ".join(methods)))
            return status, headers_out, _error_body(message, request_id)

        header_map = {name.lower(): value for name, value in headers}
        api_key = header_map.get("x-api-key")
        if not api_key:
            return (
                401,
                [*base_headers, json_type],
                _error_body("missing API key (x-api-key header)", request_id),
            )
        key = self._by_value.get(api_key)
        if key is None:
            return 403, [*base_headers, json_type], _error_body("Forbidden", request_id)
        wait = self._buckets[key.team].take() if key.team in self._buckets else 0.0
        if wait or (key.team in self._quotas and not self._quotas[key.team].take()):
            self._count(key.team, 429)
            retry_after = str(max(1, math.ceil(wait))) if wait else "3600"
            message = "Too Many Requests" if wait else "Limit Exceeded"
            return (
                429,
                [*base_headers, json_type, ("Retry-After", retry_after)],
                _error_body(message, request_id),
            )
        if len(body) > MAX_PAYLOAD_BYTES:
            self._count(key.team, 413)
            return 413, [*base_headers, json_type], _error_body("Request Too Long", request_id)

        event = rest_proxy_event(
            method,
            route.resource,
            path,
            key=key,
            headers=headers,
            body=body,
            path_params=path_params,
            query=url.query,
            source_ip=source_ip,
            stage=self._stage,
            request_id=request_id,
        )
        try:
            with self._invoke_lock:
                result = self._handler(
                    event,
                    LocalLambdaContext(
                        self._function_name, self._region, timeout_seconds=INGEST_TIMEOUT_SECONDS
                    ),
                )
            status, response_headers, response_body = self._from_proxy_result(result)
        except Exception:
            # A function error is a platform fault: API Gateway answers 502 and the logs say why.
            log.exception("the function failed for request %s", request_id)
            status, response_headers, response_body = 502, [json_type], _error_body("Internal server error")
        self._count(key.team, status)
        return status, [*base_headers, *response_headers], response_body

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        allowed = False
        for route in self._routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict(), True
                allowed = True
        return None, {}, allowed

    @staticmethod
    def _from_proxy_result(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            raise ValueError(f"malformed Lambda proxy response: {result!r:.200}")
        headers: dict[str, list[str]] = {k: [str(v)] for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = [str(v) for v in values]
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
        return result["statusCode"], [(k, v) for k, values in headers.items() for v in values], body

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm
                # and the client's delayed ACK add ~40 ms to every keep-alive response.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self._reply(
                        411, [("Content-Type", "application/json")], _error_body("Content-Length required")
                    )
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PAYLOAD_BYTES:
                    self._reply(413, [("Content-Type", "application/json")], _error_body("Request Too Long"))
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                status, headers, payload = gateway.handle(
                    self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                )
                self._reply(status, headers, payload)

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def __getattr__(self, name: str) -> Any:
                # Any other method (TRACE, QUERY, ...) reaches the router too: a JSON 405 with
                # Allow, as for an undeclared method, not http.server's HTML 501.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the handler's structured logs say what matters

        return Handler
