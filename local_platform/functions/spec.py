"""What the local runtime knows of a function, and what one invocation gives back.

`FunctionSpec` is a deployed function as Lambda sees it: its name, its handler
by path (`module.function`, imported in each execution environment), exactly
the environment Terraform gives it, its timeout, memory and reserved
concurrency. `Invocation` is Lambda's answer: the response payload, or the
error document with its `errorType` (the handler's exception, or the runtime's
own: `Sandbox.Timedout`, `Runtime.ExitError`, `Runtime.ImportModuleError`...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# The Lambda runtime's identifier, set as AWS_EXECUTION_ENV in every execution environment.
LAMBDA_RUNTIME = "python3.12"


class Throttled(Exception):
    """No execution environment free under the function's reserved concurrency (Lambda's 429
    TooManyRequestsException, reason ReservedFunctionConcurrentInvocationLimitExceeded)."""


class FunctionError(Exception):
    """An invocation that failed (the handler raised, timed out, crashed or could not start)."""

    def __init__(self, invocation: Invocation):
        self.invocation = invocation
        super().__init__(f"{invocation.error_type}: {invocation.error_message}")


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the Lambda function name, <project>-<env>-[<team>-]<function>
    handler: str  # <module>.<function>, imported by each execution environment
    environment: Mapping[str, str]  # exactly what Terraform sets (Resources.function_environment)
    timeout_seconds: float
    memory_mb: int = 256
    concurrency: int = 1  # reserved concurrency: at most this many execution environments
    region: str = "eu-west-1"
    # Where code outside the repository lives (prepended to sys.path, as a zip's root is on Lambda's).
    code_paths: tuple[str, ...] = ()
    # The function's log group, locally a file every execution environment appends its stdout/stderr to.
    log_path: Path | None = None
    # Fault injections for the fault suite (local_platform/functions/faults.py); never set otherwise.
    faults: tuple[Mapping[str, Any], ...] = ()

    @property
    def arn(self) -> str:
        from platform_core.lambda_context import LOCAL_ACCOUNT_ID

        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT_ID}:function:{self.name}"


@dataclass(frozen=True)
class Invocation:
    """One invocation's outcome, as Lambda's Invoke API reports it."""

    request_id: str
    payload: Any  # the handler's response (JSON-decoded), or the error document on failure
    error_type: str | None = None  # None: success
    cold_start: bool = False
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error_type is not None

    @property
    def error_message(self) -> str:
        if not self.failed:
            return ""
        return (
            str(self.payload.get("errorMessage", "")) if isinstance(self.payload, dict) else str(self.payload)
        )

    def result(self) -> Any:
        """The handler's response; FunctionError when the invocation failed."""
        if self.failed:
            raise FunctionError(self)
        return self.payload

    def payload_bytes(self) -> bytes:
        return json.dumps(self.payload, separators=(",", ":")).encode()


class Function(Protocol):
    """What triggers (the gateway, the pollers, the Invoke API) call: worker processes or in-process."""

    @property
    def spec(self) -> FunctionSpec: ...

    def invoke(self, event: Any, *, wait: bool = True, request_id: str | None = None) -> Invocation:
        """Run the handler on `event` (a JSON value, or its encoded bytes).

        wait: when every execution environment is busy, wait for one (event source mappings and
        asynchronous invocations); False raises Throttled, as a synchronous Invoke does.
        """
        ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
