"""Lambda's Invoke API on the local runtime, called with a real boto3 `lambda` client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local_platform.functions.in_process import InProcessFunction
from local_platform.functions.invoke_api import LambdaApi
from local_platform.functions.runtime import FunctionRuntime
from local_platform.functions.spec import FunctionSpec
from platform_core.config import get_config
from platform_core.resources import Resources

RESOURCES = Resources(get_config(), "dev")
INGEST = RESOURCES.function_name("ingest")


class Handler:
    function: InProcessFunction

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, event: Any, context: Any) -> Any:
        self.release.wait(30)
        self.events.append(event)
        if isinstance(event, dict) and event.get("fail"):
            raise ValueError("refused")
        return {"echo": event, "function": context.function_name}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Any, Handler]]:
    handler = Handler()
    spec = FunctionSpec(INGEST, "h", {}, 29, concurrency=1, log_path=tmp_path / "ingest.log")
    (tmp_path / "ingest.log").write_text("START\nsome log line\nEND\n")
    handler.function = InProcessFunction(handler, spec)
    runtime = FunctionRuntime(
        RESOURCES,
        RESOURCES.function_environment,
        log_dir=tmp_path,
        overrides={"ingest": handler.function},
    )
    with LambdaApi(runtime) as server:
        client = boto3.session.Session().client(
            "lambda",
            endpoint_url=server.url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )
        yield client, handler


def test_a_request_response_invocation_returns_the_payload(api: Any) -> None:
    client, _ = api
    response = client.invoke(FunctionName=INGEST, Payload=json.dumps({"a": 1}), LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "function": INGEST}
    assert response["ExecutedVersion"] == "$LATEST"
    import base64

    assert "some log line" in base64.b64decode(response["LogResult"]).decode()


def test_a_function_error_is_200_with_the_error_document(api: Any) -> None:
    client, _ = api
    response = client.invoke(
        FunctionName=f"arn:aws:lambda:eu-west-1:123456789012:function:{INGEST}", Payload=b'{"fail": true}'
    )
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    document = json.loads(response["Payload"].read())
    assert (document["errorType"], document["errorMessage"]) == ("ValueError", "refused")


def test_documented_errors(api: Any) -> None:
    client, _ = api
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="stockoss-dev-nobody")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName=INGEST, Qualifier="7")
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName=INGEST, Payload=b"{not json")
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(FunctionName=INGEST, InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    assert client.invoke(FunctionName=INGEST, InvocationType="DryRun")["StatusCode"] == 204


def test_over_its_concurrency_a_synchronous_invoke_is_throttled(api: Any) -> None:
    client, handler = api
    handler.release.clear()
    busy = threading.Thread(target=client.invoke, kwargs={"FunctionName": INGEST, "Payload": b"{}"})
    busy.start()
    try:
        deadline = time.monotonic() + 30
        while handler.function.status()["in_flight"] < 1:
            assert time.monotonic() < deadline, "the first invocation never started"
            time.sleep(0.01)
        with pytest.raises(client.exceptions.TooManyRequestsException) as throttled:
            client.invoke(FunctionName=INGEST, Payload=b"{}")
        assert throttled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    finally:
        handler.release.set()
        busy.join()


def test_an_event_invocation_is_accepted_then_run(api: Any) -> None:
    client, handler = api
    response = client.invoke(FunctionName=INGEST, InvocationType="Event", Payload=b'{"async": 1}')
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 30
    while {"async": 1} not in handler.events:
        assert time.monotonic() < deadline, "the asynchronous invocation never ran"
        time.sleep(0.05)


def test_the_live_status_is_served_over_http(tmp_path: Path) -> None:
    runtime = FunctionRuntime(RESOURCES, RESOURCES.function_environment, log_dir=tmp_path)
    with LambdaApi(runtime, status=lambda: {"functions": runtime.status()}) as server:
        status = requests.get(f"{server.url}/_local/status", timeout=10).json()
    assert status["functions"]["ingest"] == {"function": INGEST, "invocations": 0}
