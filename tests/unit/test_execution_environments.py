"""The local runtime's execution environments: worker processes importing a handler by path."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_platform.functions.pool import ExecutionEnvironments
from local_platform.functions.spec import FunctionSpec, Throttled

HANDLER_MODULE = """
import os, time

STARTED_PID = os.getpid()
if os.environ.get("FAIL_INIT"):
    raise ImportError("no module named missing_dependency")


def lambda_handler(event, context):
    action = event.get("action")
    if action == "raise":
        raise ValueError("bad order")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        os._exit(3)
    if action == "unserializable":
        return {"when": object()}
    if action == "wait_for":
        while not os.path.exists(event["path"]):
            time.sleep(0.01)
    return {
        "pid": os.getpid(),
        "init_pid": STARTED_PID,
        "table": os.environ.get("TABLE_STATE"),
        "leaked": os.environ.get("PARENT_ONLY"),
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    package = tmp_path / "toyfn"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER_MODULE)
    return tmp_path


def environments(code: Path, tmp_path: Path, **overrides: object) -> ExecutionEnvironments:
    spec = FunctionSpec(
        name="stockoss-dev-toys-toy",
        handler="toyfn.handler.lambda_handler",
        environment={"TABLE_STATE": "stockoss-dev-toys-state", **overrides.pop("environment", {})},  # type: ignore[dict-item]
        timeout_seconds=overrides.pop("timeout_seconds", 20),  # type: ignore[arg-type]
        concurrency=overrides.pop("concurrency", 2),  # type: ignore[arg-type]
        code_paths=(str(code),),
        log_path=tmp_path / "logs" / "toy.log",
    )
    return ExecutionEnvironments(spec)


@pytest.fixture
def toy(code: Path, tmp_path: Path) -> Iterator[ExecutionEnvironments]:
    pool = environments(code, tmp_path)
    yield pool
    pool.close()


def test_a_handler_runs_with_exactly_its_functions_environment(
    toy: ExecutionEnvironments, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARENT_ONLY", "must not leak")
    result = toy.invoke({"action": "echo"}, request_id="req-1").result()
    assert result["table"] == "stockoss-dev-toys-state"
    assert result["function"] == "stockoss-dev-toys-toy"
    assert result["leaked"] is None
    assert result["request_id"] == "req-1"
    assert 0 < result["remaining_ms"] <= 20_000
    assert result["pid"] != os.getpid()


def test_a_warm_environment_is_reused_and_keeps_its_init(toy: ExecutionEnvironments) -> None:
    first = toy.invoke({})
    second = toy.invoke({})
    assert first.cold_start and not second.cold_start
    assert first.payload["pid"] == second.payload["pid"] == second.payload["init_pid"]
    assert toy.status()["cold_starts"] == 1


def test_an_exception_is_a_function_error_with_lambdas_error_document(toy: ExecutionEnvironments) -> None:
    failed = toy.invoke({"action": "raise"})
    assert failed.error_type == "ValueError"
    assert failed.payload["errorMessage"] == "bad order"
    assert failed.payload["stackTrace"]
    assert not toy.invoke({}).failed  # the environment survives a handled exception
    assert "ValueError: bad order" in (toy.spec.log_path or Path()).read_text()


def test_a_crashed_worker_is_a_function_error_never_a_success(toy: ExecutionEnvironments) -> None:
    crashed = toy.invoke({"action": "exit"})
    assert crashed.error_type == "Runtime.ExitError"
    assert "exit status 3" in crashed.error_message
    after = toy.invoke({})
    assert not after.failed and after.cold_start  # a fresh environment replaces it
    assert toy.status()["crashes"] == 1


def test_the_timeout_kills_the_environment(code: Path, tmp_path: Path) -> None:
    pool = environments(code, tmp_path, timeout_seconds=1)
    try:
        pool.invoke({}).result()  # warm: the timeout then measures the handler alone
        timed_out = pool.invoke({"action": "sleep", "seconds": 30})
        assert timed_out.error_type == "Sandbox.Timedout"
        assert "Task timed out after 1.00 seconds" in timed_out.error_message
        assert pool.invoke({}).cold_start
    finally:
        pool.close()


def test_an_import_error_fails_the_invocation_and_the_init_is_tried_again(code: Path, tmp_path: Path) -> None:
    pool = environments(code, tmp_path, environment={"FAIL_INIT": "1"})
    try:
        for _ in range(2):
            failed = pool.invoke({})
            assert failed.error_type == "Runtime.ImportModuleError"
            assert "missing_dependency" in failed.error_message
        assert pool.status()["environments"] == 0
    finally:
        pool.close()


def test_a_response_that_is_not_json_is_a_marshal_error(toy: ExecutionEnvironments) -> None:
    assert toy.invoke({"action": "unserializable"}).error_type == "Runtime.MarshalError"


def test_over_the_reserved_concurrency_a_synchronous_invoke_is_throttled(
    toy: ExecutionEnvironments, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    holders = [
        threading.Thread(target=toy.invoke, args=({"action": "wait_for", "path": str(release)},))
        for _ in range(2)
    ]
    for thread in holders:
        thread.start()
    try:
        while toy.status()["in_flight"] < 2:
            threading.Event().wait(0.01)
        with pytest.raises(Throttled):
            toy.invoke({}, wait=False)
        assert toy.status()["throttles"] == 1
    finally:
        release.touch()
        for thread in holders:
            thread.join()
    assert toy.status()["environments"] == 2
    assert not toy.invoke({}, wait=False).failed
