"""A local stand-in for API Gateway (REST API, Lambda proxy integration, authorizers, usage plans).

An HTTP server on 127.0.0.1 that does what API Gateway does with the REST API
defined by api/openapi.yaml:

- routes: every operation of the document, invoking the function its
  `x-platform-function` names (`ingest`, or a declared service); path
  parameters and query strings reach it in the REST proxy event (version 1.0);
- security, per operation (else the document's): `apiKey` requires the
  `x-api-key` header (401 when missing, 403 when unknown; API Gateway itself
  answers 403 for both); a REQUEST Lambda authorizer (a security scheme with
  `x-amazon-apigateway-authorizer` and the `x-platform-function` of the
  authorizer service) is called with the identity sources it declares (401
  without them), its policy is evaluated against the method ARN (Deny or no
  Allow: 403), its result is cached per identity source for
  `authorizerResultTtlInSeconds`, and its principal and context reach the
  integration under `requestContext.authorizer`;
- usage plans: the key's token bucket (`rate_limit`/`burst_limit`) and daily
  quota; with `x-amazon-apigateway-api-key-source: AUTHORIZER` the key is the
  authorizer's `usageIdentifierKey`, so token clients get their plan too (429
  with Retry-After);
- the function's answer: its proxy response; 502 when it fails, 504 when it
  times out, 500 when Lambda throttles it (reserved concurrency), as API
  Gateway answers.

Requests are handled concurrently: each invocation runs in one of the
function's execution environments (local_platform/functions/), up to the
function's reserved concurrency.
"""

from __future__ import annotations

import base64
import json
import logging
import math
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
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_platform.authorizer import Authorizer, AuthorizerFailed, Denied, Grant, Unauthorized
from local_platform.aws_endpoint import MOTO_ACCOUNT_ID
from local_platform.functions.spec import Function, Throttled
from local_platform.http_serving import BackgroundServer, send
from local_platform.routes import OPENAPI_PATH, ApiDefinition, Route, load_api, routes_from_openapi
from platform_core.config import ApiLimits

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own request payload limit
FunctionResolver = Callable[[str], Function]
LOCAL_API_ID = "local"

__all__ = ["OPENAPI_PATH", "ApiKey", "LocalApiGateway", "Route", "routes_from_openapi"]


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


