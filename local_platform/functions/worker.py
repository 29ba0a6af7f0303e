"""One execution environment: a worker process that imports a handler by path and runs its invocations.

Started from the fork server (local_platform/functions/pool.py), which has the
heavy libraries imported already, so a cold start costs a fork and the import
of the function's own modules, not a whole interpreter. The bootstrap does what
Lambda's Python runtime does before the first invocation:

- the process environment becomes exactly the function's (what Terraform sets)
  plus the variables Lambda itself sets (AWS_LAMBDA_FUNCTION_NAME, AWS_REGION,
  credentials, ...); nothing of the parent's leaks in;
- stdout and stderr go to the function's log file (its log group);
- the handler module is imported (the init phase); a failure there is reported
  as `Runtime.ImportModuleError` (or the exception's type) and the environment
  is discarded, as Lambda does, so the next invocation tries the init again.

Then it loops: receive an event, call the handler with a Lambda context,
answer the JSON response or the error document. Events and responses cross
the process boundary as JSON, as they do in Lambda (a response that is not
JSON-serializable is a `Runtime.MarshalError`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from local_platform.functions.spec import LAMBDA_RUNTIME, FunctionSpec

# Lambda's init phase limit is 10 s; a loaded shared machine can need longer to import.
INIT_TIMEOUT_SECONDS = 60.0

# Passed through from the runtime to reach the local AWS endpoint (a Lambda gets its role's
# credentials and AWS's endpoints the same way: from variables it did not declare).
_PASSED_THROUGH = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def lambda_environment(spec: FunctionSpec, parent: dict[str, str]) -> dict[str, str]:
    """The process environment of an execution environment of `spec`."""
    environment = {name: parent[name] for name in _PASSED_THROUGH if name in parent}
    environment.update(
        {
            "PATH": parent.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{LAMBDA_RUNTIME}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": spec.handler,
            # No X-Ray daemon here: powertools' Tracer would otherwise look for one.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    environment.update(spec.environment)
    return environment


def serve(connection: Connection, spec: FunctionSpec) -> None:
    """The worker's main: bootstrap, then one invocation per message until the runtime closes the pipe."""
    _redirect_output(spec)
    os.environ.clear()
    os.environ.update(lambda_environment(spec, _parent_environment(connection)))
    os.environ["AWS_LAMBDA_LOG_STREAM_NAME"] = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{os.getpid()}"
    sys.path[:0] = list(spec.code_paths)
    if spec.faults:
        from local_platform.functions.faults import install

        install(spec.faults)
    try:
        handler = _import_handler(spec.handler)
    except Exception as exc:
        error_type = "Runtime.ImportModuleError" if isinstance(exc, ImportError | AttributeError) else None
        _send(connection, False, _error_document(exc, error_type))
        return
    _send(connection, True, None)
    while True:
        try:
            header = json.loads(connection.recv_bytes())
            event = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            # The runtime is gone or discards this environment: end at once, as Lambda does (no cleanup).
            os._exit(0)
        context = _context(spec, header)
        try:
            response = handler(event, context)
        except Exception as exc:
            traceback.print_exc()
            _send(connection, False, _error_document(exc, None, header["request_id"]))
            continue
        try:
            body = json.dumps(response, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            _send(connection, False, _error_document(exc, "Runtime.MarshalError", header["request_id"]))
            continue
        connection.send_bytes(b'{"ok":true}')
        connection.send_bytes(body.encode())


def _parent_environment(connection: Connection) -> dict[str, str]:
    # The runtime's environment at the time of the start (the fork server's may be older).
    return dict(json.loads(connection.recv_bytes()))


def _redirect_output(spec: FunctionSpec) -> None:
    if spec.log_path is None:
        return
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)


def _import_handler(path: str) -> Any:
    module_name, _, function_name = path.rpartition(".")
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name)
    if not callable(handler):
        raise AttributeError(f"{path} is not callable")
    return handler


def _context(spec: FunctionSpec, header: dict[str, Any]) -> Any:
    from platform_core.lambda_context import LocalLambdaContext

    remaining = max(0.0, float(header["deadline"]) - time.time())
    return LocalLambdaContext(
        spec.name,
        region=spec.region,
        timeout_seconds=remaining,
        memory_limit_in_mb=spec.memory_mb,
        aws_request_id=header["request_id"],
    )


def _error_document(exc: BaseException, error_type: str | None, request_id: str = "") -> dict[str, Any]:
    """Lambda's error document for an unhandled exception."""
    document: dict[str, Any] = {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
    if request_id:
        document["requestId"] = request_id
    return document


def _send(connection: Connection, ok: bool, payload: Any) -> None:
    connection.send_bytes(json.dumps({"ok": ok}).encode())
    connection.send_bytes(json.dumps(payload).encode())
