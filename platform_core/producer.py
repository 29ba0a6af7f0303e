"""Emitting platform events from a service, through the ingest API like any other producer.

There is no side door into the events table: a service's events get the same
validation, idempotency, rejected-zone and fan-out as a client's. The API key
is the team's own (kept in Secrets Manager; the team is the key's owner).

Retries never duplicate: an emitted event's id is derived from what caused it
(`derived_event_id(cause, purpose)`), so a handler that runs again for the same
message sends the same ids and the platform answers `duplicate`.

Errors say whether retrying can help. `EmitUnavailable` (throttled, 5xx, no
connection, after the client's own retries): raise it out of the record
handler so the message is retried later. `EmitRejected` (the platform refused
an event, with its reasons): a bug in the service or its schema; retrying the
same event cannot succeed, so the message should end in the DLQ with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import urllib3

from platform_core.aws import client
from platform_core.envelope import EventIn
from platform_core.observability import CORRELATION_HEADER

# Fixed forever: derived ids must be the same in every deployment and every retry.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d2c8e-3b7a-5e42-9c1d-5a0b8e7f4d21")
RETRYABLE_STATUSES = (429, 500, 502, 503, 504)


def derived_event_id(cause: str, purpose: str) -> uuid.UUID:
    """The id of the event a service emits because of `cause` (e.g. the consumed event's id), for `purpose`."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{cause}/{purpose}")


class EmitUnavailable(Exception):
    """The ingest API could not take the events now (throttled, unavailable): retry later."""


class EmitRejected(Exception):
    """The ingest API refused one or more events; retrying the same events cannot succeed."""

    def __init__(self, rejected: list[dict[str, Any]]):
        self.rejected = rejected
        reasons = "; ".join(
            f"{r.get('event_id')}: "
            + ", ".join(f"{x.get('path')}: {x.get('message')}" for x in r.get("reasons", []))
            for r in rejected
        )
        super().__init__(f"the platform rejected {len(rejected)} event(s): {reasons}")


@dataclass(frozen=True)
class Emitted:
    """The platform's verdict per event: accepted (new) or duplicate (sent before: a retry)."""

    accepted: tuple[str, ...]
    duplicate: tuple[str, ...]


class Emitter(Protocol):
    """A service's port to the platform: `EventProducer` in Lambda, a recording fake in unit tests."""

    def emit(self, events: Sequence[EventIn], correlation_id: str | None = None) -> Emitted: ...


class EventProducer:
    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        timeout_seconds: float = 10.0,
        retries: int = 3,
        http: urllib3.PoolManager | None = None,
    ):
        self._url = api_url.rstrip("/") + "/v1/events"
        self._api_key = api_key
        self._timeout = urllib3.Timeout(total=timeout_seconds)
        self._retries = urllib3.Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=RETRYABLE_STATUSES,
            allowed_methods=frozenset({"POST"}),  # safe: every event carries its idempotency key
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._http = http or urllib3.PoolManager(maxsize=4)

    @classmethod
    def from_secret(cls, api_url: str, secret_id: str) -> EventProducer:
        """A producer whose API key is read from Secrets Manager (once per process)."""
        return cls(api_url, _secret_string(secret_id))

    def emit(self, events: Sequence[EventIn], correlation_id: str | None = None) -> Emitted:
        if not events:
            return Emitted((), ())
        body = "[" + ",".join(e.model_dump_json() for e in events) + "]"
        headers = {"x-api-key": self._api_key, "Content-Type": "application/json"}
        if correlation_id:
            headers[CORRELATION_HEADER] = correlation_id
        try:
            response = self._http.request(
                "POST",
                self._url,
                body=body.encode(),
                headers=headers,
                timeout=self._timeout,
                retries=self._retries,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise EmitUnavailable(f"ingest API unreachable: {exc}") from exc
        if response.status in RETRYABLE_STATUSES:
            raise EmitUnavailable(f"ingest API answered {response.status}: {response.data[:300]!r}")
        if response.status not in (202, 400):
            # 401/403/413/415: the service's set-up or request is wrong; retrying will not fix it.
            raise EmitRejected([{"event_id": None, "reasons": [{"path": "", "message": _message(response)}]}])
        results = json.loads(response.data)["results"]
        rejected = [r for r in results if r["status"] == "rejected"]
        if rejected:
            raise EmitRejected(rejected)
        return Emitted(
            accepted=tuple(r["event_id"] for r in results if r["status"] == "accepted"),
            duplicate=tuple(r["event_id"] for r in results if r["status"] == "duplicate"),
        )


def _message(response: urllib3.BaseHTTPResponse) -> str:
    try:
        return f"HTTP {response.status}: {json.loads(response.data).get('message', '')}"
    except (ValueError, AttributeError):
        return f"HTTP {response.status}"


@cache
def _secret_string(secret_id: str) -> str:
    return str(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
