"""A function's dependencies (its service over clients and stores): built once per execution environment, replaceable.

Lambda reuses an execution environment for many invocations, so what is costly
to build (clients, compiled schemas, the service over them) is built at the
first invocation, the cold start, and kept. A `Provider` is that: a module-level
callable that builds its value once, from the function's settings.

    @Provider
    def fanout_service() -> FanoutService:
        return FanoutService.from_settings(FanoutSettings())

A route of an `APIGatewayRestResolver` takes it with Powertools' `Depends()`, so
Powertools' own `app.dependency_overrides[provider]` replaces it in tests. A batch
handler has no such mechanism: its record handler calls the provider, and tests
replace the value with `provider.overridden(value)`. `hosted(handler, {provider:
value})` is one in-process instance of a function (tests, the local runtime):
every invocation runs with those values, one invocation at a time, as in an
execution environment (the module-level resolver or batch processor keeps the
current invocation's state).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


_heap_frozen = threading.Event()
_collection_deferred = threading.Event()


def defer_collection_during_cold_start() -> None:
    """In a Lambda execution environment, no garbage collection until the cold start is done.

    What the cold start builds (modules, clients, compiled schemas) lives as long as the
    execution environment: full collections while it is built only rescan it, a sizeable share
    of the import time. `freeze_initialised_heap` turns the collector back on. Called by the
    `lambdas` package, so it runs before a handler module imports anything; elsewhere (tests,
    tools, the emulator's own process) it does nothing.
    """
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and not _heap_frozen.is_set() and gc.isenabled():
        _collection_deferred.set()
        gc.disable()


def freeze_initialised_heap() -> None:
    """Keep the garbage collector off what the cold start built, and collect again from then on.

    It lives as long as the execution environment, yet every full collection would scan it again:
    with a service's imports that is most of the collector's time, paid on the requests' path.
    Once per process: what is frozen is never collected, so later heaps (a test run's) stay collectable.
    """
    if not _heap_frozen.is_set():
        _heap_frozen.set()
        gc.freeze()
        if _collection_deferred.is_set():
            gc.enable()


class Provider(Generic[T]):
    def __init__(self, build: Callable[[], T]):
        self._build = build
        self._built: list[T] = []
        self._overrides: list[T] = []
        self._lock = threading.RLock()
        self.__name__ = getattr(build, "__name__", "provider")
        self.__doc__ = build.__doc__

    def __call__(self) -> T:
        if self._overrides:
            return self._overrides[-1]
        if not self._built:
            with self._lock:
                if not self._built:
                    try:
                        self._built.append(self._build())
                    finally:  # a failed build ends the cold start too: the collector comes back
                        freeze_initialised_heap()
        return self._built[0]

    @contextmanager
    def overridden(self, value: T) -> Iterator[T]:
        """`value` instead of the built one while the block runs; one such block at a time per provider."""
        with self._lock:
            self._overrides.append(value)
            try:
                yield value
            finally:
                self._overrides.pop()

    def reset(self) -> None:
        """Forget the built value: the next call builds it again (a test that changed the environment)."""
        with self._lock:
            self._built.clear()

    def __repr__(self) -> str:
        return f"Provider({self.__name__})"


def hosted(handler: LambdaHandler, overrides: Mapping[Provider[Any], Any]) -> LambdaHandler:
    """`handler` with each provider of `overrides` replaced by its value, for every invocation."""
    ordered = sorted(overrides.items(), key=lambda pair: id(pair[0]))  # one lock order: no deadlock

    initialised = threading.Event()

    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with ExitStack() as stack:
            for provider, value in ordered:
                stack.enter_context(provider.overridden(value))
            response = handler(event, context)
        if not initialised.is_set():  # the values were built before: the first invocation ends the init
            initialised.set()
            freeze_initialised_heap()
        return response

    return invoke
