"""A function's execution environments: a pool of worker processes, as Lambda runs a function.

- Each execution environment is a process (local_platform/functions/worker.py)
  forked from a fork server that preloaded the heavy libraries, so a cold start
  is a fork plus the function's own imports.
- Warm environments are reused; a new one starts only when all are busy, up
  to the function's reserved concurrency. Over it, an invocation waits for a
  free environment (event source mappings, asynchronous invocations) or is
  throttled (`wait=False`: a synchronous Invoke's TooManyRequestsException).
- The function's timeout kills the environment (`Sandbox.Timedout`); a worker
  that dies mid-invocation (a crash, `os._exit`, SIGKILL) is a function error
  (`Runtime.ExitError`), never a success; both are discarded and replaced on
  the next invocation, as Lambda resets an environment after such a failure.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any

from local_platform.functions import worker
from local_platform.functions.spec import FunctionSpec, Invocation, Throttled

# Imported once by the fork server, shared by every execution environment it forks. Only
# libraries: never the functions' own modules, whose import reads their environment.
PRELOAD = (
    "boto3",
    "botocore.session",
    "botocore.config",
    "pydantic",
    "yaml",
    "jsonschema_rs",
    "urllib3",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.typing",
    "aws_lambda_powertools.event_handler",
    "confluent_kafka",
)
_PASSED_THROUGH = ("PATH", *worker._PASSED_THROUGH)

_context_lock = threading.Lock()
_context: ForkServerContext | None = None


def fork_server() -> ForkServerContext:
    """The process-wide fork server context (started at the first execution environment)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            _context = context
        return _context


@dataclass(eq=False)  # compared and hashed by identity
class _Environment:
    process: Any  # multiprocessing Process
    connection: Connection
    invocations: int = 0


@dataclass
class PoolStats:
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    timeouts: int = 0
    crashes: int = 0
    cold_starts: int = 0
    in_flight: int = 0
    environments: int = 0
    busy_seconds: float = field(default=0.0, repr=False)


