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
