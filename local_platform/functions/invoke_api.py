"""Lambda's Invoke API on the local runtime, so production code uses a real boto3 `lambda` client.

    POST /2015-03-31/functions/{FunctionName}/invocations

with AWS_ENDPOINT_URL_LAMBDA pointing here (`LocalPlatform.lambda_url`), as
against AWS. FunctionName is a name, an ARN or a partial ARN; the Qualifier
may only be `$LATEST` (there are no published versions locally).

- `X-Amz-Invocation-Type: RequestResponse` (the default): 200 with the
  response payload; a function error is still 200, with the error document
  and `X-Amz-Function-Error: Unhandled`. Over the function's reserved
  concurrency: 429 TooManyRequestsException, as Lambda answers a synchronous
  invoke. `X-Amz-Log-Type: Tail` returns the end of the function's log in
  `X-Amz-Log-Result`.
- `Event`: 202 at once; the invocation is queued, waits for a free execution
  environment, and a function error is retried twice (Lambda's default
  MaximumRetryAttempts) after a short delay (Lambda waits about one and two
  minutes; locally seconds).
- `DryRun`: 204 when the function exists.
- Errors as Lambda documents them, with `x-amzn-ErrorType`:
  ResourceNotFoundException (404), InvalidRequestContentException (400, the
  payload is not JSON), RequestTooLargeException (413, over 6 MB synchronous,
  1 MB asynchronous), InvalidParameterValueException (400).

`GET /_local/status` answers the platform's live status (not an AWS API).
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_platform.functions.runtime import FunctionRuntime
from local_platform.functions.spec import Function, Throttled
from local_platform.http_serving import BackgroundServer, request_body, send

log = logging.getLogger(__name__)

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
ASYNC_RETRY_DELAYS_SECONDS = (1.0, 2.0)  # Lambda: ~1 min, then ~2 min
TAIL_BYTES = 4096
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")

Response = tuple[int, dict[str, str], bytes]


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    body = {"Type": "User", "message": message, **extra}
    return status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, json.dumps(body).encode()


class _Refused(Exception):
    """The API answers an error itself, before any invocation."""

    def __init__(self, response: Response):
        self.response = response


def _payload(invocation_type: str, body: bytes) -> bytes:
    """The request's payload, checked as Lambda checks it (type, size, JSON)."""
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        raise _Refused(
            _error(400, "InvalidParameterValueException", f"unknown invocation type {invocation_type}")
        )
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(body) > limit:
        message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        raise _Refused(_error(413, "RequestTooLargeException", message))
    payload = body or b"{}"
    try:
        json.loads(payload)
    except ValueError as exc:
        raise _Refused(
            _error(400, "InvalidRequestContentException", f"Could not parse request body into json: {exc}")
        ) from exc
    return payload


class _AsyncQueue:
    """Lambda's internal queue for asynchronous invocations of one function."""

    def __init__(self, function: Function, workers: int):
        self._function = function
        self._queue: queue.Queue[tuple[bytes, str] | None] = queue.Queue()
        self.stats = {"queued": 0, "succeeded": 0, "retried": 0, "discarded": 0}
        self._threads = [
            threading.Thread(target=self._run, name=f"async-{function.spec.name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, payload: bytes, request_id: str) -> None:
        self.stats["queued"] += 1
        self._queue.put((payload, request_id))

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            payload, request_id = item
            for attempt, delay in enumerate((0.0, *ASYNC_RETRY_DELAYS_SECONDS)):
                time.sleep(delay)
                try:
                    invocation = self._function.invoke(payload, request_id=request_id)
                except RuntimeError:  # the runtime is stopping
                    return
                if not invocation.failed:
                    self.stats["succeeded"] += 1
                    break
                if attempt < len(ASYNC_RETRY_DELAYS_SECONDS):
                    self.stats["retried"] += 1
            else:
                self.stats["discarded"] += 1
                log.warning(
                    "%s: asynchronous invocation %s failed 3 times; discarded",
                    self._function.spec.name,
                    request_id,
                )


class LambdaApi:
    def __init__(
        self,
        functions: FunctionRuntime,
        *,
        status: Callable[[], dict[str, Any]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self._functions = functions
        self._status = status
        self._async: dict[str, _AsyncQueue] = {}
        self._lock = threading.Lock()
        self._serving = BackgroundServer(
            ThreadingHTTPServer((host, port), self._handler_class()), "lambda-api"
        )

    @property
    def url(self) -> str:
        return self._serving.url

    def __enter__(self) -> LambdaApi:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.stop()
        with self._lock:
            queues, self._async = list(self._async.values()), {}
        for async_queue in queues:
            async_queue.close()

    def async_stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {name: dict(q.stats) for name, q in self._async.items()}

    # -- requests --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        url = urlsplit(target)
        if method == "GET" and url.path == "/_local/status" and self._status is not None:
            return 200, {"Content-Type": "application/json"}, json.dumps(self._status(), default=str).encode()
        match = _INVOKE_PATH.match(url.path)
        if method != "POST" or match is None:
            return _error(404, "UnknownOperationException", f"no operation {method} {url.path}")
        qualifier = parse_qs(url.query).get("Qualifier", ["$LATEST"])[-1]
        try:
            function = self._function(unquote(match["name"]), qualifier)
            invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
            payload = _payload(invocation_type, body)
        except _Refused as refused:
            return refused.response
        if invocation_type == "DryRun":
            return 204, {}, b""
        request_id = str(uuid.uuid4())
        if invocation_type == "Event":
            self._queue_for(function).put(payload, request_id)
            return 202, {"x-amzn-RequestId": request_id}, b""
        return self._invoke(function, payload, request_id, tail=headers.get("x-amz-log-type") == "Tail")

    def _function(self, name: str, qualifier: str) -> Function:
        function = self._functions.find(name)
        if function is None or qualifier != "$LATEST":
            region = self._functions.resources.config.region
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:123456789012:function:{name}"
            raise _Refused(_error(404, "ResourceNotFoundException", f"Function not found: {arn}"))
        return function

    def _invoke(self, function: Function, payload: bytes, request_id: str, *, tail: bool) -> Response:
        try:
            invocation = function.invoke(payload, wait=False, request_id=request_id)
        except Throttled:
            reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
            return _error(429, "TooManyRequestsException", "Rate Exceeded.", Reason=reason)
        response_headers = {
            "x-amzn-RequestId": request_id,
            "X-Amz-Executed-Version": "$LATEST",
            "Content-Type": "application/json",
        }
        if invocation.failed:
            response_headers["X-Amz-Function-Error"] = "Unhandled"
        if tail:
            response_headers["X-Amz-Log-Result"] = self._log_tail(function)
        return 200, response_headers, invocation.payload_bytes()

    def _queue_for(self, function: Function) -> _AsyncQueue:
        with self._lock:
            name = function.spec.name
            if name not in self._async:
                self._async[name] = _AsyncQueue(function, workers=function.spec.concurrency)
            return self._async[name]

    @staticmethod
    def _log_tail(function: Function) -> str:
        path = function.spec.log_path
        data = path.read_bytes()[-TAIL_BYTES:] if path is not None and path.exists() else b""
        return base64.b64encode(data).decode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out, payload = api.handle(self.command, self.path, headers, request_body(self))
                send(self, status, out.items(), payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