class ExecutionEnvironments:
    """The worker processes of one function (a `Function`)."""

    def __init__(self, spec: FunctionSpec):
        self._spec = spec
        self._idle: list[_Environment] = []
        self._slots = threading.Condition()
        self._used = 0  # environments busy or starting
        self._all: set[_Environment] = set()
        self._closed = False
        self.stats = PoolStats()

    @property
    def spec(self) -> FunctionSpec:
        return self._spec

    def extend_environment(self, values: Mapping[str, str]) -> None:
        """Add to the function's environment; only before its first execution environment starts."""
        with self._slots:
            if self._all or self.stats.invocations or self._used:
                raise RuntimeError(f"{self._spec.name} already runs: its environment is fixed")
            self._spec = replace(self._spec, environment={**self._spec.environment, **values})

    def invoke(self, event: Any, *, wait: bool = True, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        payload = event if isinstance(event, bytes) else json.dumps(event, separators=(",", ":")).encode()
        environment = self._acquire(wait)
        started = time.monotonic()
        cold = environment is None
        try:
            if environment is None:
                environment, failure = self._start(request_id)
                if failure is not None:
                    return self._count(failure, started)
            assert environment is not None
            invocation = self._run(environment, request_id, payload, cold)
            if invocation.error_type in ("Sandbox.Timedout", "Runtime.ExitError"):
                self._discard(environment)
                environment = None
            return self._count(invocation, started)
        finally:
            self._release(environment)

    def status(self) -> dict[str, Any]:
        with self._slots:
            stats = {k: v for k, v in self.stats.__dict__.items() if k != "busy_seconds"}
            return {
                "function": self._spec.name,
                "handler": self._spec.handler,
                "concurrency": self._spec.concurrency,
                **stats,
                "environments": len(self._all),
                "idle": len(self._idle),
            }

    def close(self) -> None:
        with self._slots:
            self._closed = True
            environments = list(self._all)
            self._idle.clear()
            self._slots.notify_all()
        for environment in environments:
            self._stop(environment)

    # -- slots -----------------------------------------------------------------------------------

    def _acquire(self, wait: bool) -> _Environment | None:
        """A warm environment, or None when the caller may start a new one."""
        with self._slots:
            while True:
                if self._closed:
                    raise RuntimeError(f"{self._spec.name}: the local runtime is stopped")
                if self._idle:
                    self._used += 1
                    self.stats.in_flight += 1
                    return self._idle.pop()
                if self._used < self._spec.concurrency:
                    self._used += 1
                    self.stats.in_flight += 1
                    return None
                if not wait:
                    self.stats.throttles += 1
                    raise Throttled(
                        f"Rate Exceeded: {self._spec.name} has {self._spec.concurrency} execution "
                        "environments busy (reserved concurrency)"
                    )
                self._slots.wait()

    def _release(self, environment: _Environment | None) -> None:
        with self._slots:
            self._used -= 1
            self.stats.in_flight -= 1
            if environment is not None and not self._closed:
                self._idle.append(environment)
            self._slots.notify()
        if environment is not None and self._closed:
            self._stop(environment)

    def _count(self, invocation: Invocation, started: float) -> Invocation:
        with self._slots:
            self.stats.invocations += 1
            self.stats.busy_seconds += time.monotonic() - started
            if invocation.cold_start:
                self.stats.cold_starts += 1
            if invocation.failed:
                self.stats.errors += 1
            if invocation.error_type == "Sandbox.Timedout":
                self.stats.timeouts += 1
            if invocation.error_type == "Runtime.ExitError":
                self.stats.crashes += 1
        return invocation

    # -- processes -------------------------------------------------------------------------------

    def _start(self, request_id: str) -> tuple[_Environment | None, Invocation | None]:
        """A new execution environment, initialised; or the init failure as this invocation's error."""
        started = time.monotonic()
        ours, theirs = fork_server().Pipe(duplex=True)
        process = fork_server().Process(
            target=worker.serve, args=(theirs, self._spec), name=f"lambda:{self._spec.name}", daemon=True
        )
        process.start()
        theirs.close()
        environment = _Environment(process, ours)
        with self._slots:
            self._all.add(environment)
        ours.send_bytes(json.dumps({k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}).encode())
        error_type, body = self._receive(
            environment, started + worker.INIT_TIMEOUT_SECONDS, request_id, "init"
        )
        if error_type is None:
            return environment, None
        self._discard(environment)
        return None, Invocation(request_id, body, error_type, cold_start=True)

    def _run(self, environment: _Environment, request_id: str, payload: bytes, cold: bool) -> Invocation:
        started = time.monotonic()
        deadline = time.time() + self._spec.timeout_seconds
        environment.invocations += 1
        try:
            environment.connection.send_bytes(
                json.dumps({"request_id": request_id, "deadline": deadline}).encode()
            )
            environment.connection.send_bytes(payload)
        except (BrokenPipeError, OSError):
            document = self._exit_document(environment, request_id)
            return Invocation(request_id, document, "Runtime.ExitError", cold)
        error_type, body = self._receive(
            environment, started + self._spec.timeout_seconds, request_id, "invoke"
        )
        return Invocation(request_id, body, error_type, cold, (time.monotonic() - started) * 1000)

    def _receive(
        self, environment: _Environment, deadline: float, request_id: str, phase: str
    ) -> tuple[str | None, Any]:
        """(None, the response) on success; else (the error type, the error document)."""
        connection = environment.connection
        try:
            if not connection.poll(max(0.0, deadline - time.monotonic())):
                seconds = self._spec.timeout_seconds if phase == "invoke" else worker.INIT_TIMEOUT_SECONDS
                self._kill(environment)
                return "Sandbox.Timedout", {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
                }
            header = json.loads(connection.recv_bytes())
            body = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return "Runtime.ExitError", self._exit_document(environment, request_id)
        if header.get("ok"):
            return None, body
        return str(body.get("errorType") or "Unhandled"), body

    def _exit_document(self, environment: _Environment, request_id: str) -> dict[str, Any]:
        environment.process.join(timeout=5)
        code = environment.process.exitcode
        how = f"signal: {_signal_name(-code)}" if code is not None and code < 0 else f"exit status {code}"
        return {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {how}",
        }

    def _discard(self, environment: _Environment) -> None:
        self._stop(environment)

    def _kill(self, environment: _Environment) -> None:
        environment.process.kill()
        environment.process.join(timeout=5)

    def _stop(self, environment: _Environment) -> None:
        with self._slots:
            self._all.discard(environment)
        environment.connection.close()  # the worker sees EOF and returns
        environment.process.join(timeout=5)
        if environment.process.is_alive():
            self._kill(environment)


# How Lambda's runtime API words a worker killed by a signal ("signal: killed").
_SIGNAL_WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
}


def _signal_name(number: int) -> str:
    try:
        return _SIGNAL_WORDS.get(signal.Signals(number), signal.Signals(number).name)
    except ValueError:
        return str(number)
