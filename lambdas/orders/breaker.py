"""A circuit breaker per dependency (the ERP, the WMS) whose state every Lambda instance shares, in DynamoDB.

    closed --(threshold failures within the window)--> open --(open period over)--> one probe
    probe succeeds --> closed;   probe fails --> open again, for twice as long (capped)

While it is open, no instance calls the dependency: the saga defers its orders
(they wait in the queue) instead of piling timeouts on a server that is down.
When the open period is over, exactly one instance wins the right to probe (a
conditional write); the others keep deferring until the probe's verdict.

The state is one item per dependency. Reads are eventually consistent and
cached for a second per instance (a breaker decision does not need to be
exact to the millisecond; it needs to be cheap on every ERP call); every
transition is a conditional write, so two instances that see the same
failures open the breaker once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from botocore.exceptions import ClientError

CLOSED, OPEN = "closed", "open"


class BreakerOpen(Exception):
    """The dependency is considered down: do not call it; try again after `retry_after` seconds."""

    def __init__(self, dependency: str, retry_after: float):
        super().__init__(f"{dependency} is unavailable (circuit open); retry in {retry_after:.0f}s")
        self.dependency = dependency
        self.retry_after = retry_after


@dataclass(frozen=True)
class BreakerState:
    state: str = CLOSED
    failures: int = 0
    window_start: float = 0.0
    open_until: float = 0.0
    open_seconds: float = 0.0  # the length of the current (or last) open period
    probe_until: float = 0.0


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    window_seconds: float = 30.0
    open_seconds: float = 20.0
    max_open_seconds: float = 900.0  # SQS's longest message delay: a deferred order comes back by then
    probe_seconds: float = 30.0  # how long a probe may take before another instance may probe


class BreakerStore(Protocol):
    def read(self, dependency: str) -> BreakerState: ...

    def add_failure(self, dependency: str, now: float, window_seconds: float) -> BreakerState:
        """Count a failure in the current window (a new window if the last one is over)."""
        ...

    def open(self, dependency: str, now: float, seconds: float, expected: BreakerState) -> bool:
        """Open for `seconds` if the state is still `expected`'s (state and open_until)."""
        ...

    def claim_probe(self, dependency: str, now: float, seconds: float) -> bool: ...

    def close(self, dependency: str) -> None: ...


class CircuitBreaker:
    def __init__(
        self,
        store: BreakerStore,
        dependency: str,
        policy: BreakerPolicy | None = None,
        clock: Callable[[], float] = time.time,
        cache_seconds: float = 1.0,
    ):
        self._store = store
        self.dependency = dependency
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, BreakerState] | None = None
        self._probing = False
        self._lock = threading.Lock()

    def state(self, fresh: bool = False) -> BreakerState:
        now = self._clock()
        with self._lock:
            if not fresh and self._cached and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
        state = self._store.read(self.dependency)
        with self._lock:
            self._cached = (now, state)
        return state

    def _forget(self) -> None:
        with self._lock:
            self._cached = None

    def guard(self) -> None:
        """Return if the dependency may be called now; raise BreakerOpen otherwise."""
        state = self.state()
        if state.state != OPEN:
            return
        now = self._clock()
        if now < state.open_until:
            raise BreakerOpen(self.dependency, state.open_until - now)
        if self._probing:
            return
        if self._store.claim_probe(self.dependency, now, self.policy.probe_seconds):
            self._probing = True
            return
        raise BreakerOpen(self.dependency, min(self.policy.probe_seconds, self.policy.open_seconds))

    def record_success(self) -> None:
        state = self.state()
        if self._probing or state.state != CLOSED or state.failures:
            self._store.close(self.dependency)
            self._probing = False
            self._forget()

    def record_failure(self) -> None:
        now = self._clock()
        if self._probing:
            self._probing = False
            state = self.state(fresh=True)
            longer = min(self.policy.max_open_seconds, max(self.policy.open_seconds, state.open_seconds * 2))
            self._store.open(self.dependency, now, longer, state)
            self._forget()
            return
        state = self._store.add_failure(self.dependency, now, self.policy.window_seconds)
        if state.state == CLOSED and state.failures >= self.policy.failure_threshold:
            self._store.open(self.dependency, now, self.policy.open_seconds, state)
        self._forget()


