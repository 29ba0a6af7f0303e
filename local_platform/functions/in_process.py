"""A function run in the calling process: for unit tests that inject their own handler.

The handler is a plain callable; the invocation goes through the same JSON
boundary and the same error documents as an execution environment's, so the
triggers behave the same with either. Nothing is isolated: no environment of
its own, no timeout, no process to crash. The platform itself always runs
functions in execution environments (local_platform/functions/pool.py).
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from local_platform.functions.spec import FunctionSpec, Invocation, Throttled
from platform_core.lambda_context import LocalLambdaContext

Handler = Callable[[Any, Any], Any]


class InProcessFunction:
    def __init__(self, handler: Handler, spec: FunctionSpec | None = None, *, name: str = "function"):
        self._handler = handler
        self._spec = spec or FunctionSpec(
            name=name, handler="<in-process>", environment={}, timeout_seconds=60
        )
        self._slots = threading.BoundedSemaphore(self._spec.concurrency)
        self._lock = threading.Lock()
        self._stats = {"invocations": 0, "errors": 0, "throttles": 0, "in_flight": 0}

    @property
    def spec(self) -> FunctionSpec:
        return self._spec

    def invoke(self, event: Any, *, wait: bool = True, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        if not self._slots.acquire(blocking=wait):
            with self._lock:
                self._stats["throttles"] += 1
            raise Throttled(f"Rate Exceeded: {self._spec.name}")
        with self._lock:
            self._stats["in_flight"] += 1
        try:
            invocation = self._run(event, request_id)
        finally:
            self._slots.release()
        with self._lock:
            self._stats["in_flight"] -= 1
            self._stats["invocations"] += 1
            self._stats["errors"] += invocation.failed
        return invocation

    def _run(self, event: Any, request_id: str) -> Invocation:
        started = time.monotonic()
        decoded = json.loads(event if isinstance(event, bytes) else json.dumps(event))
        context = LocalLambdaContext(
            self._spec.name,
            region=self._spec.region,
            timeout_seconds=self._spec.timeout_seconds,
            memory_limit_in_mb=self._spec.memory_mb,
            aws_request_id=request_id,
        )
        try:
            response = json.loads(json.dumps(self._handler(decoded, context)))
        except Exception as exc:
            document = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
                "requestId": request_id,
            }
            return Invocation(request_id, document, type(exc).__name__)
        return Invocation(request_id, response, None, duration_ms=(time.monotonic() - started) * 1000)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"function": self._spec.name, "handler": self._spec.handler, **self._stats}

    def close(self) -> None:
        pass