def rest_proxy_event(
    method: str,
    resource: str,
    path: str,
    *,
    key: ApiKey | None,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    path_params: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    stage: str = "local",
    request_id: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
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
                "apiKey": key.value if key else None,
                "apiKeyId": key.key_id if key else None,
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
            "apiId": LOCAL_API_ID,
            **({"authorizer": dict(authorizer)} if authorizer is not None else {}),
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
    gateway: LocalApiGateway


JSON_TYPE = ("Content-Type", "application/json")


@dataclass(frozen=True)
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    request_id: str

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    @property
    def base_headers(self) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", self.request_id)]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class _Refused(Exception):
    """The gateway answers itself (authentication, authorization, usage plan), without the function."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        headers: Sequence[tuple[str, str]] = (),
        owner: str | None = None,
    ):
        self.status = status
        self.body = json.dumps(body).encode()
        self.headers = list(headers)
        self.owner = owner


class _LazyFunction:
    """A function resolved at its first use (the gateway starts before the functions' environments)."""

    def __init__(self, functions: FunctionResolver, name: str):
        self._functions = functions
        self._name = name

    @property
    def spec(self) -> Any:
        return self._functions(self._name).spec

    def invoke(self, event: Any, *, wait: bool = True, request_id: str | None = None) -> Any:
        return self._functions(self._name).invoke(event, wait=wait, request_id=request_id)

    def status(self) -> dict[str, Any]:
        return self._functions(self._name).status()

    def close(self) -> None:
        pass


class LocalApiGateway:
    def __init__(
        self,
        functions: FunctionResolver,
        keys: Mapping[str, ApiKey],
        limits: Mapping[str, ApiLimits],
        *,
        region: str,
        stage: str = "local",
        host: str = "127.0.0.1",
        port: int = 0,
        api: ApiDefinition | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        """functions: a function by its `x-platform-function` name; keys: API keys by owner (a team,
        or an API client); limits: the usage plan of each owner."""
        self._by_value = {key.value: key for key in keys.values()}
        self._buckets = {
            team: TokenBucket(plan.rate_limit, plan.burst_limit, clock) for team, plan in limits.items()
        }
        self._quotas = {team: DailyQuota(plan.quota_per_day) for team, plan in limits.items()}
        self._api = api if api is not None else load_api()
        self._routes = list(self._api.routes)
        self._region = region
        self._stage = stage
        self._functions = functions
        self._authorizers = {
            name: Authorizer(scheme, _LazyFunction(functions, scheme.function), clock)
            for name, scheme in self._api.authorizers.items()
        }
        self._stats: dict[str, Counter[int]] = {team: Counter() for team in limits}
        self._stats_lock = threading.Lock()
        server = _Server((host, port), _RequestHandler)
        server.gateway = self
        self._serving = BackgroundServer(server, "local-api-gateway")

    @property
    def url(self) -> str:
        return self._serving.url

    def start(self) -> LocalApiGateway:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    def __enter__(self) -> LocalApiGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, dict[int, int]]:
        """Responses per key owner and status code, including the gateway's own 429s."""
        with self._stats_lock:
            return {team: dict(counts) for team, counts in self._stats.items()}

    def authorizer_stats(self) -> dict[str, dict[str, int]]:
        return {name: dict(authorizer.stats) for name, authorizer in self._authorizers.items()}

    def _count(self, team: str, status: int) -> None:
        with self._stats_lock:
            self._stats.setdefault(team, Counter())[status] += 1

    def method_arn(self, method: str, resource_path: str) -> str:
        return (
            f"arn:aws:execute-api:{self._region}:{MOTO_ACCOUNT_ID}:{LOCAL_API_ID}/{self._stage}/"
            f"{method}/{resource_path.lstrip('/')}"
        )

    # -- one request ---------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        request = _Request(method, target, headers, body, source_ip, str(uuid.uuid4()))
        route, path_params, allowed = self._match(method, request.path)
        if route is None:
            return self._no_route(request, allowed)
        try:
            grant, latency = self._authorize(route, request, path_params)
            key = self._api_key(route, request, grant)
            owner = key.team if key else None
            if owner is not None:
                self._throttle(owner)
        except _Refused as refused:
            if refused.owner is not None:
                self._count(refused.owner, refused.status)
            return refused.status, [*request.base_headers, JSON_TYPE, *refused.headers], refused.body
        if len(body) > MAX_PAYLOAD_BYTES:
            self._count(owner or "-", 413)
            return (
                413,
                [*request.base_headers, JSON_TYPE],
                _error_body("Request Too Long", request.request_id),
            )
        event = rest_proxy_event(
            method,
            route.resource,
            request.path,
            key=key,
            headers=headers,
            body=body,
            path_params=path_params,
            query=request.query,
            source_ip=source_ip,
            stage=self._stage,
            request_id=request.request_id,
            authorizer=grant.request_context(latency) if grant else None,
        )
        status, response_headers, response_body = self._integrate(route, event, request.request_id)
        self._count(owner or "-", status)
        return status, [*request.base_headers, *response_headers], response_body

    def _no_route(self, request: _Request, allowed: bool) -> tuple[int, list[tuple[str, str]], bytes]:
        # API Gateway answers 403 "Missing Authentication Token" here; a clear 404/405 helps more locally.
        status = 405 if allowed else 404
        message = (
            f"{request.method} is not allowed on {request.path}" if allowed else f"no resource {request.path}"
        )
        headers_out = [*request.base_headers, JSON_TYPE]
        if allowed:  # RFC 9110: a 405 lists the methods the resource supports
            methods = sorted({r.method for r in self._routes if r.pattern.match(request.path)})
            headers_out.append(("Allow", ", ".join(methods)))
        return status, headers_out, _error_body(message, request.request_id)

    def _authorize(
        self, route: Route, request: _Request, path_params: dict[str, str]
    ) -> tuple[Grant | None, int]:
        if route.authorizer is None:
            return None, 0
        authorizer = self._authorizers[route.authorizer.name]
        started = time.monotonic()
        event = rest_proxy_event(
            request.method,
            route.resource,
            request.path,
            key=None,
            headers=request.headers,
            path_params=path_params,
            query=request.query,
            source_ip=request.source_ip,
            stage=self._stage,
            request_id=request.request_id,
        )
        # The ARN names the path as called (parameters filled in), as API Gateway's methodArn does.
        method_arn = self.method_arn(request.method, request.path)
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            **{k: v for k, v in event.items() if k != "body"},
        }
        try:
            identity = authorizer.identity(event["headers"], event["queryStringParameters"] or {})
            grant = authorizer.authorize(identity, event, method_arn)
        except Unauthorized:
            raise _Refused(401, {"message": "Unauthorized"}) from None
        except Denied:
            message = "User is not authorized to access this resource with an explicit deny"
            raise _Refused(403, {"Message": message}) from None
        except AuthorizerFailed:
            log.exception(
                "the authorizer %s failed for request %s", route.authorizer.name, request.request_id
            )
            raise _Refused(
                500, {"message": None}, headers=[("x-amzn-ErrorType", "AuthorizerConfigurationException")]
            ) from None
        return grant, int((time.monotonic() - started) * 1000)

    def _api_key(self, route: Route, request: _Request, grant: Grant | None) -> ApiKey | None:
        """The key whose usage plan meters the request: the authorizer's usageIdentifierKey, else the
        x-api-key header of a route that requires one."""
        if grant is not None and (grant.usage_identifier_key or self._api.api_key_source == "AUTHORIZER"):
            value = grant.usage_identifier_key
            if not value:
                raise _Refused(403, {"message": "Forbidden", "request_id": request.request_id})
        elif route.api_key_required:
            value = request.header("x-api-key")
            if not value:
                raise _Refused(
                    401, {"message": "missing API key (x-api-key header)", "request_id": request.request_id}
                )
        else:
            return None
        key = self._by_value.get(value)
        if key is None:
            raise _Refused(403, {"message": "Forbidden", "request_id": request.request_id})
        return key

    def _throttle(self, owner: str) -> None:
        wait = self._buckets[owner].take() if owner in self._buckets else 0.0
        if wait or (owner in self._quotas and not self._quotas[owner].take()):
            retry_after = str(max(1, math.ceil(wait))) if wait else "3600"
            message = "Too Many Requests" if wait else "Limit Exceeded"
            raise _Refused(429, {"message": message}, headers=[("Retry-After", retry_after)], owner=owner)

    def _integrate(
        self, route: Route, event: dict[str, Any], request_id: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Invoke the route's function (a synchronous Invoke: throttled, not queued, over its concurrency)."""
        try:
            invocation = self._functions(route.function).invoke(event, wait=False, request_id=request_id)
        except Throttled:
            log.info("%s is throttled (reserved concurrency) for request %s", route.function, request_id)
            return 500, [JSON_TYPE], _error_body("Internal server error")
        if invocation.error_type == "Sandbox.Timedout":
            return 504, [JSON_TYPE], _error_body("Endpoint request timed out")
        if invocation.failed:
            # A function error is a platform fault: API Gateway answers 502 and the logs say why.
            log.error("%s failed for request %s: %s", route.function, request_id, invocation.error_message)
            return 502, [JSON_TYPE], _error_body("Internal server error")
        try:
            return self._from_proxy_result(invocation.payload)
        except ValueError:
            log.exception("%s answered no proxy response for request %s", route.function, request_id)
            return 502, [JSON_TYPE], _error_body("Internal server error")

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


class _RequestHandler(BaseHTTPRequestHandler):
    """HTTP in and out; `server.gateway` (a LocalApiGateway) decides."""

    protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._reply(411, [("Content-Type", "application/json")], _error_body("Content-Length required"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._reply(413, [("Content-Type", "application/json")], _error_body("Request Too Long"))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.gateway.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        kept = [
            (name, value) for name, value in headers if name.lower() not in ("content-length", "connection")
        ]
        send(self, status, kept, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) reaches the router too: a JSON 405 with
        # Allow, as for an undeclared method, not http.server's HTML 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handler's structured logs say what matters