class DynamoBreakerStore:
    """One item per dependency in the service's breaker table (hash key `dependency`)."""

    def __init__(self, dynamodb: Any, table: str):
        self._dynamodb = dynamodb
        self._table = table

    def _key(self, dependency: str) -> dict[str, Any]:
        return {"dependency": {"S": dependency}}

    def read(self, dependency: str) -> BreakerState:
        item = self._dynamodb.get_item(TableName=self._table, Key=self._key(dependency)).get("Item")
        return _state(item) if item else BreakerState()

    def add_failure(self, dependency: str, now: float, window_seconds: float) -> BreakerState:
        floor = {":floor": {"N": f"{now - window_seconds:.3f}"}}
        for _ in range(5):  # two conditional writes race only while a window begins: a few rounds at most
            try:  # within the current window: one more failure
                response = self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._key(dependency),
                    UpdateExpression="ADD failures :one",
                    ConditionExpression="window_start > :floor",
                    ExpressionAttributeValues={":one": {"N": "1"}, **floor},
                    ReturnValues="ALL_NEW",
                )
                return _state(response["Attributes"])
            except ClientError as exc:
                if not _failed_condition(exc):
                    raise
            try:  # the window is over (or never began): a new one, unless another instance just began it
                response = self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._key(dependency),
                    UpdateExpression="SET failures = :one, window_start = :now, #state = if_not_exists(#state, :closed)",
                    ConditionExpression="attribute_not_exists(window_start) OR window_start <= :floor",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":now": {"N": f"{now:.3f}"},
                        ":closed": {"S": CLOSED},
                        **floor,
                    },
                    ReturnValues="ALL_NEW",
                )
                return _state(response["Attributes"])
            except ClientError as exc:
                if not _failed_condition(exc):
                    raise
        return self.read(dependency)

    def open(self, dependency: str, now: float, seconds: float, expected: BreakerState) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key(dependency),
                UpdateExpression=(
                    "SET #state = :open, open_until = :until, open_seconds = :seconds, failures = :zero "
                    "REMOVE probe_until"
                ),
                ConditionExpression="(attribute_not_exists(#state) OR #state = :expected_state) AND "
                "(attribute_not_exists(open_until) OR open_until = :expected_until)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":open": {"S": OPEN},
                    ":until": {"N": f"{now + seconds:.3f}"},
                    ":seconds": {"N": f"{seconds:.3f}"},
                    ":zero": {"N": "0"},
                    ":expected_state": {"S": expected.state},
                    ":expected_until": {"N": f"{expected.open_until:.3f}"},
                },
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False  # another instance moved it first
            raise
        return True

    def claim_probe(self, dependency: str, now: float, seconds: float) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key(dependency),
                UpdateExpression="SET probe_until = :until",
                ConditionExpression="#state = :open AND open_until <= :now AND "
                "(attribute_not_exists(probe_until) OR probe_until < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":open": {"S": OPEN},
                    ":now": {"N": f"{now:.3f}"},
                    ":until": {"N": f"{now + seconds:.3f}"},
                },
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def close(self, dependency: str) -> None:
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key(dependency),
            UpdateExpression="SET #state = :closed, failures = :zero REMOVE probe_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":closed": {"S": CLOSED}, ":zero": {"N": "0"}},
        )


def _number(item: dict[str, Any], name: str) -> float:
    return float(item[name]["N"]) if name in item else 0.0


def _state(item: dict[str, Any]) -> BreakerState:
    return BreakerState(
        state=item.get("state", {}).get("S", CLOSED),
        failures=int(_number(item, "failures")),
        window_start=_number(item, "window_start"),
        open_until=_number(item, "open_until"),
        open_seconds=_number(item, "open_seconds"),
        probe_until=_number(item, "probe_until"),
    )


def _failed_condition(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class InMemoryBreakerStore:
    """The same contract in memory (unit tests): one lock stands for DynamoDB's conditional writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, BreakerState] = {}

    def read(self, dependency: str) -> BreakerState:
        with self._lock:
            return self.states.get(dependency, BreakerState())

    def add_failure(self, dependency: str, now: float, window_seconds: float) -> BreakerState:
        with self._lock:
            state = self.states.get(dependency, BreakerState())
            if state.window_start > now - window_seconds:
                state = replace(state, failures=state.failures + 1)
            else:
                state = replace(state, failures=1, window_start=now)
            self.states[dependency] = state
            return state

    def open(self, dependency: str, now: float, seconds: float, expected: BreakerState) -> bool:
        with self._lock:
            state = self.states.get(dependency, BreakerState())
            if (state.state, state.open_until) != (expected.state, expected.open_until):
                return False
            self.states[dependency] = replace(
                state, state=OPEN, open_until=now + seconds, open_seconds=seconds, failures=0, probe_until=0.0
            )
            return True

    def claim_probe(self, dependency: str, now: float, seconds: float) -> bool:
        with self._lock:
            state = self.states.get(dependency, BreakerState())
            if state.state != OPEN or state.open_until > now or state.probe_until >= now:
                return False
            self.states[dependency] = replace(state, probe_until=now + seconds)
            return True

    def close(self, dependency: str) -> None:
        with self._lock:
            state = self.states.get(dependency, BreakerState())
            self.states[dependency] = replace(state, state=CLOSED, failures=0, probe_until=0.0)
