"""Verifying the access tokens of the platform's user pool (Cognito in AWS, the local issuer here).

What is refused, each with its reason: a token that is not a signed JWT,
`alg: none` or any algorithm but RS256 (the pool's), an unknown key id (after
one JWKS refetch, at most once per cooldown), a bad signature, another issuer,
an expired or not-yet-valid token, an ID token in place of an access token
(`token_use` must be `access`), and a token of an app client the platform does
not know (Cognito's access tokens name their audience in `client_id`).

The JWKS is fetched once and cached for the life of the execution
environment; a token signed with a key id the cache lacks (a key rotation)
triggers a refetch, but no more often than the cooldown, so a flood of
made-up key ids cannot turn the authorizer into a JWKS-fetching machine.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import urllib3

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use"]


class TokenRejected(Exception):
    """The token is not acceptable; the message says why (for logs, never for the caller)."""


@dataclass(frozen=True)
class AccessToken:
    subject: str
    client: str  # the app client's name in the declaration
    scopes: frozenset[str]  # short names, without the resource server prefix
    username: str


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        cooldown_seconds: float = 30.0,
        http: urllib3.PoolManager | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._url = url
        self._cooldown = cooldown_seconds
        self._http = http or urllib3.PoolManager(
            maxsize=2, retries=urllib3.Retry(total=2, backoff_factor=0.2)
        )
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._cooldown:
                self._refresh(now)
            if kid in self._keys:
                return self._keys[kid]
        raise TokenRejected(f"unknown key id {kid!r}")

    def _refresh(self, now: float) -> None:
        self._fetched_at = now
        self.fetches += 1
        try:
            response = self._http.request("GET", self._url, timeout=urllib3.Timeout(connect=2.0, read=5.0))
        except urllib3.exceptions.HTTPError as exc:
            raise TokenRejected(f"JWKS unavailable at {self._url}: {exc}") from exc
        if response.status != 200:
            raise TokenRejected(f"JWKS unavailable at {self._url}: HTTP {response.status}")
        document = json.loads(response.data)
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("kty") == "RSA" and entry.get("kid"):
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        self._keys = keys


class AccessTokenVerifier:
    def __init__(
        self,
        issuer: str,
        app_clients: Mapping[str, str],
        resource_server: str,
        jwks: JwksCache,
        *,
        leeway_seconds: float = 0.0,
    ):
        self._issuer = issuer
        self._app_clients = dict(app_clients)
        self._prefix = f"{resource_server}/"
        self._jwks = jwks
        self._leeway = leeway_seconds

    def verify(self, token: str) -> AccessToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"not a JWT: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"algorithm {header.get('alg')!r} refused (only {ALGORITHM})")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("no key id in the token header")
        key = self._jwks.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected("issued by another issuer") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"invalid: {exc}") from exc
        if claims["token_use"] != "access":
            raise TokenRejected(f"a {claims['token_use']!r} token is not an access token")
        client = self._app_clients.get(str(claims.get("client_id")))
        if client is None:
            raise TokenRejected(f"issued to an unknown app client {claims.get('client_id')!r}")
        scopes = frozenset(
            scope[len(self._prefix) :]
            for scope in str(claims.get("scope", "")).split()
            if scope.startswith(self._prefix)
        )
        return AccessToken(
            subject=str(claims["sub"]), client=client, scopes=scopes, username=str(claims.get("username", ""))
        )
