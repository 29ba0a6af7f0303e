"""A local Web Push service (RFC 8030) and the browsers subscribed to it, for the notification service.

`subscribe()` plays a browser's PushManager.subscribe(): a P-256 key pair and an auth secret,
returned as PushSubscription.toJSON() gives them. A push (POST to the subscription's endpoint)
is checked as a push service does: VAPID (RFC 8292: an ES256 JWT for this origin, not expired,
at most 24 hours ahead, with a contact, signed by the key it names), the aes128gcm body
decrypted with the subscription's keys (http-ece, the reference implementation of RFC 8188),
at most 4096 bytes. Answers: 201 with a Location, 403 for a bad VAPID token, 400 for a body
that does not decrypt, 413, and 410 for a subscription the browser dropped (`unsubscribe`).
Messages with the same `tag` replace each other on the device, as a service worker's
showNotification(title, {tag}) does: `shown(endpoint)` is what the person sees.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from local_platform.emulators.http_server import EmulatorServer, Request, Response

MAX_BODY = 4096


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class VapidRefused(Exception):
    pass


def verify_vapid(authorization: str, audience: str, now: float) -> dict[str, Any]:
    """The claims of a valid `Authorization: vapid t=<jwt>, k=<key>` for this audience; raises VapidRefused."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidRefused(f"not a vapid authorization: {scheme!r}")
    fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    try:
        header, payload, signature = fields["t"].split(".")
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        claims: dict[str, Any] = json.loads(unb64url(payload))
        algorithm = json.loads(unb64url(header)).get("alg")
    except (KeyError, ValueError, InvalidSignature) as exc:
        raise VapidRefused(f"bad VAPID token: {exc!r}") from exc
    if algorithm != "ES256":
        raise VapidRefused(f"VAPID tokens are ES256, not {algorithm}")
    if claims.get("aud") != audience:
        raise VapidRefused(f"audience {claims.get('aud')!r} is not {audience!r}")
    if not now < float(claims.get("exp", 0)) <= now + 24 * 3600:
        raise VapidRefused("expired, or valid for more than 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidRefused("no contact (sub) in the VAPID token")
    return claims


class _Undeliverable(Exception):
    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status = status


class _Browser:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.subscribed = True
        self.received: list[dict[str, Any]] = []

    def public(self) -> str:
        return b64url(self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


class PushService(EmulatorServer):
    name = "push-service"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._browsers: dict[str, _Browser] = {}
        self.refused: list[dict[str, Any]] = []
        self.answer_next: list[int] = []  # statuses to answer next instead (e.g. 503, 429)

    def subscribe(self) -> dict[str, Any]:
        """A new browser subscription, as PushSubscription.toJSON() gives it."""
        token = uuid.uuid4().hex
        browser = _Browser()
        with self._lock:
            self._browsers[token] = browser
        return {
            "endpoint": f"{self.url}/push/{token}",
            "expirationTime": None,
            "keys": {"p256dh": browser.public(), "auth": b64url(browser.auth)},
        }

    def unsubscribe(self, endpoint: str) -> None:
        with self._lock:
            self._browsers[endpoint.rsplit("/", 1)[-1]].subscribed = False

    def received(self, endpoint: str) -> list[dict[str, Any]]:
        """Every message the browser got (decrypted), duplicates included."""
        with self._lock:
            return list(self._browsers[endpoint.rsplit("/", 1)[-1]].received)

    def shown(self, endpoint: str) -> list[dict[str, Any]]:
        """What the person sees: one notification per tag, the last one received."""
        by_tag: dict[str, dict[str, Any]] = {}
        for message in self.received(endpoint):
            payload = message["payload"]
            by_tag[payload.get("tag") or message["id"]] = payload
        return list(by_tag.values())

    def respond(self, request: Request) -> Response:
        if request.method != "POST" or not request.path.startswith("/push/"):
            return Response.json(404, {"error": "no such resource"})
        with self._lock:
            browser = self._browsers.get(request.path.removeprefix("/push/"))
            forced = self.answer_next.pop(0) if self.answer_next else None
        if forced is not None:
            return Response.json(forced, {"error": f"answered {forced} on demand"})
        if browser is None or not browser.subscribed:
            return Response.json(410, {"error": "the subscription is gone"})
        try:
            claims = verify_vapid(request.headers.get("authorization", ""), self.url, time.time())
            payload = self._decrypted(request, browser)
        except VapidRefused as exc:
            return self._refuse(403, str(exc), request)
        except _Undeliverable as exc:
            return self._refuse(exc.status, str(exc), request)
        message = {
            "id": uuid.uuid4().hex,
            "payload": payload,
            "topic": request.headers.get("topic"),
            "ttl": request.headers.get("ttl"),
            "urgency": request.headers.get("urgency"),
            "subscriber": claims["sub"],
        }
        with self._lock:
            browser.received.append(message)
        return Response(201, b"", {"Location": f"{self.url}/m/{message['id']}"})

    @staticmethod
    def _decrypted(request: Request, browser: _Browser) -> Any:
        if len(request.body) > MAX_BODY:
            raise _Undeliverable(413, f"{len(request.body)} bytes is over {MAX_BODY}")
        if request.headers.get("content-encoding") != "aes128gcm":
            raise _Undeliverable(400, "Content-Encoding must be aes128gcm")
        try:
            plain = http_ece.decrypt(
                request.body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
            return json.loads(plain)
        except Exception as exc:  # http_ece raises its own and cryptography's errors
            raise _Undeliverable(400, f"the body does not decrypt: {exc!r}") from exc

    def _refuse(self, status: int, why: str, request: Request) -> Response:
        with self._lock:
            self.refused.append({"status": status, "why": why, "path": request.path})
        return Response.json(status, {"error": why})
