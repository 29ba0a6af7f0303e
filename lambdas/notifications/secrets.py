"""Partners' webhook endpoints and signing secrets, and the VAPID key, from Secrets Manager.

The `webhooks` secret holds, per partner, its endpoint URL and its signing secrets:

    {"partner-demo": {"url": "https://hooks.partner.example/stockoss",
                      "secrets": [{"secret": "whsec_new...", "expires_at": null},
                                  {"secret": "whsec_old...", "expires_at": "2026-12-05T10:00:00+00:00"}]}}

A rotation (`rotate_secret`) puts a new secret first and gives the previous ones an expiry
`rotation_overlap_hours` away: until then every message is signed with both (Standard
Webhooks carries several signatures), so the partner switches to the new secret whenever it
likes within the overlap. Expired secrets no longer sign and are dropped at the next rotation.
The secret is read again every few minutes, so a rotation takes effect without a deployment.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.notifications.channels import Endpoint

REFRESH_SECONDS = 300.0


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_from(partner: str, entry: dict[str, Any], now: datetime) -> Endpoint:
    valid = tuple(
        s["secret"]
        for s in entry.get("secrets", [])
        if not s.get("expires_at") or datetime.fromisoformat(s["expires_at"]) > now
    )
    return Endpoint(partner, str(entry["url"]), valid)


def rotate_secret(
    document: dict[str, Any], partner: str, overlap: timedelta, now: datetime
) -> tuple[dict[str, Any], str]:
    """The secret's new value after rotating one partner's signing secret, and the new secret."""
    entry = dict(document[partner])
    fresh = new_signing_secret()
    ends = (now + overlap).isoformat()
    kept = [
        {**s, "expires_at": s.get("expires_at") or ends}
        for s in entry.get("secrets", [])
        if not s.get("expires_at") or datetime.fromisoformat(s["expires_at"]) > now
    ]
    entry["secrets"] = [{"secret": fresh, "expires_at": None}, *kept]
    return {**document, partner: entry}, fresh


class WebhookDirectory:
    """The partners' endpoints, read from the `webhooks` secret and cached for a few minutes."""

    def __init__(self, secretsmanager: Any, secret_id: str, clock: Any = time.time):
        self._sm = secretsmanager
        self._secret_id = secret_id
        self._clock = clock
        self._lock = threading.Lock()
        self._document: dict[str, Any] = {}
        self._read_at = -REFRESH_SECONDS

    def __call__(self, partner: str) -> Endpoint | None:
        with self._lock:
            if self._clock() - self._read_at >= REFRESH_SECONDS:
                self._document = json.loads(
                    self._sm.get_secret_value(SecretId=self._secret_id)["SecretString"] or "{}"
                )
                self._read_at = self._clock()
            entry = self._document.get(partner)
        if entry is None:
            return None
        endpoint = endpoint_from(partner, entry, datetime.fromtimestamp(self._clock(), UTC))
        return endpoint if endpoint.secrets else None


def new_vapid_keys(subject: str) -> dict[str, str]:
    """A VAPID key pair (P-256) as the `push` secret holds it: the raw private key and the uncompressed
    public key in base64url (the public one is the PWA's applicationServerKey), and the contact."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return {
        "private_key": b64url(key.private_numbers().private_value.to_bytes(32, "big")),
        "public_key": b64url(public),
        "subject": subject,
    }


def vapid_from_secret(secretsmanager: Any, secret_id: str) -> tuple[str, str]:
    """(the VAPID private key, the contact) from the `push` secret: {"private_key": ..., "subject": "mailto:..."}."""
    value = json.loads(secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"])
    return str(value["private_key"]), str(value["subject"])
