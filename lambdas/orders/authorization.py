"""Who is calling: a REQUEST authorizer's verdict from the request's credentials, and its reading by the API.

Credentials, in this order:
- `Authorization: Bearer <access token>`: a person signed in through an app
  client of the user pool, sent with that app's API key in `x-api-key` (a
  public key that identifies the app and meters its usage plan). The caller is
  the token's subject and its client the app client; a token sent with
  another client's key is refused, so nobody rides another client's plan.
- `x-api-key: <key>` alone: a partner, when the key is one of the declared API
  clients' keys; otherwise no client of the orders API (e.g. a team's ingest
  key), which the orders API refuses.
- nothing (or a refused token): "Unauthorized", which API Gateway answers 401.

API Gateway meters every request by its `x-api-key` against the usage plans
(the REST API's key source is HEADER); the authorizer returns that key as
`usageIdentifierKey` too, which is what a key source of AUTHORIZER would
meter. The policy allows every method of the stage (an answer API Gateway
may reuse must cover every route); what each route requires (a scope) is
checked by the route's function from the context. The context carries only
strings (API Gateway's rule): kind, client, subject, space-separated scopes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.orders.tokens import AccessTokenVerifier, TokenRejected
from platform_core.config import ApiClient

CUSTOMER, PARTNER, API_KEY = "customer", "partner", "api_key"


class Unauthorized(Exception):
    """No acceptable credentials: API Gateway answers 401 (the message must be exactly "Unauthorized")."""

    def __init__(self, reason: str):
        super().__init__("Unauthorized")
        self.reason = reason


@dataclass(frozen=True)
class Caller:
    kind: str  # customer | partner | api_key
    client: str  # declared API client name ("" for a passed-through key)
    subject: str
    scopes: frozenset[str]

    def context(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "client": self.client,
            "subject": self.subject,
            "scopes": " ".join(sorted(self.scopes)),
        }

    @classmethod
    def from_context(cls, context: Mapping[str, Any] | None) -> Caller | None:
        """The caller an authorizer described (requestContext.authorizer), or None."""
        if not context or context.get("kind") not in (CUSTOMER, PARTNER, API_KEY):
            return None
        return cls(
            kind=str(context["kind"]),
            client=str(context.get("client", "")),
            subject=str(context.get("subject", "")),
            scopes=frozenset(str(context.get("scopes", "")).split()),
        )


def _fingerprint(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ClientRegistry:
    """The declared API clients with their usage-plan API keys (from the clients secret)."""

    def __init__(self, declared: Mapping[str, ApiClient], keys: Mapping[str, str]):
        # A client whose key is not in the secret (yet) has no usage plan: it is refused, while other
        # keys keep passing through, so an unset secret never takes the routes of other callers down.
        self._declared = dict(declared)
        self._keys = {name: key for name, key in keys.items() if name in declared}
        self._by_fingerprint = {_fingerprint(key): name for name, key in self._keys.items()}

    @property
    def without_key(self) -> list[str]:
        return sorted(set(self._declared) - set(self._keys))

    def partner(self, key: str) -> str | None:
        name = self._by_fingerprint.get(_fingerprint(key))
        if name is None or self._declared[name].credential != "api_key":
            return None
        return name if hmac.compare_digest(self._keys[name], key) else None

    def usage_key(self, name: str) -> str | None:
        return self._keys.get(name)

    def scopes(self, name: str) -> frozenset[str]:
        return frozenset(self._declared[name].scopes)

    def is_token_client(self, name: str) -> bool:
        return name in self._declared and self._declared[name].credential == "token"


@dataclass(frozen=True)
class Verdict:
    caller: Caller
    usage_key: str

    def response(self, method_arn: str) -> dict[str, Any]:
        """The authorizer's answer to API Gateway."""
        arn, _, path = method_arn.partition("/")
        stage = path.split("/", 1)[0]
        return {
            "principalId": f"{self.caller.kind}:{self.caller.client or '-'}:{self.caller.subject}",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*/*"}
                ],
            },
            "context": self.caller.context(),
            "usageIdentifierKey": self.usage_key,
        }


class Authorizer:
    def __init__(self, verifier: AccessTokenVerifier, clients: ClientRegistry):
        self._verifier = verifier
        self._clients = clients

    def decide(self, headers: Mapping[str, str]) -> Verdict:
        lower = {k.lower(): v for k, v in headers.items()}
        authorization = lower.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("the Authorization header is not a bearer token")
            try:
                access = self._verifier.verify(token.strip())
            except TokenRejected as exc:
                raise Unauthorized(f"token refused: {exc}") from exc
            if not self._clients.is_token_client(access.client):
                raise Unauthorized(f"{access.client} is not a token client")
            usage_key = self._clients.usage_key(access.client)
            if usage_key is None:
                raise Unauthorized(f"{access.client} has no usage-plan key in the clients secret")
            # The key meters the request: it must be the token's app's, not another client's plan.
            if not hmac.compare_digest(lower.get("x-api-key", ""), usage_key):
                raise Unauthorized(f"the API key sent with a {access.client} token is not {access.client}'s")
            scopes = access.scopes & self._clients.scopes(access.client)
            return Verdict(Caller(CUSTOMER, access.client, access.subject, scopes), usage_key)
        key = lower.get("x-api-key", "")
        if key:
            partner = self._clients.partner(key)
            if partner is not None:
                return Verdict(Caller(PARTNER, partner, partner, self._clients.scopes(partner)), key)
            return Verdict(Caller(API_KEY, "", "", frozenset()), key)
        raise Unauthorized("no credentials (Authorization: Bearer or x-api-key)")
