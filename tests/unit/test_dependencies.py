"""Providers (platform_core/dependencies.py): built once per execution environment, replaceable, one invocation at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from platform_core.dependencies import Provider, hosted


def test_a_provider_builds_once_and_reuses_what_it_built() -> None:
    builds: list[int] = []

    @Provider
    def service() -> list[int]:
        builds.append(1)
        return builds

    assert service() is service() and builds == [1]
    service.reset()
    service()
    assert builds == [1, 1], "a reset is a new cold start"


def test_an_override_replaces_the_value_only_while_it_lasts() -> None:
    provider: Provider[str] = Provider(lambda: "built")
    with provider.overridden("replaced"):
        assert provider() == "replaced"
        with provider.overridden("inner"):
            assert provider() == "inner"
        assert provider() == "replaced"
    assert provider() == "built"


def test_hosted_instances_of_one_function_take_turns() -> None:
    """Two in-process instances (two gateways in a test) never see each other's dependency mid-invocation."""
    provider: Provider[str] = Provider(lambda: "built")
    inside: list[str] = []
    overlapping: list[bool] = []
    busy = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        overlapping.append(not busy.acquire(blocking=False))
        try:
            seen = provider()
            time.sleep(0.01)
            inside.append(f"{event['instance']}:{seen}:{provider()}")
        finally:
            busy.release()
        return {}

    first = hosted(handler, {provider: "one"})
    second = hosted(handler, {provider: "two"})
    threads = [
        threading.Thread(target=instance, args=({"instance": name}, None))
        for _ in range(5)
        for name, instance in (("one", first), ("two", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(inside)) == ["one:one:one", "two:two:two"]
    assert not any(overlapping)
    assert provider() == "built"


def test_the_heap_built_by_the_cold_start_is_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from platform_core import dependencies

    freezes: list[int] = []
    monkeypatch.setattr(dependencies, "_heap_frozen", threading.Event())
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    built = Provider(lambda: object())
    built()
    built()
    handler = hosted(lambda event, context: {"statusCode": 200}, {})
    handler({}, None)
    assert freezes == [1]


COLD_START = """
import gc, json
import lambdas  # noqa: F401  # what Lambda imports first: the package of the handler's module
deferred = not gc.isenabled()
from platform_core.dependencies import Provider
built = Provider(lambda: object())
built()
print(json.dumps({"deferred": deferred, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count() > 0}))
"""


@pytest.mark.parametrize(
    ("in_lambda", "expected"),
    [
        (True, {"deferred": True, "enabled": True, "frozen": True}),
        (False, {"deferred": False, "enabled": True, "frozen": True}),
    ],
)
def test_in_lambda_the_collector_waits_until_the_cold_start_is_done(
    in_lambda: bool, expected: dict[str, bool]
) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "stockoss-dev-orders-ingest"
    done = subprocess.run(
        [sys.executable, "-c", COLD_START], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == expected


def test_a_failed_build_ends_the_cold_start_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from platform_core import dependencies

    frozen = threading.Event()
    monkeypatch.setattr(dependencies, "_heap_frozen", frozen)
    monkeypatch.setattr(gc, "freeze", lambda: None)

    def failing() -> object:
        raise RuntimeError("the secret has no value")

    with pytest.raises(RuntimeError):
        Provider(failing)()
    assert frozen.is_set()


def test_every_declared_function_builds_its_dependencies_through_a_provider() -> None:
    # A provider's first build ends the cold start (the collector comes back on in Lambda): a
    # function that built its dependencies another way would run without garbage collection.
    import importlib

    from platform_core.config import get_config

    for name, service in get_config().services.items():
        module = importlib.import_module(service.handler.rsplit(".", 1)[0])
        providers = [value for value in vars(module).values() if isinstance(value, Provider)]
        assert providers, f"{name}: {module.__name__} builds no dependency through a Provider"
