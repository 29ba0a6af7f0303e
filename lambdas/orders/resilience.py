"""Calling a dependency (the ERP, the WMS) through its shared circuit breaker, with timeouts and retries.

Timeouts are the transports' (connect and read, per call). Retries are
tenacity's: exponential backoff with full jitter, a few attempts within a time
budget, and only for errors that retrying can cure (the dependency's
"unavailable" errors). Every failure is counted by the breaker, and the
breaker is asked again before each attempt, so a retry never calls a
dependency another instance has just declared down.

The calls retried are the saga's steps, each safe to repeat as a whole (a
search comes before each creation), never a lone non-idempotent call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from lambdas.orders.breaker import CircuitBreaker

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    first_wait_seconds: float = 0.2
    max_wait_seconds: float = 2.0
    budget_seconds: float = 10.0


class Dependency:
    """One external system behind its breaker: `call(fn)` runs fn, retrying transient failures."""

    def __init__(
        self,
        breaker: CircuitBreaker,
        transient: tuple[type[Exception], ...],
        counted: tuple[type[Exception], ...] = (),
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.breaker = breaker
        self._transient = transient
        # Failures the breaker counts without a retry (e.g. refused credentials: every call fails alike).
        self._counted = transient + counted
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    @property
    def name(self) -> str:
        return self.breaker.dependency

    def call(self, fn: Callable[[], T]) -> T:
        policy = self._policy
        retrying = Retrying(
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.budget_seconds),
            wait=wait_random_exponential(multiplier=policy.first_wait_seconds, max=policy.max_wait_seconds),
            retry=retry_if_exception_type(self._transient),
            before=self._guard,
            reraise=True,
            sleep=self._sleep,
        )
        return retrying(self._attempt, fn)

    def _guard(self, state: RetryCallState) -> None:
        self.breaker.guard()  # raises BreakerOpen: not retried (not a transient error)

    def _attempt(self, fn: Callable[[], T]) -> T:
        try:
            result = fn()
        except self._counted:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result
