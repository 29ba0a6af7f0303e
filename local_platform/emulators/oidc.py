"""The local OIDC issuer: Cognito-shaped access and ID tokens, signed with fixed keys, JWKS over HTTP.

Stands in for the Cognito user pool the authorizer trusts in AWS. It serves
`/.well-known/openid-configuration` and `/.well-known/jwks.json` at its issuer
URL (the `iss` of its tokens), as Cognito does under
`https://cognito-idp.<region>.amazonaws.com/<pool id>`, and mints tokens with
Cognito's claims: an access token has `token_use: access`, `client_id` (no
`aud`) and the granted `scope`s; an ID token has `token_use: id` and `aud`.
Tests and the demo ask it for tokens in-process (`access_token`), including the
bad ones an authorizer must refuse (expired, another issuer, an ID token, an
unknown key id, `alg: none`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from local_platform.emulators.http_server import EmulatorServer, Request, Response

KEYS_DIR = Path(__file__).with_name("oidc_keys")
KEY_IDS = ("local-1", "local-2")


def _private_key(kid: str) -> RSAPrivateKey:
    key = serialization.load_pem_private_key((KEYS_DIR / f"{kid}.pem").read_bytes(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError(f"{kid}.pem is not an RSA key")
    return key


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LocalOidcIssuer(EmulatorServer):
    name = "oidc-issuer"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._keys = {kid: _private_key(kid) for kid in KEY_IDS}
        self._lock = threading.Lock()
        self.published: list[str] = [KEY_IDS[0]]
        self.signing_kid = KEY_IDS[0]
        self.jwks_requests = 0

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def rotate(self) -> str:
        """Publish the next key and sign with it from now on (what a key rotation looks like to verifiers)."""
        with self._lock:
            self.signing_kid = KEY_IDS[1]
            if KEY_IDS[1] not in self.published:
                self.published.append(KEY_IDS[1])
            return self.signing_kid

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            published = list(self.published)
        keys = []
        for kid in published:
            numbers = self._keys[kid].public_key().public_numbers()
            keys.append(
                {
                    "kid": kid,
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            )
        return {"keys": keys}

    def respond(self, request: Request) -> Response:
        if request.path == "/.well-known/jwks.json":
            with self._lock:
                self.jwks_requests += 1
            return Response.json(200, self.jwks())
        if request.path == "/.well-known/openid-configuration":
            return Response.json(
                200,
                {
                    "issuer": self.issuer,
                    "jwks_uri": self.jwks_url,
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "response_types_supported": ["code", "token"],
                    "subject_types_supported": ["public"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                },
            )
        return Response.json(404, {"error": "not_found"})

    # -- tokens -----------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any], kid: str | None) -> str:
        kid = kid or self.signing_kid
        return jwt.encode(claims, self._keys[kid], algorithm="RS256", headers={"kid": kid})

    def access_token(
        self,
        subject: str,
        client_id: str,
        scopes: list[str] | tuple[str, ...],
        *,
        lifetime_seconds: int = 3600,
        issued_at: float | None = None,
        issuer: str | None = None,
        kid: str | None = None,
        username: str | None = None,
    ) -> str:
        now = int(issued_at if issued_at is not None else time.time())
        claims = {
            "sub": subject,
            "iss": issuer or self.issuer,
            "client_id": client_id,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": now,
            "iat": now,
            "exp": now + lifetime_seconds,
            "jti": str(uuid.uuid4()),
            "username": username or subject,
        }
        return self._sign(claims, kid)

    def id_token(self, subject: str, client_id: str, email: str, *, lifetime_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "sub": subject,
            "aud": client_id,
            "iss": self.issuer,
            "email": email,
            "email_verified": True,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + lifetime_seconds,
            "cognito:username": subject,
        }
        return self._sign(claims, None)

    @staticmethod
    def unsigned(claims: dict[str, Any]) -> str:
        """A token with `alg: none` (what an attacker sends hoping the verifier skips the signature)."""
        header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        return f"{header.decode()}.{body.decode()}."

    def status(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "published_keys": list(self.published),
            "jwks_requests": self.jwks_requests,
        }
