"""Faults injected inside execution environments, for the fault suite and the concurrency proofs only.

The worker bootstrap installs them from `FunctionSpec.faults` before it imports
the handler, as botocore event hooks on the process's boto3 session (every
client of platform_core.aws is made from it), so the handler's own code runs
unchanged and production code carries no trace of them. A fault acts at the
HTTP layer (`before-send`): the request never reaches the endpoint, or waits.
Counts are shared by all environments of the function through files in the
fault's `dir` (each call claims a number by creating a file exclusively).

    {"kind": "throttle", "service": "s3", "operation": "PutObject", "first": 20, "dir": ...}
        the first `first` calls answer the service's throttling error (S3 503 SlowDown,
        DynamoDB ProvisionedThroughputExceededException, SQS ThrottlingException); botocore's
        own retries see them as AWS's.
    {"kind": "crash", "service": "sqs", "operation": "SendMessageBatch", "after": 2, "times": 1, "dir": ...}
        calls number `after`+1 .. `after`+`times` kill the execution environment (SIGKILL), mid-invocation.
    {"kind": "outage", "service": "sqs", "operation": "SendMessageBatch", "dir": ...}
        while `<dir>/on` exists, every call is refused with the service's AccessDenied (a policy
        change, say): a failure retrying cannot cure until the file is removed.
    {"kind": "barrier", "service": "dynamodb", "operation": "PutItem", "parties": 32, "dir": ...}
        each of the first `parties` calls waits until all of them are waiting, then all go at once
        (so that many copies are provably inside the handler together); a barrier that times out
        leaves a `timed-out` file.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

BARRIER_TIMEOUT_SECONDS = 120.0

_THROTTLES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "s3": (
        503,
        {"Content-Type": "application/xml"},
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
    ),
    "dynamodb": (
        400,
        {"Content-Type": "application/x-amz-json-1.0"},
        json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode(),
    ),
    "sqs": (
        400,
        {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": "ThrottlingException;Sender"},
        json.dumps({"__type": "com.amazonaws.sqs#ThrottlingException", "message": "Rate exceeded"}).encode(),
    ),
}


_DENIED: dict[str, tuple[int, dict[str, str], bytes]] = {
    "s3": (
        403,
        {"Content-Type": "application/xml"},
        b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
    ),
    "dynamodb": (
        400,
        {"Content-Type": "application/x-amz-json-1.0"},
        json.dumps(
            {"__type": "com.amazon.coral.service#AccessDeniedException", "message": "denied"}
        ).encode(),
    ),
    "sqs": (
        400,
        {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": "AccessDenied;Sender"},
        json.dumps({"__type": "com.amazonaws.sqs#AccessDenied", "message": "policy changed"}).encode(),
    ),
}


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_kwargs: Any) -> Any:
        yield self._data


def claim(directory: Path) -> int:
    """A call number unique across the function's processes (1, 2, 3, ...)."""
    directory.mkdir(parents=True, exist_ok=True)
    number = len(os.listdir(directory)) + 1
    while True:
        try:
            os.close(os.open(directory / f"call-{number:06d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return number
        except FileExistsError:
            number += 1


def _answer(request: Any, response: tuple[int, dict[str, str], bytes]) -> AWSResponse:
    status, headers, body = response
    return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), _Body(body))


def _throttle(fault: Mapping[str, Any], directory: Path) -> Any:
    def hook(request: Any, **_kwargs: Any) -> AWSResponse | None:
        if claim(directory) > int(fault["first"]):
            return None
        return _answer(request, _THROTTLES[fault["service"]])

    return hook


def _outage(fault: Mapping[str, Any], directory: Path) -> Any:
    def hook(request: Any, **_kwargs: Any) -> AWSResponse | None:
        return _answer(request, _DENIED[fault["service"]]) if (directory / "on").exists() else None

    return hook


def _crash(fault: Mapping[str, Any], directory: Path) -> Any:
    first, last = int(fault["after"]) + 1, int(fault["after"]) + int(fault.get("times", 1))

    def hook(request: Any, **_kwargs: Any) -> None:
        if first <= claim(directory) <= last:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _barrier(fault: Mapping[str, Any], directory: Path) -> Any:
    parties = int(fault["parties"])

    def hook(request: Any, **_kwargs: Any) -> None:
        if claim(directory) > parties:
            return
        deadline = time.monotonic() + BARRIER_TIMEOUT_SECONDS
        while len([n for n in os.listdir(directory) if n.startswith("call-")]) < parties:
            if time.monotonic() > deadline:
                (directory / "timed-out").touch()
                return
            time.sleep(0.01)

    return hook


_KINDS = {"throttle": _throttle, "outage": _outage, "crash": _crash, "barrier": _barrier}


def _hook(fault: Mapping[str, Any]) -> Any:
    return _KINDS[fault["kind"]](fault, Path(fault["dir"]))


def install(faults: Sequence[Mapping[str, Any]]) -> None:
    from platform_core.aws import session

    events = session().events
    for fault in faults:
        events.register(f"before-send.{fault['service']}.{fault['operation']}", _hook(fault))
