"""The providers behind SMS, web push and webhooks: a port (Protocol) each, and the adapters.

Every adapter raises the same three errors, so the service handles every channel alike:
`Refused` (never accepted: not retried; `gone` when the destination no longer exists),
`Unavailable` (not taken now: retried on the channel's schedule) and `OutcomeUnknown` (the
request left, no answer came back).

- SMS: AWS End User Messaging SMS (`pinpoint-sms-voice-v2` SendTextMessage) with the
  delivery's key in the message's Context (it comes back in the SMS events). Locally the
  SMS capture speaks the same API, so the same adapter talks to it.
- Web push: RFC 8030 over the egress guard, payload encrypted per RFC 8291 (aes128gcm,
  webpush_crypto), VAPID (RFC 8292) signed with the service's key, `Topic` = the
  delivery's key so a push service keeps one copy of a message sent twice.
- Webhooks: Standard Webhooks (`webhook-id` = the delivery's key, `webhook-timestamp`,
  `webhook-signature` with one HMAC-SHA256 signature per valid `whsec_` secret, so a partner
  verifying with the old or the new secret during a rotation both succeed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from py_vapid import Vapid02
from standardwebhooks.webhooks import Webhook

from lambdas.notifications.egress import Egress, EgressOutcomeUnknown, EgressUnavailable, UnsafeDestination
from lambdas.notifications.policy import PushSubscription
from lambdas.notifications.webpush_crypto import encrypt


class Refused(Exception):
    def __init__(self, message: str, *, gone: bool = False, unsafe: bool = False):
        super().__init__(message)
        self.gone = gone  # the destination no longer exists (HTTP 410 / 404 push subscription)
        self.unsafe = unsafe  # the destination is not one we may call (SSRF guard)


class Unavailable(Exception):
    pass


class OutcomeUnknown(Unavailable):
    pass


# -- SMS ----------------------------------------------------------------------------------------------


class SmsSender(Protocol):
    def send(self, phone: str, text: str, key: str) -> str:
        """Send one text; the provider's message id."""
        ...


# SendTextMessage errors no retry cures (ValidationException: a bad number or body; opted-out
# numbers come back as ConflictException with Reason DESTINATION_PHONE_NUMBER_OPTED_OUT).
SMS_REFUSALS = frozenset(
    {"ValidationException", "ConflictException", "AccessDeniedException", "ResourceNotFoundException"}
)


class EndUserMessagingSms:
    def __init__(self, client: Any, *, origination_identity: str | None, configuration_set: str | None):
        self._client = client
        self._origination = origination_identity
        self._configuration_set = configuration_set

    def send(self, phone: str, text: str, key: str) -> str:
        request: dict[str, Any] = {
            "DestinationPhoneNumber": phone,
            "MessageBody": text,
            "MessageType": "TRANSACTIONAL",
            "Context": {"delivery_id": key},
        }
        if self._origination:
            request["OriginationIdentity"] = self._origination
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            return str(self._client.send_text_message(**request)["MessageId"])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            detail = f"{code}: {error.get('Message', '')}".strip()
            if code in SMS_REFUSALS:
                raise Refused(f"the SMS service refused the text ({detail})") from exc
            raise Unavailable(f"the SMS service could not take the text ({detail})") from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise Unavailable(f"the SMS service is unreachable: {exc}") from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise OutcomeUnknown(f"the SMS service did not answer: {exc}") from exc


# -- web push -----------------------------------------------------------------------------------------


class PushSender(Protocol):
    def send(
        self, subscription: PushSubscription, payload: dict[str, Any], key: str, ttl_seconds: int
    ) -> str:
        """Push one message to one subscription; the push service's message location (or status)."""
        ...


class WebPush:
    def __init__(self, egress: Egress, vapid_private_key: str, subject: str):
        """vapid_private_key: the application server key (PEM or raw base64url); subject: mailto: or https: contact."""
        self._egress = egress
        self._vapid = Vapid02.from_string(vapid_private_key)
        self._subject = subject

    def send(
        self, subscription: PushSubscription, payload: dict[str, Any], key: str, ttl_seconds: int
    ) -> str:
        try:
            target = self._egress.target(subscription.endpoint)
        except UnsafeDestination as exc:
            raise Refused(str(exc), unsafe=True) from exc
        except EgressUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        origin = f"{target.scheme}://{target.host}" + ("" if target.port in (80, 443) else f":{target.port}")
        headers = dict(self._vapid.sign({"sub": self._subject, "aud": origin}))
        try:
            body = encrypt(json.dumps(payload).encode(), subscription.p256dh, subscription.auth)
        except ValueError as exc:  # keys that are no P-256 point, a payload too large
            raise Refused(f"cannot encrypt for this subscription: {exc}") from exc
        headers.update(
            {
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": str(ttl_seconds),
                "Topic": key[:32],  # RFC 8030: at most 32 base64url characters
                "Urgency": "normal",
            }
        )
        answer = _post(self._egress, subscription.endpoint, body, headers)
        if answer.status in (200, 201, 202):
            return answer.headers.get("Location") or answer.headers.get("location") or str(answer.status)
        if answer.status in (404, 410):
            raise Refused(f"push subscription gone (HTTP {answer.status})", gone=True)
        if answer.status in (429,) or answer.status >= 500:
            raise Unavailable(f"push service answered HTTP {answer.status}")
        raise Refused(f"push service refused the message (HTTP {answer.status}: {answer.body[:200]!r})")


# -- webhooks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A partner's webhook endpoint and the secrets that sign for it now (newest first)."""

    partner: str
    url: str
    secrets: tuple[str, ...]


def signature(secrets: tuple[str, ...], message_id: str, timestamp: datetime, body: bytes) -> str:
    """The `webhook-signature` header: one `v1,<base64>` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets)


class WebhookSender(Protocol):
    def send(self, endpoint: Endpoint, message_id: str, body: bytes) -> str:
        """POST one signed message; the endpoint's status code."""
        ...


class StandardWebhooks:
    def __init__(self, egress: Egress, clock: Callable[[], float] = time.time):
        self._egress = egress
        self._clock = clock  # the attempt's time: receivers refuse timestamps more than minutes off

    def send(self, endpoint: Endpoint, message_id: str, body: bytes) -> str:
        timestamp = datetime.fromtimestamp(self._clock(), UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "StockOSS-Webhooks/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature(endpoint.secrets, message_id, timestamp, body),
        }
        answer = _post(self._egress, endpoint.url, body, headers)
        if 200 <= answer.status < 300:
            return str(answer.status)
        if answer.status == 410:
            raise Refused(f"{endpoint.partner}'s endpoint answered 410 Gone", gone=True)
        # Anything else is retried (Standard Webhooks: non-2xx is a failed attempt).
        raise Unavailable(f"{endpoint.partner}'s endpoint answered HTTP {answer.status}")


def _post(egress: Egress, url: str, body: bytes, headers: dict[str, str]) -> Any:
    try:
        return egress.post(url, body, headers)
    except UnsafeDestination as exc:
        raise Refused(str(exc), unsafe=True) from exc
    except EgressUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    except EgressOutcomeUnknown as exc:
        raise OutcomeUnknown(str(exc)) from exc
