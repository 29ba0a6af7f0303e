"""A REQUEST Lambda authorizer as API Gateway calls it: identity sources, policy, context, cache.

- The identity sources must all be present and non-empty, else 401 without
  calling the function.
- The function gets the REQUEST authorizer event (the request's headers,
  query string, path parameters, request context and `methodArn`).
- Its answer: `principalId`, a `policyDocument` (IAM policy of
  `execute-api:Invoke` statements, wildcards allowed: an explicit Deny or no
  Allow for the method ARN is 403), an optional `context` (passed to the
  integration, values as strings) and `usageIdentifierKey` (the API key of the
  caller's usage plan when the key source is AUTHORIZER). An error whose
  message is `Unauthorized` is 401; any other error or a malformed answer is
  500 (AuthorizerConfigurationException).
- The answer is cached per identity source values for the scheme's TTL, and
  the cached policy is evaluated against each request's method ARN, as API
  Gateway does (a policy for one resource can deny another from the cache).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local_platform.functions.spec import Function, Throttled
from local_platform.routes import AuthorizerScheme


class Unauthorized(Exception):
    """401: missing identity, or the authorizer said `Unauthorized`."""


class Denied(Exception):
    """403: the policy denies the method (explicitly, or by not allowing it)."""


class AuthorizerFailed(Exception):
    """500: the authorizer failed or answered something that is not an authorizer response."""


@dataclass(frozen=True)
class Grant:
    principal_id: str
    statements: tuple[Mapping[str, Any], ...]
    context: Mapping[str, str]
    usage_identifier_key: str | None

    def allows(self, method_arn: str) -> bool:
        allowed = False
        for statement in self.statements:
            if not _matches(statement.get("Action", []), "execute-api:Invoke") or not _matches(
                statement.get("Resource", []), method_arn
            ):
                continue
            if str(statement.get("Effect", "")).lower() == "deny":
                return False
            allowed = allowed or str(statement.get("Effect", "")).lower() == "allow"
        return allowed

    def request_context(self, latency_ms: int) -> dict[str, Any]:
        """What the integration sees under requestContext.authorizer."""
        return {"principalId": self.principal_id, **self.context, "integrationLatency": latency_ms}


def _matches(patterns: Any, value: str) -> bool:
    candidates = [patterns] if isinstance(patterns, str) else list(patterns or [])
    return any(fnmatch.fnmatchcase(value, str(p)) for p in candidates)


def _stringify(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class Authorizer:
    def __init__(
        self, scheme: AuthorizerScheme, function: Function, clock: Callable[[], float] = time.monotonic
    ):
        self.scheme = scheme
        self._function = function
        self._clock = clock
        self._cache: dict[tuple[str, ...], tuple[Grant, float]] = {}
        self._lock = threading.Lock()
        self.stats = {"invocations": 0, "cache_hits": 0, "unauthorized": 0, "denied": 0, "failed": 0}

    def identity(self, headers: Mapping[str, str], query: Mapping[str, str]) -> tuple[str, ...]:
        """The identity source values; Unauthorized when one is missing or empty."""
        lowered = {k.lower(): v for k, v in headers.items()}
        values = []
        for kind, name in self.scheme.identity_sources:
            value = lowered.get(name.lower()) if kind == "header" else query.get(name)
            if not value:
                self._count("unauthorized")
                raise Unauthorized(f"missing identity source {kind} {name}")
            values.append(value)
        return tuple(values)

    def authorize(self, identity: tuple[str, ...], event: dict[str, Any], method_arn: str) -> Grant:
        grant = self._cached(identity)
        if grant is None:
            grant = self._call(event)
            if self.scheme.ttl_seconds > 0:
                with self._lock:
                    self._cache[identity] = (grant, self._clock() + self.scheme.ttl_seconds)
        if not grant.allows(method_arn):
            self._count("denied")
            raise Denied(method_arn)
        return grant

    def _cached(self, identity: tuple[str, ...]) -> Grant | None:
        with self._lock:
            entry = self._cache.get(identity)
            if entry is None or entry[1] <= self._clock():
                self._cache.pop(identity, None)
                return None
            self.stats["cache_hits"] += 1
            return entry[0]

    def _call(self, event: dict[str, Any]) -> Grant:
        self._count("invocations")
        try:
            invocation = self._function.invoke(event, wait=False)
        except Throttled as exc:
            self._count("failed")
            raise AuthorizerFailed(str(exc)) from exc
        if invocation.failed:
            if invocation.error_message == "Unauthorized":
                self._count("unauthorized")
                raise Unauthorized("the authorizer answered Unauthorized")
            self._count("failed")
            raise AuthorizerFailed(f"{invocation.error_type}: {invocation.error_message}")
        response = invocation.payload
        try:
            statements = response["policyDocument"]["Statement"]
            principal = str(response["principalId"])
            context = {str(k): _stringify(v) for k, v in (response.get("context") or {}).items()}
        except (KeyError, TypeError, AttributeError) as exc:
            self._count("failed")
            raise AuthorizerFailed(f"not an authorizer response: {response!r:.200}") from exc
        key = response.get("usageIdentifierKey")
        return Grant(principal, tuple(statements), context, str(key) if key else None)

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1
